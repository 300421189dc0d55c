"""Vocabulary pruning: keep the WordPiece tokens the training texts use, drop the rest.

MiniLM's 30,522-token vocabulary is half of the teacher's parameters; the seed data uses
about 23k of those tokens. :func:`prune_vocab` writes a new ``tokenizer.json`` whose
WordPiece vocab holds only the kept tokens (in their old order) and returns ``keep``, the
old id of every new id, so an embedding table is pruned with ``table[keep]``.

Why tokenization does not change for the texts the vocabulary was built from: WordPiece is
greedy longest-match-first. For a word whose pieces were all kept, the piece the full vocab
matched at each step is still there, and no longer piece can appear (the pruned vocab is a
subset). So ``pruned.encode(text).ids == old_to_new[full.encode(text).ids]`` for every such
text (tests/test_distill.py checks it). Words outside the kept set fall back to shorter
pieces; single characters (and their ``##`` forms) are kept by default so that such a word
becomes pieces rather than one ``[UNK]``.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from tokenizers import Tokenizer

from tinyguard.text.encoding import ROLE_MARKERS

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@dataclass(frozen=True)
class PrunedVocab:
    keep: np.ndarray  # [V_new] int64: old id of each new id, ascending
    old_to_new: np.ndarray  # [V_old] int64: new id, or the new [UNK] id for dropped tokens
    tokenizer_path: Path

    @property
    def size(self) -> int:
        return int(self.keep.size)

    def remap(self, ids: np.ndarray) -> np.ndarray:
        """Old ids → new ids (dropped tokens become [UNK])."""
        return self.old_to_new[np.asarray(ids, dtype=np.int64)]


def count_tokens(tokenizer: Tokenizer, texts: Iterable[str]) -> Counter:
    """How often each token id occurs in ``texts`` (no special tokens added)."""
    counts: Counter = Counter()
    batch: list[str] = []
    for t in texts:
        batch.append(t)
        if len(batch) == 4096:
            for enc in tokenizer.encode_batch(batch, add_special_tokens=False):
                counts.update(enc.ids)
            batch = []
    for enc in tokenizer.encode_batch(batch, add_special_tokens=False):
        counts.update(enc.ids)
    return counts


def prune_vocab(tokenizer_json: Path, texts: Iterable[str], out_path: Path, *, min_count: int = 1,
                keep_single_chars: bool = True, max_size: int = 0) -> PrunedVocab:
    """Write a pruned copy of ``tokenizer_json`` to ``out_path`` and return the id mapping.

    ``texts`` must already be normalized the way the runtime normalizes (tinyguard.text.normalize).
    ``max_size`` > 0 caps the vocabulary (the embedding table dominates a small student's
    size): special tokens, role markers and single characters always stay, the rest of the
    budget goes to the most frequent tokens; dropped words fall back to their ## pieces.
    """
    raw = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    model = raw.get("model", {})
    if model.get("type") != "WordPiece" or not isinstance(model.get("vocab"), dict):
        raise ValueError(f"{tokenizer_json}: only WordPiece tokenizers can be pruned, not {model.get('type')!r}")
    vocab: dict[str, int] = model["vocab"]
    id_to_token = {i: t for t, i in vocab.items()}
    if sorted(id_to_token) != list(range(len(vocab))):
        raise ValueError(f"{tokenizer_json}: vocab ids are not 0..{len(vocab) - 1}")
    tok = Tokenizer.from_file(str(tokenizer_json))
    counts = count_tokens(tok, texts)

    frequent = [i for i, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
    keep_ids: set[int] = set()
    for s in SPECIALS:
        if s in vocab:
            keep_ids.add(vocab[s])
    for marker in ROLE_MARKERS.values():  # the encoder needs these whatever the data
        keep_ids.update(tok.encode(marker, add_special_tokens=False).ids)
    if keep_single_chars:
        prefix = model.get("continuing_subword_prefix", "##")
        keep_ids.update(i for t, i in vocab.items()
                        if len(t) == 1 or (t.startswith(prefix) and len(t) == len(prefix) + 1))
    if max_size and len(keep_ids) >= max_size:
        raise ValueError(f"vocab max_size {max_size} leaves no room: {len(keep_ids)} tokens are always kept")
    budget = max_size - len(keep_ids) if max_size else len(frequent)
    for i in frequent:
        if budget <= 0:
            break
        if i not in keep_ids:
            keep_ids.add(i)
            budget -= 1
    keep = np.array(sorted(keep_ids), dtype=np.int64)
    old_to_new = np.full(len(vocab), -1, dtype=np.int64)
    old_to_new[keep] = np.arange(keep.size)
    unk_token = model.get("unk_token", "[UNK]")
    if unk_token not in vocab:
        raise ValueError(f"{tokenizer_json}: no unk token {unk_token!r}")
    new_unk = int(old_to_new[vocab[unk_token]])
    old_to_new[old_to_new < 0] = new_unk

    def new_id(token: str) -> int:
        return int(old_to_new[vocab[token]])

    model["vocab"] = {id_to_token[int(o)]: n for n, o in enumerate(keep)}
    for added in raw.get("added_tokens") or []:
        if added["content"] in vocab:
            added["id"] = new_id(added["content"])
    post = raw.get("post_processor") or {}
    for spec in (post.get("special_tokens") or {}).values():  # TemplateProcessing
        spec["ids"] = [new_id(t) for t in spec["tokens"]]
    for key in ("cls", "sep"):  # BertProcessing: ["[CLS]", 101]
        if isinstance(post.get(key), list) and len(post[key]) == 2:
            post[key] = [post[key][0], new_id(post[key][0])]
    pad = raw.get("padding")
    if isinstance(pad, dict) and pad.get("pad_token") in vocab:
        pad["pad_id"] = new_id(pad["pad_token"])

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    Tokenizer.from_file(str(out_path))  # fail here, not in the runtime, if the file is broken
    return PrunedVocab(keep, old_to_new, out_path)
