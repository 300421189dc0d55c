"""``guard-cli robustness``: recall and benign false-positive rate under cheap attacks.

Each attack operator (``tinyguard.train.operators``, stdlib only, imported lazily) is applied
to every unsafe line (recall per attack) and every safe line (benign FPR per attack) of a
labelled file. One model pass gives both numbers per text: the score of the normalized text
alone ("no defenses") and the max over it and its defense views ("defenses").
Each (attack, line) pair has its own rng, seeded from ``seed``, the attack name and the line
number, so a table is reproducible and a row does not depend on the other rows.
"""
from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from tinyguard.defenses import DefenseSettings

if TYPE_CHECKING:
    from tinyguard.cli import Item
    from tinyguard.guard import Guard

CLEAN = "none"


def load_operators() -> dict[str, Any]:
    try:
        from tinyguard.train.operators import OPERATORS
    except ImportError as e:  # pragma: no cover - the module ships with the package
        raise RuntimeError(f"attack operators are not installed (tinyguard.train.operators): {e}") from None
    return OPERATORS


def sample(items: Sequence["Item"], limit: int | None, seed: int) -> list["Item"]:
    """At most ``limit`` unsafe and ``limit`` safe items (a seeded sample, file order kept)."""
    if limit is None:
        return list(items)
    rng = random.Random(f"{seed}:sample")
    out: list[Item] = []
    for label in (1, 0):
        group = [i for i in items if i.label == label]
        if len(group) > limit:
            keep = set(rng.sample(range(len(group)), limit))
            group = [x for k, x in enumerate(group) if k in keep]
        out += group
    return sorted(out, key=lambda i: i.line)


def robustness_report(guard: "Guard", items: Sequence["Item"], *, attacks: Sequence[str] | None = None,
                      seed: int = 0, threshold: float | None = None, file: str = "",
                      batch_size: int = 1) -> dict[str, Any]:
    """Per attack: recall on unsafe items and FPR on safe items, without and with defenses."""
    operators = load_operators()
    names = list(operators) if attacks is None else list(attacks)
    unknown = [a for a in names if a not in operators and a != CLEAN]
    if unknown:
        raise ValueError(f"unknown attacks {unknown}; known: {', '.join(operators)}")
    settings = guard.defenses if guard.defenses.enabled else DefenseSettings()
    t = guard.threshold if threshold is None else float(threshold)
    y = np.array([i.label for i in items], dtype=bool)
    rows = []
    start = time.perf_counter()
    for name in [CLEAN, *[a for a in names if a != CLEAN]]:
        if name == CLEAN:
            texts = [i.text for i in items]
        else:
            op = operators[name]
            texts = [op(i.text, random.Random(f"{seed}:{name}:{i.line}")) for i in items]
        scores = guard.score(texts, [i.role for i in items], contexts=[i.context for i in items],
                             defenses=settings, batch_size=batch_size)
        plain = np.array([s.plain[0] for s in scores]) >= t
        defended = np.array([s.defended[0] for s in scores]) >= t
        rows.append({
            "attack": name,
            "recall": {"plain": _rate(plain[y]), "defended": _rate(defended[y])},
            "fpr": {"plain": _rate(plain[~y]), "defended": _rate(defended[~y])},
            "with_views": float(np.mean([s.views > 0 for s in scores])) if scores else None,
        })
    return {
        "model": guard.model_id, "file": file, "threshold": t, "seed": seed,
        "n_unsafe": int(y.sum()), "n_safe": int((~y).sum()), "defenses": settings.to_dict(),
        "seconds": round(time.perf_counter() - start, 1), "attacks": rows,
    }


def _rate(flags: np.ndarray) -> float | None:
    return float(flags.mean()) if flags.size else None


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def robustness_markdown(report: dict[str, Any], command: str = "") -> str:
    """The report as a markdown table (one row per attack)."""
    out = [f"# Robustness: {report['model']}", ""]
    if command:
        out += [f"Command: `{command}`", ""]
    out += [f"File `{report['file']}`: {report['n_unsafe']} unsafe and {report['n_safe']} safe lines; "
            f"threshold {report['threshold']:g}; seed {report['seed']}. "
            "Recall is measured on attacked unsafe lines, FPR on attacked safe lines. "
            "\"views\" is the share of attacked lines for which a defense built at least one extra view.",
            "",
            "| attack | recall, no defenses | recall, defenses | FPR, no defenses | FPR, defenses | views |",
            "|---|---:|---:|---:|---:|---:|"]
    for r in report["attacks"]:
        out.append(f"| {r['attack']} | {_pct(r['recall']['plain'])} | {_pct(r['recall']['defended'])} | "
                   f"{_pct(r['fpr']['plain'])} | {_pct(r['fpr']['defended'])} | {_pct(r['with_views'])} |")
    out += ["", "Defenses: " + ", ".join(k for k, v in report["defenses"].items() if v) + ".", ""]
    return "\n".join(out)
