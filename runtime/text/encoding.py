"""Turn (text, role, context) into model inputs. Training and runtime share this code,
so what the model saw in training is exactly what it sees in an app.

Layout of one window (BERT-style, all ids from ``tokenizer.json``)::

    [CLS] <role marker> <text tokens ...> [SEP] <context tokens ...> [SEP]
    token_type_ids:   0 ...................... 0   1 ............... 1

The role marker is the plain-text word ``user:`` or ``assistant:``. Long texts are
split into overlapping windows ("chunks"); the guard scores every window and keeps
the maximum, so unsafe content at the end of a long input is not cut away.
Context (the prompt a response answers) is clipped to ``context_tokens`` tokens; only its first
``context_tokens * CONTEXT_CHARS_PER_TOKEN`` characters are ever tokenized, so a 10 MB context
costs no more than a short one.

The guard tokenizes each piece of text once (:meth:`TextEncoder.tokenize`, ids with character
offsets) and cuts windows from those ids (:meth:`TextEncoder.windows`): the text's windows and
the windows of its short segments (:mod:`tinyguard.scoring.segments`) share one tokenization.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer

from tinyguard.text.emoji import name_emoji

ROLE_MARKERS = {"prompt": "user:", "response": "assistant:"}
CONTEXT_CHARS_PER_TOKEN = 16  # characters of context read per context token (the rest is never used)


@dataclass(frozen=True)
class EncodingConfig:
    """How texts become windows; stored in the bundle manifest."""

    max_length: int = 128
    context_tokens: int = 32
    stride: int = 16  # tokens shared by neighbouring windows
    max_chunks: int = 64  # windows per text in training (encode); the guard bounds texts by max_chars instead
    emoji_names: bool = False  # tokenize pictographs as their names (tinyguard.text.emoji); absent in older bundles

    def to_dict(self) -> dict[str, int | bool]:
        """The manifest's ``encoding`` object (``emoji_names`` only when on, so older bundles read back equal)."""
        out: dict[str, int | bool] = {"max_length": self.max_length, "context_tokens": self.context_tokens,
                                      "stride": self.stride, "max_chunks": self.max_chunks}
        if self.emoji_names:
            out["emoji_names"] = True
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "EncodingConfig":
        ints = {k: int(d[k]) for k in ("max_length", "context_tokens", "stride", "max_chunks") if k in d}
        return cls(**ints, emoji_names=bool(d.get("emoji_names", False)))


@dataclass(frozen=True)
class Windows:
    """Model inputs for one text: ``n`` windows padded to a common length."""

    input_ids: np.ndarray  # [n, seq] int64
    attention_mask: np.ndarray  # [n, seq] int64
    token_type_ids: np.ndarray  # [n, seq] int64
    truncated: bool  # True when text beyond max_chunks windows was dropped

    @property
    def count(self) -> int:
        return int(self.input_ids.shape[0])


@dataclass(frozen=True)
class Tokens:
    """One text's word-piece ids and each piece's character span in that text."""

    ids: np.ndarray  # [n] int64
    starts: np.ndarray  # [n] int64, character offset where each piece starts
    ends: np.ndarray  # [n] int64, character offset where each piece ends

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def between(self, start: int, end: int) -> tuple[int, int]:
        """The token range [a, b) of the pieces that lie inside characters [start, end)."""
        a = int(np.searchsorted(self.starts, start, side="left"))
        b = int(np.searchsorted(self.ends, end, side="right"))
        return a, max(a, b)


