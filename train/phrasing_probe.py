"""The phrasing probe (issue 20, interim until yardstick v2's restyler): one request, two registers.

Why: the seed sets' register predicts their label (harmful sets write formal imperatives, benign
sets casual questions), and a fine-tuned model can learn that instead of the harm. The probe takes
the requests of the yardstick's ``requests`` slice (report half; both labels) whose core is a verb
phrase after "how to" / "steps to" / "ways to", and states each core twice:

- ``formal``: ``Provide detailed step-by-step instructions on how to <core>.``
- ``casual``: ``how do i <core>`` -- lowercase, no punctuation, first person.

It reports recall (harmful) and false-positive rate (benign) in each phrasing at the bundle's
threshold, and the style gap: mean |score(casual) - score(formal)| over the requests. Both
templates are measurement only: the training restyler (:mod:`tinyguard.train.restyle`) shares none
of them (``tests/test_restyle.py`` checks).

Run: ``python -m tinyguard.train.phrasing_probe --bundle NAME=DIR ... --out FILE.md``
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tinyguard import Guard
from tinyguard.atomic import atomic_write_text
from tinyguard.records import Record
from .ood_suite import load_suite
from .registry import default_data_dir

#: "<Verb> [up to four words] how to|steps to|ways to <core>[.?!]"
CORE = re.compile(r"^(?:[A-Z][a-z]+)(?: [a-z-]+){0,4}? (?:how to|steps to|ways to) ([a-z][^.?!]*?)[.?!]?$")
#: the two phrasings of one core, as templates
PROBE_TEMPLATES: dict[str, str] = {
    "formal": "Provide detailed step-by-step instructions on how to {core}.",
    "casual": "how do i {core}",
}


def core_of(text: str) -> str | None:
    """The verb phrase a request asks for, or None when it does not have the probe's shape."""
    m = CORE.match(" ".join(text.split()))
    return m.group(1) if m else None


def phrase(core: str, style: str) -> str:
    """``core`` in one of :data:`PROBE_TEMPLATES` (casual: lowercase, no punctuation, "my")."""
    if style == "casual":
        core = re.sub(r"[^\w\s'-]", "", re.sub(r"\byour\b", "my", core.lower()))
    return PROBE_TEMPLATES[style].format(core=core)


def probe_pairs(records: Sequence[Record]) -> list[tuple[str, str]]:
    """(label, core) for each record with the probe's shape, deduplicated by core."""
    seen: dict[str, str] = {}
    for r in records:
        core = core_of(r.text)
        if core and core.lower() not in seen:
            seen[core.lower()] = r.label
    return [(label, core) for core, label in seen.items()]


def probe_bundle(guard: Any, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Scores of every phrasing of every pair; recall/FPR per phrasing and the style gap."""
    y = np.array([label == "unsafe" for label, _ in pairs])
    scores = {s: np.array([v.score for v in guard.check_batch([phrase(c, s) for _, c in pairs])])
              for s in PROBE_TEMPLATES}
    t = guard.manifest.threshold_for("prompt")  # every phrasing is checked as a prompt
    out: dict[str, Any] = {"threshold": t, "unsafe": int(y.sum()), "safe": int((~y).sum()), "phrasings": {}}
    for s, v in scores.items():
        out["phrasings"][s] = {"recall": float((v[y] >= t).mean()), "fpr": float((v[~y] >= t).mean())}
    gap = np.abs(scores["casual"] - scores["formal"])
    out["style_gap"] = float(gap.mean())
    out["style_gap_unsafe"] = float(gap[y].mean())
    out["style_gap_safe"] = float(gap[~y].mean())
    return out


def probe_markdown(results: dict[str, dict[str, Any]], command: str) -> str:
    names = list(results)
    any_r = next(iter(results.values()))
    lines = ["# Phrasing probe: one request, formal vs casual", "", f"Command: `{command}`", "",
             f"{any_r['unsafe']} harmful and {any_r['safe']} benign requests of the yardstick's `requests` slice "
             "(report half) whose core follows 'how to' / 'steps to' / 'ways to', each stated as "
             f"formal `{PROBE_TEMPLATES['formal']}` and casual `{PROBE_TEMPLATES['casual']}` (lowercase, no "
             "punctuation). Each bundle at its own threshold, defenses on.", "",
             "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    rows = [("threshold", lambda r: r["threshold"]),
            ("recall, formal", lambda r: r["phrasings"]["formal"]["recall"]),
            ("recall, casual", lambda r: r["phrasings"]["casual"]["recall"]),
            ("casual / formal recall", lambda r: r["phrasings"]["casual"]["recall"]
             / max(r["phrasings"]["formal"]["recall"], 1e-9)),
            ("benign FPR, formal", lambda r: r["phrasings"]["formal"]["fpr"]),
            ("benign FPR, casual", lambda r: r["phrasings"]["casual"]["fpr"]),
            ("style gap (mean abs score diff)", lambda r: r["style_gap"]),
            ("style gap, harmful", lambda r: r["style_gap_unsafe"]),
            ("style gap, benign", lambda r: r["style_gap_safe"])]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(f"{get(results[n]):.3f}" for n in names) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tinyguard.train.phrasing_probe", description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", action="append", required=True, help="NAME=DIR or a tier name (repeat)")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True, help="markdown report; a .json twin beside it")
    args = ap.parse_args(argv)
    suite, _ = load_suite(args.data_dir or default_data_dir(), cap=0, only=("requests",), half="report")
    pairs = probe_pairs(suite["requests"])
    results = {}
    for value in args.bundle:
        name, path = value.split("=", 1) if "=" in value else (value, value)
        results[name] = probe_bundle(Guard.load(path, threads=args.threads), pairs)
    command = "python -m tinyguard.train.phrasing_probe " + " ".join(sys.argv[1:] if argv is None else argv)
    atomic_write_text(args.out, probe_markdown(results, command))
    atomic_write_text(args.out.with_suffix(".json"), json.dumps(results, indent=2))
    print(probe_markdown(results, command))


if __name__ == "__main__":
    main()
