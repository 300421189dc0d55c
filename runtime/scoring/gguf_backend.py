"""Score a bundle's GGUF model with llama.cpp (``pip install 'tinyguard[gguf]'``).

The GGUF holds a BERT encoder that llama.cpp runs as an embedding model with mean pooling
(written by ``tinyguard.export.gguf_export``); the guard's ``Linear(hidden, 16)`` head sits in
the file's metadata (``tinyguard.head.*``) and is applied here in numpy::

    pooled = llama.cpp(input_ids)        # [n, hidden]  masked mean of the last hidden states
    logits = pooled @ W.T + b            # [n, 16]      column 0 unsafe, then the categories

Token ids come from the bundle's tokenizer.json (llama.cpp never tokenizes). llama.cpp's BERT
has no token_type_ids input; the exporter only writes students whose two token-type rows are
equal, so ignoring them changes nothing. ``llama_cpp`` is imported when a backend is created,
never at ``import tinyguard``.

:class:`GgufBackend` also answers ``get_inputs()`` and ``run(["logits"], feed)`` like an
onnxruntime session, so :class:`tinyguard.scoring.guard.Guard` can use it in place of one.
"""
from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from tinyguard.bundle import gguf_keys as keys
from tinyguard.errors import one_line
from tinyguard.taxonomy import N_OUTPUTS, OUTPUT_NAMES

INSTALL_HINT = "pip install 'tinyguard[gguf]'  (compiles llama.cpp; from a checkout: pip install -e '.[gguf]')"
MAX_UBATCH = 512  # tokens per llama.cpp call at most; non-causal BERT attends over the whole ubatch


# ---------------------------------------------------------------- GGUF metadata (no extra dependency)

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_NP = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1", 10: "<u8", 11: "<i8", 12: "<f8"}
_STRING, _ARRAY = 8, 9


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError("truncated GGUF header")
    return data


def _string(f: BinaryIO) -> str:
    (n,) = struct.unpack("<Q", _read(f, 8))
    return _read(f, n).decode("utf-8", errors="replace")


def _value(f: BinaryIO, vtype: int, keep: bool) -> Any:
    if vtype == _STRING:
        return _string(f)
    if vtype == _ARRAY:
        itype, n = struct.unpack("<IQ", _read(f, 12))
        if itype in _NP:
            arr = np.frombuffer(_read(f, n * np.dtype(_NP[itype]).itemsize), dtype=_NP[itype])
            return arr.copy() if keep else None
        items = [_value(f, itype, keep) for _ in range(n)]
        return items if keep else None
    if vtype not in _SCALARS:
        raise ValueError(f"unknown GGUF value type {vtype}")
    fmt = _SCALARS[vtype]
    (v,) = struct.unpack(fmt, _read(f, struct.calcsize(fmt)))
    return v