class TextEncoder:
    """Wraps a ``tokenizers.Tokenizer`` with the window layout above. Thread-safe."""

    def __init__(self, tokenizer: Tokenizer, config: EncodingConfig = EncodingConfig()):
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        self.config = config
        self.cls_id = self._special("[CLS]")
        self.sep_id = self._special("[SEP]")
        self.pad_id = self._special("[PAD]")
        self.role_ids = {role: self._ids(marker) for role, marker in ROLE_MARKERS.items()}
        budget = config.max_length - 2 - max(len(v) for v in self.role_ids.values())
        if budget <= config.stride + 8:
            raise ValueError(f"max_length {config.max_length} leaves no room for text")

    @classmethod
    def from_file(cls, path: str, config: EncodingConfig = EncodingConfig()) -> "TextEncoder":
        return cls(Tokenizer.from_file(str(path)), config)

    def _special(self, token: str) -> int:
        tid = self.tokenizer.token_to_id(token)
        if tid is None:
            raise ValueError(f"tokenizer has no {token} token")
        return tid

    def has_word(self, word: str) -> bool:
        """Whether the vocabulary holds ``word`` as one token (a look-up, nothing built)."""
        return self.tokenizer.token_to_id(word) is not None

    def _ids(self, text: str) -> list[int]:
        if not text:
            return []
        if self.config.emoji_names:
            text = name_emoji(text)[0]
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def tokenize(self, text: str) -> Tokens:
        """Word-piece ids of ``text`` (no special tokens) with their character offsets in ``text``
        (with ``emoji_names``, a pictograph's name pieces all span the pictograph)."""
        source = None
        if self.config.emoji_names:
            text, source = name_emoji(text)
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        offsets = np.array(enc.offsets, dtype=np.int64).reshape(-1, 2)
        starts, ends = offsets[:, 0].copy(), offsets[:, 1].copy()
        if source is not None and len(starts):
            starts, ends = source[starts], source[np.maximum(ends - 1, starts)] + 1
        return Tokens(np.array(enc.ids, dtype=np.int64), starts, ends)

    def context_ids(self, context: str) -> list[int]:
        """The first ``context_tokens`` ids of ``context`` (only its head is ever tokenized)."""
        if not context:
            return []
        n = self.config.context_tokens
        return self._ids(context[: n * CONTEXT_CHARS_PER_TOKEN])[:n]

    def room(self, role: str, ctx_ids: list[int]) -> int:
        """Text tokens that fit in one window next to the role marker and ``ctx_ids``."""
        return self.config.max_length - 1 - len(self.role_ids[role]) - 1 - (len(ctx_ids) + 1 if ctx_ids else 0)

    def windows(self, text_ids: np.ndarray | list[int], role: str, ctx_ids: list[int], *,
                max_chunks: int | None = -1, room: int | None = None, stride: int | None = None) -> Windows:
        """Cut ``text_ids`` into overlapping windows of at most ``room`` text tokens (default: a
        full window), ``stride`` tokens shared by neighbours. ``max_chunks``: -1 the config's cap,
        None no cap (the caller bounds the text instead)."""
        if role not in self.role_ids:
            raise ValueError(f"role must be one of {sorted(self.role_ids)}, not {role!r}")
        cfg = self.config
        text_ids = [int(i) for i in text_ids]
        head = [self.cls_id] + self.role_ids[role]
        full = self.room(role, ctx_ids)
        room = full if room is None else min(room, full)
        stride = cfg.stride if stride is None else stride
        step = max(1, room - stride)
        starts = list(range(0, max(1, len(text_ids) - stride), step)) if len(text_ids) > room else [0]
        cap = cfg.max_chunks if max_chunks == -1 else max_chunks
        truncated = cap is not None and len(starts) > cap
        if cap is not None:
            starts = starts[:cap]
        rows: list[list[int]] = []
        types: list[list[int]] = []
        second = ctx_ids + [self.sep_id] if ctx_ids else []
        for s in starts:
            first = head + text_ids[s : s + room] + [self.sep_id]
            rows.append(first + second)
            types.append([0] * len(first) + [1] * len(second))
        return _pad(rows, types, self.pad_id, truncated)

    def encode(self, text: str, role: str = "prompt", context: str = "") -> Windows:
        """Encode one text into one or more windows (already normalized text expected); at most
        ``max_chunks`` windows (training's layout; the guard cuts its own with :meth:`windows`)."""
        if role not in self.role_ids:
            raise ValueError(f"role must be one of {sorted(self.role_ids)}, not {role!r}")
        return self.windows(self._ids(text), role, self.context_ids(context))

    def encode_many(self, items: list[tuple[str, str, str]]) -> tuple[Windows, list[int]]:
        """Encode (text, role, context) items into one padded batch.

        Returns the batch and, for each item, the index of its first window; item ``i``
        owns windows ``offsets[i]:offsets[i+1]`` (with ``offsets`` extended by the total).
        """
        rows: list[list[int]] = []
        types: list[list[int]] = []
        offsets: list[int] = []
        truncated = False
        for text, role, context in items:
            w = self.encode(text, role, context)
            offsets.append(len(rows))
            truncated |= w.truncated
            for i in range(w.count):
                n = int(w.attention_mask[i].sum())
                rows.append(w.input_ids[i, :n].tolist())
                types.append(w.token_type_ids[i, :n].tolist())
        return _pad(rows, types, self.pad_id, truncated), offsets


def _pad(rows: list[list[int]], types: list[list[int]], pad_id: int, truncated: bool) -> Windows:
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    tt = np.zeros((len(rows), width), dtype=np.int64)
    for i, (r, t) in enumerate(zip(rows, types)):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
        tt[i, : len(t)] = t
    return Windows(ids, mask, tt, truncated)
