"""GGUF metadata keys of a tinyguard GGUF file, spelled once for the writer
(:mod:`tinyguard.export.gguf_export`) and the reader (:mod:`tinyguard.scoring.gguf_backend`).

Why: llama.cpp has no head for a classifier, so the ``Linear(hidden, N_OUTPUTS)`` head and its
label names travel as metadata beside the encoder. Writer and reader typing these names apart
is how a file gets written that the runtime then calls "not a tinyguard GGUF". The strings are
part of the file format: files already shipped carry them, so never rename one.
"""
from __future__ import annotations

from typing import Final

PREFIX: Final[str] = "tinyguard."
LABELS: Final[str] = PREFIX + "labels"  # ["unsafe", *CATEGORIES]: the head's rows, in order
LABEL_CODES: Final[str] = PREFIX + "label_codes"  # ["unsafe", "S1", ..., "jailbreak"]
VERSION: Final[str] = PREFIX + "version"  # the model version the file was exported as
POOLING: Final[str] = PREFIX + "pooling"  # "mean": what the head expects of llama.cpp's embedding
HEAD_ROWS: Final[str] = PREFIX + "head.rows"  # N_OUTPUTS
HEAD_COLS: Final[str] = PREFIX + "head.cols"  # hidden size
HEAD_WEIGHT: Final[str] = PREFIX + "head.weight"  # [rows * cols] float32, row-major
HEAD_BIAS: Final[str] = PREFIX + "head.bias"  # [rows] float32
#: What the runtime needs to apply the head.
HEAD_KEYS: Final[tuple[str, ...]] = (LABELS, HEAD_ROWS, HEAD_COLS, HEAD_WEIGHT, HEAD_BIAS)

# llama.cpp's own keys (written through gguf's add_* calls) that tinyguard reads back.
ARCHITECTURE: Final[str] = "general.architecture"
CONTEXT_LENGTH: Final[str] = "bert.context_length"
POOLING_TYPE: Final[str] = "bert.pooling_type"
