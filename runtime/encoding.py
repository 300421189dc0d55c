"""Turn (text, role, context) into model inputs. Training and runtime share this code,
so what the model saw in training is exactly what it sees in an app.

Layout of one window (BERT-style, all ids from ``tokenizer.json``)::

    [CLS] <role marker> <text tokens ...> [SEP] <context tokens ...> [SEP]
    token_type_ids:   0 ...................... 0   1 ............... 1

The role marker is the plain-text word ``user:`` or ``assistant:``. Long texts are
split into overlapping windows ("chunks"); the guard scores every window and keeps
the maximum, so unsafe content at the end of a long input is not cut away.
Context (the prompt a response answers) is clipped to ``context_tokens`` tokens.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer

ROLE_MARKERS = {"prompt": "user:", "response": "assistant:"}


@dataclass(frozen=True)
class EncodingConfig:
    """How texts become windows; stored in the bundle manifest."""

    max_length: int = 128
    context_tokens: int = 32
    stride: int = 16  # tokens shared by neighbouring windows
    max_chunks: int = 64  # beyond this many windows the input is reported as truncated

    def to_dict(self) -> dict[str, int]:
        return {"max_length": self.max_length, "context_tokens": self.context_tokens,
                "stride": self.stride, "max_chunks": self.max_chunks}

    @classmethod
    def from_dict(cls, d: dict) -> "EncodingConfig":
        return cls(**{k: int(d[k]) for k in ("max_length", "context_tokens", "stride", "max_chunks") if k in d})


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

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids if text else []

    def encode(self, text: str, role: str = "prompt", context: str = "") -> Windows:
        """Encode one text into one or more windows (already normalized text expected)."""
        if role not in self.role_ids:
            raise ValueError(f"role must be one of {sorted(self.role_ids)}, not {role!r}")
        cfg = self.config
        text_ids = self._ids(text)
        ctx_ids = self._ids(context)[: cfg.context_tokens] if context else []
        head = [self.cls_id] + self.role_ids[role]
        tail_len = 1 + (len(ctx_ids) + 1 if ctx_ids else 0)
        room = cfg.max_length - len(head) - tail_len
        step = max(1, room - cfg.stride)
        starts = list(range(0, max(1, len(text_ids) - cfg.stride), step)) if len(text_ids) > room else [0]
        truncated = len(starts) > cfg.max_chunks
        starts = starts[: cfg.max_chunks]
        rows: list[list[int]] = []
        types: list[list[int]] = []
        for s in starts:
            first = head + text_ids[s : s + room] + [self.sep_id]
            second = ctx_ids + [self.sep_id] if ctx_ids else []
            rows.append(first + second)
            types.append([0] * len(first) + [1] * len(second))
        return _pad(rows, types, self.pad_id, truncated)

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