def read_metadata(path: str | os.PathLike[str], prefixes: tuple[str, ...] = (keys.PREFIX, "general.")) -> dict[str, Any]:
    """The GGUF key/values whose keys start with one of ``prefixes`` (others are skipped)."""
    out: dict[str, Any] = {}
    with open(path, "rb") as f:
        if _read(f, 4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        version, _n_tensors, n_kv = struct.unpack("<IQQ", _read(f, 20))
        if version < 2:
            raise ValueError(f"{path}: GGUF version {version} is too old")
        for _ in range(n_kv):
            key = _string(f)
            (vtype,) = struct.unpack("<I", _read(f, 4))
            keep = key.startswith(prefixes)
            value = _value(f, vtype, keep)
            if keep:
                out[key] = value
    return out


@dataclass(frozen=True)
class Head:
    weight: np.ndarray  # [16, hidden] float32
    bias: np.ndarray  # [16]
    labels: tuple[str, ...]


def read_head(path: str | os.PathLike[str]) -> Head:
    """The guard head and label names stored in a tinyguard GGUF; checks them against the taxonomy."""
    meta = read_metadata(path)
    need = [k for k in keys.HEAD_KEYS if k not in meta]
    if need:
        raise ValueError(f"{path} is not a tinyguard GGUF (missing {', '.join(need)})")
    labels = tuple(meta[keys.LABELS])
    if labels != OUTPUT_NAMES:
        raise ValueError(f"{path}: labels {list(labels)} do not match this runtime's taxonomy")
    rows, cols = int(meta[keys.HEAD_ROWS]), int(meta[keys.HEAD_COLS])
    weight = np.asarray(meta[keys.HEAD_WEIGHT], np.float32)
    bias = np.asarray(meta[keys.HEAD_BIAS], np.float32)
    if rows != N_OUTPUTS or weight.size != rows * cols or bias.size != rows:
        raise ValueError(f"{path}: head has shape {rows}x{cols} with {weight.size} weights; expected {N_OUTPUTS} rows")
    return Head(weight.reshape(rows, cols), bias, labels)


# ---------------------------------------------------------------- the backend

def import_llama_cpp() -> Any:
    """``llama_cpp``, or ImportError with the install line (also when its shared library fails to load)."""
    try:
        import llama_cpp
    except ImportError:
        raise ImportError(f"scoring a GGUF model needs llama-cpp-python: {INSTALL_HINT}") from None
    except (OSError, RuntimeError) as e:  # installed, but libllama cannot be loaded
        raise ImportError(f"llama-cpp-python is installed but cannot load llama.cpp "
                          f"({one_line(e)}); reinstall it: {INSTALL_HINT}") from None
    return llama_cpp


@dataclass(frozen=True)
class _Input:
    name: str


class GgufBackend:
    """llama.cpp over a tinyguard GGUF: ``logits(ids, mask, types) -> [n, 16]``. Thread-safe (one lock)."""

    def __init__(self, path: str | os.PathLike[str], threads: int = 1):
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive int, not {threads!r}")
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"GGUF model not found: {self.path}")
        self.head = read_head(self.path)
        llama_cpp = import_llama_cpp()
        self._llama_cpp = llama_cpp
        # one llama.cpp context of the trained length; a call holds up to that many tokens
        n_ctx = int(read_metadata(self.path, (keys.CONTEXT_LENGTH,)).get(keys.CONTEXT_LENGTH, MAX_UBATCH))
        n_ctx = min(n_ctx, MAX_UBATCH)
        self._llm = llama_cpp.Llama(
            model_path=str(self.path), embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
            n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, n_threads=threads,
            n_threads_batch=threads, verbose=False)
        self._n_embd = int(llama_cpp.llama_model_n_embd(self._llm.model))
        if self._n_embd != self.head.weight.shape[1]:
            raise ValueError(f"{self.path}: model width {self._n_embd} does not match the head's "
                             f"{self.head.weight.shape[1]}")
        self._n_seq_max = int(self._llm.context_params.n_seq_max)
        self._n_ubatch = int(llama_cpp.llama_n_ubatch(self._llm.ctx))  # non-causal: one call ≤ n_ubatch tokens
        self._batch = llama_cpp.llama_batch_init(self._n_ubatch, 0, 1)
        self._lock = threading.Lock()
        self.threads = threads

    def __del__(self) -> None:
        batch = getattr(self, "_batch", None)
        if batch is not None:
            try:
                self._llama_cpp.llama_batch_free(batch)
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass
            self._batch = None

    @property
    def max_tokens(self) -> int:
        """The longest window (tokens) one sequence may have: llama.cpp's micro-batch size."""
        return self._n_ubatch

    # onnxruntime-session look-alike, for Guard
    def get_inputs(self) -> list[_Input]:
        return [_Input("input_ids"), _Input("attention_mask"), _Input("token_type_ids")]

    def run(self, output_names: list[str] | None, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        if output_names not in (None, ["logits"]):
            raise ValueError(f"GgufBackend only outputs 'logits', not {output_names}")
        return [self.logits(feed["input_ids"], feed["attention_mask"], feed.get("token_type_ids"))]

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray,
               token_type_ids: np.ndarray | None = None) -> np.ndarray:
        """[n, 16] float32 logits for right-padded int64 windows [n, seq] (token types are ignored)."""
        ids = np.asarray(input_ids, dtype=np.int64)
        mask = np.asarray(attention_mask, dtype=np.int64)
        if ids.ndim != 2 or ids.shape != mask.shape:
            raise ValueError(f"input_ids {ids.shape} and attention_mask {mask.shape} must be equal [n, seq] arrays")
        lengths = mask.sum(1)
        if (lengths < 1).any() or (lengths > self._n_ubatch).any():
            raise ValueError(f"every window needs 1..{self._n_ubatch} tokens")
        pooled = np.empty((ids.shape[0], self._n_embd), np.float32)  # [n, hidden]
        with self._lock:
            group: list[int] = []
            used = 0
            for i in range(ids.shape[0]):
                if group and (used + lengths[i] > self._n_ubatch or len(group) >= self._n_seq_max):
                    self._embed(ids, lengths, group, pooled)
                    group, used = [], 0
                group.append(i)
                used += int(lengths[i])
            if group:
                self._embed(ids, lengths, group, pooled)
        return (pooled @ self.head.weight.T + self.head.bias).astype(np.float32)  # [n, 16]

    def _embed(self, ids: np.ndarray, lengths: np.ndarray, rows: list[int], out: np.ndarray) -> None:
        """One llama_decode over ``rows`` (one sequence each), pooled vectors into ``out``."""
        lc = self._llama_cpp
        b = self._batch
        n = 0
        for seq, i in enumerate(rows):
            length = int(lengths[i])
            for p in range(length):
                b.token[n] = int(ids[i, p])
                b.pos[n] = p
                b.n_seq_id[n] = 1
                b.seq_id[n][0] = seq
                b.logits[n] = True  # pooled embeddings read every token
                n += 1
        b.n_tokens = n
        get_memory = getattr(lc, "llama_get_memory", None)  # llama.cpp's memory API (2025+)
        if get_memory is not None:
            memory = get_memory(self._llm.ctx)
            if memory:
                lc.llama_memory_clear(memory, True)
        else:
            clear = getattr(lc, "llama_kv_self_clear", None) or getattr(lc, "llama_kv_cache_clear", None)
            if clear is not None:
                clear(self._llm.ctx)
        rc = lc.llama_decode(self._llm.ctx, b)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc} for {self.path.name}")
        for seq, i in enumerate(rows):
            ptr = lc.llama_get_embeddings_seq(self._llm.ctx, seq)
            if not ptr:
                raise RuntimeError(f"llama.cpp returned no pooled embedding for {self.path.name}")
            out[i] = np.ctypeslib.as_array(ptr, shape=(self._n_embd,))
