"""Sentence embeddings for curation (diversity clusters): all-MiniLM-L6-v2, mean-pooled.

The base encoder (not the fine-tuned teacher) is what this model was trained for: semantic
similarity, so clusters group texts by what they say rather than by how the guard scores them.
torch, transformers and the teacher module (torch at its top) load at the first embedding call.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def sentence_embedder(threads: int = 2, batch_size: int = 64, max_length: int = 128,
                      progress: bool = True) -> Callable[[Sequence[str]], np.ndarray]:
    """A function texts → L2-normalised [N, 384] float32 embeddings; the model loads (offline)
    on the first call, so a rerun whose diversity round is reused never loads it."""
    loaded: list = []  # (tokenizer, model), filled on the first call

    def load():
        if not loaded:
            import torch
            from transformers import AutoModel, AutoTokenizer

            from .teacher import encoder_dir

            torch.set_num_threads(threads)
            path = encoder_dir()
            loaded.append((AutoTokenizer.from_pretrained(path, local_files_only=True),
                           AutoModel.from_pretrained(path, local_files_only=True).eval()))
        return loaded[0]

    def embed(texts: Sequence[str]) -> np.ndarray:
        import torch

        tokenizer, model = load()
        out = np.zeros((len(texts), model.config.hidden_size), np.float32)
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="embed", unit="batch")
        with torch.inference_mode():
            for s in starts:
                enc = tokenizer(list(texts[s:s + batch_size]), padding=True, truncation=True,
                                max_length=max_length, return_tensors="pt")
                h = model(**enc).last_hidden_state
                m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
                v = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
                out[s:s + len(v)] = torch.nn.functional.normalize(v, dim=-1).numpy()
        return out

    return embed
