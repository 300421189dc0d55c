"""``guard-cli calibrate``: refit the binary threshold on a user's labelled data.

Rule (:func:`tinyguard.measure.thresholds.lowest_threshold`, beside every other threshold rule): the
lowest threshold whose false-positive rate on the file's safe lines is at most the target (so
recall is as high as that FPR allows), among the midpoints between neighbouring scores.
The new bundle is written atomically with the real bundle writer, so its hashes verify.

Guard-rails, because a threshold is the one number that decides every verdict: too few lines
of a label (one line gave threshold 0.504), or a new operating point that loses more than a
set fraction of the current recall on the same file (one unsafe line labelled safe pushed
recall to 0.000), refuse to write unless forced. The safe-labelled lines scoring above the
current threshold are listed: they are what moves the threshold up, and where a mislabel or
a poisoned line shows.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from tinyguard.bundle.folder import Manifest, default_bundle_path, read_bundle, rewrite_manifest, write_bundle
from tinyguard.measure.metrics import binary_metrics
from tinyguard.measure.thresholds import lowest_threshold

if TYPE_CHECKING:
    from tinyguard.scoring.guard import Guard


@dataclass(frozen=True)
class Rails:
    """Refuse a calibration with fewer lines than ``min_per_label`` of either label, or one
    whose recall on the file is below ``(1 - max_recall_loss)`` x the current threshold's."""

    min_per_label: int = 50
    max_recall_loss: float = 0.10

    def __post_init__(self) -> None:
        if isinstance(self.min_per_label, bool) or not isinstance(self.min_per_label, int) or self.min_per_label < 1:
            raise ValueError(f"min_per_label must be a positive int, not {self.min_per_label!r}")
        if not 0.0 <= self.max_recall_loss <= 1.0:
            raise ValueError(f"max_recall_loss must be in [0, 1], not {self.max_recall_loss}")


