"""Score ``guard-cli robustness``'s attacked texts with *another* tinyguard (an older checkout),
to put a before column next to the table of the current one.

Why a script: an older runtime has neither :mod:`tinyguard.measure.attacks` nor the same robustness
command, so this loads the attacks from this checkout's file and scores with whatever
``tinyguard`` is importable (defenses on), same sample and seeds as ``guard-cli robustness``.

    mkdir /tmp/old && git worktree add --detach /tmp/old/src c9c1134^
    ln -s /tmp/old/src/runtime /tmp/old/tinyguard && ln -s /tmp/old/src/train /tmp/old/src/runtime/train
    PYTHONPATH=/tmp/old python scripts/robustness_before.py runs/default/data/validation.jsonl --limit 300
"""
from __future__ import annotations

import argparse
import importlib.util
import random
from pathlib import Path

import numpy as np

from tinyguard import Guard
from tinyguard.cli.main import _read_jsonl
from tinyguard.measure.operators import OPERATORS, UNSAFE_ONLY
from tinyguard.measure.robustness import sample


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("attacks", Path(__file__).resolve().parent.parent / "runtime" / "measure" / "attacks.py")
    assert spec and spec.loader
    attacks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(attacks)
    guard = Guard.load(threads=1)
    items = sample(_read_jsonl(args.file, "prompt", "", labelled=True), args.limit, args.seed)
    ops = {**OPERATORS, **attacks.ATTACKS}
    y = np.array([i.label for i in items], dtype=bool)
    print(f"{guard.model_id}: {int(y.sum())} unsafe, {int((~y).sum())} safe lines\n")
    print("| attack | recall | FPR |\n|---|---:|---:|")
    for name in ["none", *ops]:
        texts = [i.text if name == "none" else ops[name](i.text, random.Random(f"{args.seed}:{name}:{i.line}"))
                 for i in items]
        scores = guard.score(texts, [i.role for i in items], contexts=[i.context for i in items])
        flagged = np.array([s.defended[0] >= guard.threshold for s in scores])
        fpr = "n/a" if name in UNSAFE_ONLY else f"{100 * flagged[~y].mean():.1f}%"
        print(f"| {name} | {100 * flagged[y].mean():.1f}% | {fpr} |", flush=True)


if __name__ == "__main__":
    main()
