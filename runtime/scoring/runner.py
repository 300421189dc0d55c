"""Running planned windows through a scoring session, and turning logits into per-text scores.

Why apart from :mod:`tinyguard.scoring.guard`: the Guard decides *what* to score (a verified bundle, a
policy, :mod:`tinyguard.scoring.pieces` plans); this module only feeds windows to a session -- an
onnxruntime ``InferenceSession`` or a :class:`tinyguard.scoring.gguf_backend.GgufBackend`, both answering
``run(["logits"], feed)`` -- and reads the results back in plan order.

Batching: full-text windows of all texts run ``batch_size`` at a time (1 by default, so a text's
score never depends on the texts scored with it: dynamic int8 quantization scales activations
per run); a text's own segment windows run :data:`SEGMENT_BATCH` at a time, only with each other.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from tinyguard.bundle.manifest import BundleError
from tinyguard.scoring.pieces import Plan
from tinyguard.taxonomy import N_OUTPUTS
from tinyguard.text.encoding import Windows
from tinyguard.verdict import unchecked_reasons

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
SEGMENT_BATCH = 8  # segment windows of one text run together (never mixed with other texts)


@dataclass(frozen=True)
class Scores:
    """One text's probabilities per column: ``plain`` (the normalized text's windows only) and
    ``defended`` (max over those, the views' windows and the segments')."""

    plain: np.ndarray  # [N_OUTPUTS]
    defended: np.ndarray  # [N_OUTPUTS]
    role: str
    chunks: int  # windows of the text
    windows: int  # windows run in all, views and segments included
    views: int
    truncated: bool
    fired_view: str = "text"  # the piece whose window has the highest unsafe logit
    fired_window: int = 0  # that window's index within the piece (or within the segment)
    fired_segment: int | None = None  # the segment of that piece, None for a full-text window
    segments: int = 0  # segments scored alone
    coverage: float = 1.0  # share of the text's letters the model can read
    unchecked: tuple[str, ...] = ()  # "truncated", "unsupported" (for the Guard's min_coverage)
    seconds: float = 0.0  # this text's own scoring time: its plan, its windows' runs, this summary


def sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp overflow -> inf -> score 0.0, which is correct
        return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def run_windows(session: Any, feeds: Sequence[str], pad_id: int, windows: list[Windows],
                batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Run all windows, shortest first so each batch pads little; logits in input order
    [rows, N_OUTPUTS], and each row's seconds (a model run's wall time shared by its rows)."""
    rows = [(w, i) for w in windows for i in range(w.count)]
    lengths = np.array([int(w.attention_mask[i].sum()) for w, i in rows])
    order = np.argsort(lengths, kind="stable")
    out = np.empty((len(rows), N_OUTPUTS), dtype=np.float32)
    seconds = np.zeros(len(rows))
    for b in range(0, len(rows), batch_size):
        start = time.perf_counter()
        idx = order[b: b + batch_size]
        width = int(lengths[idx].max())
        arrays = {name: np.zeros((len(idx), width), dtype=np.int64) for name in INPUTS}  # [batch, width]
        arrays["input_ids"][:] = pad_id
        for j, k in enumerate(idx):
            w, i = rows[k]
            n = int(lengths[k])
            for name in INPUTS:
                arrays[name][j, :n] = getattr(w, name)[i, :n]
        (logits,) = session.run(["logits"], {name: arrays[name] for name in feeds})
        if logits.ndim != 2 or logits.shape[1] != N_OUTPUTS:
            raise BundleError(f"model returned logits of shape {logits.shape}; expected [batch, {N_OUTPUTS}]")
        out[idx] = logits
        seconds[idx] = (time.perf_counter() - start) / len(idx)
    return out, seconds


def run_plans(session: Any, feeds: Sequence[str], pad_id: int, plans: list[Plan],
              batch_size: int) -> list[tuple[np.ndarray, np.ndarray | None, float]]:
    """Per plan: logits of all its windows in plan order [windows, N_OUTPUTS], of its
    ``plain`` windows (or None), and the seconds its windows took to run."""
    full: list[Windows] = []
    for plan in plans:
        full += [w for w, (_, seg) in zip(plan.windows, plan.entries) if seg is None]
        full += [plan.plain] if plan.plain is not None else []
    full_logits, full_seconds = run_windows(session, feeds, pad_id, full, batch_size)
    offset = 0
    out = []
    for plan in plans:
        start = offset
        segments = [w for w, (_, seg) in zip(plan.windows, plan.entries) if seg is not None]
        seg_logits, seg_seconds = (run_windows(session, feeds, pad_id, segments, SEGMENT_BATCH) if segments
                                   else (None, np.zeros(0)))
        parts: list[np.ndarray] = []
        seg_offset = 0
        for w, (_, seg) in zip(plan.windows, plan.entries):
            if seg is None:
                parts.append(full_logits[offset: offset + w.count])
                offset += w.count
            else:
                assert seg_logits is not None
                parts.append(seg_logits[seg_offset: seg_offset + w.count])
                seg_offset += w.count
        plain = None
        if plan.plain is not None:
            plain = full_logits[offset: offset + plan.plain.count]
            offset += plan.plain.count
        out.append((np.concatenate(parts), plain, float(full_seconds[start:offset].sum() + seg_seconds.sum())))
    return out


def to_scores(plan: Plan, role: str, rows: np.ndarray, plain_rows: np.ndarray | None,
              min_coverage: float, seconds: float = 0.0) -> Scores:
    """One text's :class:`Scores` from its plan and the logits of its windows; ``seconds``: its
    time so far (plan and model runs), to which this summary's own time is added."""
    start = time.perf_counter()
    counts = [w.count for w in plan.windows]
    plain = (rows[: counts[0]] if plain_rows is None else plain_rows).max(axis=0)
    top = int(np.argmax(rows[:, 0]))  # the window with the highest unsafe logit
    ends = np.cumsum(counts)
    entry = int(np.searchsorted(ends, top, side="right"))
    view, segment = plan.entries[entry]
    coverage = round(plan.coverage, 4)
    return Scores(plain=sigmoid(plain), defended=sigmoid(rows.max(axis=0)), role=role, chunks=plan.chunks,
                  windows=int(ends[-1]), views=plan.views, truncated=plan.truncated, fired_view=view,
                  fired_window=int(top - (ends[entry] - counts[entry])), fired_segment=segment,
                  segments=plan.segments, coverage=coverage,
                  unchecked=unchecked_reasons(plan.truncated, coverage, min_coverage),
                  seconds=seconds + time.perf_counter() - start)