def calibration(guard: "Guard", y: Sequence[int], lines: Sequence[int], scores: Sequence[float],
                target_fpr: float, *, file: str = "", rails: Rails = Rails(),
                roles: Sequence[str] | None = None) -> dict[str, Any]:
    """Pick the new threshold for labelled lines and report metrics before and after, plus the
    guard-rail checks (``refusals``: empty when the calibration may be written).

    ``y``: 1 unsafe / 0 safe per line (an Item's ``label``); ``lines``: their line numbers in
    ``file``; ``scores``: the guard's unsafe score of each (a Verdict's ``score``); ``roles``: each
    line's role (None: all prompts), so that "before" counts each line at its role's threshold.

    One threshold is fitted over every line, prompts and responses alike, and it replaces both: a
    bundle whose responses had a threshold of their own (spec 1.2, measured on the yardstick) loses
    it, since the user's own traffic now sets the operating point (``old_response_threshold`` says so).
    """
    if not 0.0 <= target_fpr <= 1.0:
        raise ValueError(f"target FPR must be in [0, 1], not {target_fpr}")
    y_ = np.asarray(y, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != y_.shape or len(lines) != y_.size:
        raise ValueError(f"got {s.size} scores and {len(lines)} line numbers for {y_.size} labels")
    new = lowest_threshold(y_, s, target_fpr)
    keys = ("threshold", "precision", "recall", "fpr", "f1", "tp", "fp", "tn", "fn")
    current = np.array([guard.threshold_for(r) for r in roles] if roles is not None else [guard.threshold] * s.size,
                       dtype=np.float64)
    if current.shape != s.shape:
        raise ValueError(f"got {current.size} roles for {s.size} scores")
    before = {k: v for k, v in binary_metrics(y_, s, current).items() if k in keys} | {"threshold": guard.threshold}
    after = {k: v for k, v in binary_metrics(y_, s, new).items() if k in keys}
    digest = hashlib.sha256(Path(file).read_bytes()).hexdigest() if file and Path(file).is_file() else ""
    report = {
        "model": guard.model_id, "bundle_verified": guard.bundle_verified, "file": file, "file_sha256": digest,
        "target_fpr": target_fpr,
        "n": int(y_.size), "n_unsafe": int(y_.sum()), "n_safe": int((~y_).sum()),
        "defenses": guard.defenses.to_dict(), "before": before, "after": after,
        "old_threshold": guard.threshold, "new_threshold": new,
        "min_per_label": rails.min_per_label, "max_recall_loss": rails.max_recall_loss,
        "high_safe": _high_safe(lines, y_, s, current),
    }
    if guard.response_threshold != guard.threshold:
        report["old_response_threshold"] = guard.response_threshold
    report["refusals"] = refusals(report, rails)
    return report


def _high_safe(lines: Sequence[int], y: np.ndarray, s: np.ndarray, threshold: Any,
               top: int = 5) -> list[dict[str, Any]]:
    """The safe-labelled lines scoring at or above the current threshold (one, or each line's), highest first."""
    idx = [int(k) for k in np.flatnonzero(~y & (s >= threshold))]
    idx.sort(key=lambda k: -s[k])
    return [{"line": int(lines[k]), "score": float(s[k])} for k in idx[:top]]


def refusals(report: dict[str, Any], rails: Rails) -> list[str]:
    """Why this calibration must not be written without --force (empty list: it may)."""
    out = []
    for label in ("unsafe", "safe"):
        n = report[f"n_{label}"]
        if n < rails.min_per_label:
            out.append(f"only {n} {label} line(s); at least {rails.min_per_label} of each label are needed "
                       f"(--min-per-label)")
    was, now = report["before"]["recall"], report["after"]["recall"]
    if was is not None and now is not None and was > 0 and now < (1.0 - rails.max_recall_loss) * was - 1e-12:
        out.append(f"recall on this file would fall from {was:.3f} to {now:.3f} ({1 - now / was:.0%} of it lost; "
                   f"at most {rails.max_recall_loss:.0%} allowed: --max-recall-loss); check the labels of "
                   f"the safe lines that score high")
    return out


def manifest_updates(manifest: Manifest, report: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The manifest keys a calibration changes: threshold, a ``calibrated`` preset, and a record,
    and (a dict, a tuple) the keys it drops: a response threshold of their own, if any (the one
    threshold fitted on the user's lines judges both roles)."""
    presets = dict(manifest.presets)
    presets["calibrated"] = report["new_threshold"]
    record = {k: report[k] for k in ("file_sha256", "target_fpr", "n_unsafe", "n_safe", "defenses",
                                     "old_threshold", "new_threshold", "before", "after")}
    record["file"] = Path(report["file"]).name if report["file"] else ""
    record["date"] = _dt.date.today().isoformat()
    record["rule"] = "lowest threshold with FPR on the file's safe lines <= target_fpr"
    if report.get("refusals"):
        record["forced_despite"] = list(report["refusals"])
    updates: dict[str, Any] = {"threshold": report["new_threshold"], "presets": presets, "calibration": record}
    if manifest.response_threshold is None:
        return updates, ()
    record["old_response_threshold"] = manifest.response_threshold
    changes, drop = manifest.with_response_threshold(None)
    return updates | changes, drop


def write_calibrated(bundle: str | Path | None, report: dict[str, Any], *, out: str | Path | None,
                     in_place: bool) -> Path:
    """Write the calibrated bundle to ``out`` (a new folder or an existing bundle), or rewrite
    the source bundle's manifest when ``in_place``. Returns the bundle folder written.

    The written bundle is unsigned (its manifest changed): sign it again with ``guard-cli sign``.
    """
    source = read_bundle(bundle if bundle is not None else default_bundle_path())  # the guard verified it
    assert source.path is not None
    updates, drop = manifest_updates(source, report)
    if in_place:
        rewrite_manifest(source.path, updates, drop)
        return source.path
    assert out is not None
    target = check_target(source.path, out)
    files = {name: source.path / name for name in source.files}
    write_bundle(target, files, source.replaced(updates, drop))
    read_bundle(target)  # hashes verify; the new manifest is unsigned until guard-cli sign
    return target


def check_target(source: str | Path | None, out: str | Path) -> Path:
    """``out`` as a Path; ValueError when it is the source bundle (that is what --in-place is for)."""
    target = Path(out)
    if target.resolve() == Path(source if source is not None else default_bundle_path()).resolve():
        raise ValueError(f"--out-bundle {target} is the bundle being calibrated; pass --in-place to rewrite it")
    return target


def summary(report: dict[str, Any]) -> list[str]:
    """The before/after table and the guard-rail checks, as lines for the terminal."""
    def fmt(x: Any) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    b, a = report["before"], report["after"]
    out = [f"{report['model']} on {report['file']}: {report['n_unsafe']} unsafe, {report['n_safe']} safe lines; "
           f"target FPR {report['target_fpr']:g}", "",
           f"  {'':<10} {'threshold':>9} {'precision':>9} {'recall':>7} {'FPR':>7} {'TP/FP/TN/FN':>15}"]
    for name, m in (("before", b), ("after", a)):
        counts = f"{m['tp']}/{m['fp']}/{m['tn']}/{m['fn']}"
        out.append(f"  {name:<10} {m['threshold']:>9.6f} {fmt(m['precision']):>9} {fmt(m['recall']):>7} "
                   f"{fmt(m['fpr']):>7} {counts:>15}")
    if report.get("old_response_threshold") is not None:
        out.append(f"  (before: responses at their own threshold {report['old_response_threshold']:g}; "
                   "the new threshold judges prompts and responses alike)")
    out.append("")
    if report["high_safe"]:
        out.append("  safe-labelled lines at or above the current threshold (they raise it; check their labels): "
                   + ", ".join(f"line {h['line']} ({h['score']:.3f})" for h in report["high_safe"]))
    checks = report["refusals"]
    out.append("  checks: " + ("passed (at least {} lines of each label; recall loss within {:.0%})".format(
        report["min_per_label"], report["max_recall_loss"]) if not checks else "FAILED"))
    out += [f"    - {c}" for c in checks]
    return out
