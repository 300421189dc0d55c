"""``guard-cli calibrate``: refit the binary threshold on a user's labelled data.

Rule: the lowest threshold whose false-positive rate on the file's safe lines is at most the
target (so recall is as high as that FPR allows). Candidates are the midpoints between
neighbouring distinct scores (as in ``tinyguard.export.thresholds``): any threshold in such a
gap makes the same decisions, and the midpoint leaves the most room for score drift.
The new bundle is written atomically with the real bundle writer, so its hashes verify.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from tinyguard.bundle import load_bundle, rewrite_manifest, write_bundle
from tinyguard.metrics import binary_metrics

if TYPE_CHECKING:
    from tinyguard.cli import Item
    from tinyguard.guard import Guard


def lowest_threshold(y: np.ndarray, scores: np.ndarray, target_fpr: float) -> float:
    """The lowest candidate threshold with FPR (safe scores >= t) <= ``target_fpr``."""
    y = np.asarray(y, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    safe = np.sort(scores[~y])
    if safe.size == 0:
        raise ValueError("calibration needs safe lines (label safe/0) to measure the FPR")
    u = np.unique(scores)
    candidates = np.concatenate([[u[0] / 2], (u[:-1] + u[1:]) / 2, [(u[-1] + 1) / 2]])
    # FPR(t) = #(safe >= t) / n_safe is non-increasing in t: search the sorted candidates.
    n_at_or_above = safe.size - np.searchsorted(safe, candidates, side="left")
    ok = np.flatnonzero(n_at_or_above <= target_fpr * safe.size + 1e-9)
    return float(candidates[ok[0]])  # the top candidate (above every score) always qualifies


def calibration(guard: "Guard", items: Sequence["Item"], target_fpr: float, *, file: str = "",
                batch_size: int = 1) -> dict[str, Any]:
    """Score ``items``, pick the new threshold, and report metrics before and after."""
    if not 0.0 <= target_fpr <= 1.0:
        raise ValueError(f"target FPR must be in [0, 1], not {target_fpr}")
    scored = guard.score([i.text for i in items], [i.role for i in items],
                         contexts=[i.context for i in items], batch_size=batch_size)
    y = np.array([i.label for i in items], dtype=bool)
    s = np.array([x.defended[0] for x in scored])
    new = lowest_threshold(y, s, target_fpr)
    keys = ("threshold", "precision", "recall", "fpr", "f1", "tp", "fp", "tn", "fn")
    before = {k: v for k, v in binary_metrics(y, s, guard.threshold).items() if k in keys}
    after = {k: v for k, v in binary_metrics(y, s, new).items() if k in keys}
    digest = hashlib.sha256(Path(file).read_bytes()).hexdigest() if file and Path(file).is_file() else ""
    return {
        "model": guard.model_id, "file": file, "file_sha256": digest, "target_fpr": target_fpr,
        "n": int(y.size), "n_unsafe": int(y.sum()), "n_safe": int((~y).sum()),
        "defenses": guard.defenses.to_dict(), "before": before, "after": after,
        "old_threshold": guard.threshold, "new_threshold": new,
    }


def manifest_updates(raw: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """The manifest keys a calibration changes: threshold, a ``calibrated`` preset, and a record."""
    presets = dict(raw.get("presets") or {})
    presets["calibrated"] = report["new_threshold"]
    record = {k: report[k] for k in ("file_sha256", "target_fpr", "n_unsafe", "n_safe", "defenses",
                                     "old_threshold", "new_threshold", "before", "after")}
    record["file"] = Path(report["file"]).name if report["file"] else ""
    record["date"] = _dt.date.today().isoformat()
    record["rule"] = "lowest threshold with FPR on the file's safe lines <= target_fpr"
    return {"threshold": report["new_threshold"], "presets": presets, "calibration": record}


def write_calibrated(bundle: str | Path | None, report: dict[str, Any], *, out: str | Path | None,
                     in_place: bool) -> Path:
    """Write the calibrated bundle to ``out`` (a new folder or an existing bundle), or rewrite
    the source bundle's manifest when ``in_place``. Returns the bundle folder written."""
    source = load_bundle(bundle)
    assert source.path is not None
    updates = manifest_updates(source.raw, report)
    if in_place:
        rewrite_manifest(source.path, updates)
        return source.path
    assert out is not None
    target = Path(out)
    if target.resolve() == source.path.resolve():
        raise ValueError(f"--out {target} is the bundle being calibrated; pass --in-place to rewrite it")
    files = {name: source.path / name for name in source.files}
    manifest = {k: v for k, v in source.raw.items() if k != "files"}
    manifest.update(updates)
    write_bundle(target, files, manifest)
    load_bundle(target)  # hashes verify
    return target

