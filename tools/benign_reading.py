"""False alarms of the reading rules on benign text (issue 21): how often benign prompts are
"not fully checked" (a sentence in another language, a stretch still encoded, a script the model
cannot read) and how often they are flagged, with all defenses, with the reworded view off, and
with none.

Usage (from a checkout whose venv imports tinyguard; /work/shared/data or --data-dir):

    python tools/benign_reading.py --n 400 --out devices/results/benign-reading.json

Runs on any tinyguard version (one without the ``words`` defense reports it as n/a), so the same
command measures before and after a change. Sets: gsm8k test questions (numbers, formulas),
GPTeacher code instructions with their input and answer (code, URLs), Alpaca instructions.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
from pathlib import Path

from tqdm import tqdm

from tinyguard import Guard
from tinyguard.scoring.defenses import DefenseSettings


def benign_sets(data_dir: Path, n: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    gsm = [json.loads(line)["question"] for line in
           (data_dir / "gsm8k/grade_school_math_data_test.jsonl").read_text(encoding="utf-8").splitlines()]
    code = json.loads((data_dir / "gpteacher/Codegen_codegen-instruct.json").read_text(encoding="utf-8"))
    code = [f"{r['instruction']}\n{r['input']}\n{r['response']}".strip() for r in code]
    alpaca = json.loads((data_dir / "alpaca_instructions/alpaca_instructions.json").read_text(encoding="utf-8"))
    alpaca = [r["instruction"] for r in alpaca]
    return {name: rng.sample(texts, min(n, len(texts))) for name, texts in
            (("gsm8k", gsm), ("gpteacher_code", code), ("alpaca", alpaca))}


def measure(guard: Guard, texts: list[str], name: str) -> dict[str, object]:
    has_words = "words" in {f.name for f in dataclasses.fields(DefenseSettings)}
    out: dict[str, object] = {"texts": len(texts)}
    verdicts = [guard.check(t) for t in tqdm(texts, desc=name, leave=False)]
    out["unchecked"] = round(sum(bool(v.unchecked) for v in verdicts) / len(texts), 4)
    out["flagged_defenses"] = round(sum(v.flagged for v in verdicts) / len(texts), 4)
    out["flagged_by_reworded_view"] = round(sum(v.flagged and v.view == "reworded" for v in verdicts) / len(texts), 4) \
        if has_words else None
    scores = guard.score(texts, defenses=DefenseSettings.off())
    out["flagged_no_defenses"] = round(sum(s.plain[0] >= guard.threshold for s in scores) / len(texts), 4)
    if has_words:
        no_words = guard.score(texts, defenses=DefenseSettings(words=False))  # type: ignore[call-arg]
        out["flagged_score_without_reworded"] = round(sum(s.defended[0] >= guard.threshold for s in no_words)
                                                      / len(texts), 4)
    out["examples_unchecked"] = [t[:120] for t, v in zip(texts, verdicts) if v.unchecked][:5]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--n", type=int, default=400, help="texts per set")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    guard = Guard.load(threads=1)
    result = {"model": guard.model_id, "n": args.n, "seed": args.seed,
              "sets": {name: measure(guard, texts, name) for name, texts in benign_sets(args.data_dir, args.n,
                                                                                        args.seed).items()}}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
