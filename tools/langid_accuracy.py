"""Accuracy, start-up and speed of the language detector (:mod:`tinyguard.scoring.languages`) on the
languages of the seed data, sentence by sentence, as the guard calls it (issue 21).

Usage: python tools/langid_accuracy.py [--data-dir /work/shared/data] [--n 300] [--out FILE.json]

Per language: the share of its sentences the guard calls (enough Latin letters, no code-like
character: Chinese is never called, script coverage reads it as unread), of those the share
called that language, and the share of all its sentences a bundle trained on English only
counts as unread. For English benign text (gsm8k,
GPTeacher code, Alpaca), the share of sentences called a language other than English: each such
call would make a benign text "not fully checked". xsafety is read here for measurement only
(its licence class keeps it out of training).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from tqdm import tqdm

from tinyguard.scoring.languages import LANGUAGES, MIN_CONFIDENCE, called, detect, foreign_spans, identifier
from tinyguard.scoring.segments import sentence_spans


def sentences(texts: list[str]) -> list[str]:
    out = []
    for t in texts:
        out += [t[a:b] for a, b in sentence_spans(t)]
    return out


def load(data_dir: Path, n: int, seed: int) -> tuple[dict[str, list[str]], list[str]]:
    rng = random.Random(seed)

    def take(texts: list[str]) -> list[str]:
        texts = [t.strip() for t in texts if t and t.strip()]
        return rng.sample(texts, min(n, len(texts)))
    langs: dict[str, list[str]] = {}
    for locale, code in (("en_us", "en"), ("fr_fr", "fr")):
        path = data_dir / f"ailuminate_demo/airr_official_1.0_demo_{locale}_prompt_set_release.csv"
        with path.open(encoding="utf-8") as f:
            langs[f"{code} (ailuminate_demo)"] = take([r["prompt_text"] for r in csv.DictReader(f)])
    for prefix, code in (("de", "de"), ("fr", "fr"), ("sp", "es"), ("en", "en")):
        lines: list[str] = []
        for path in sorted((data_dir / "xsafety").glob(f"{prefix}_*.csv")):
            with path.open(encoding="utf-8-sig") as f:
                lines += [row[0] for row in csv.reader(f) if row]
        langs[f"{code} (xsafety)"] = take(lines)
    for name, code in (("vietnamese", "vi"), ("chinese", "zh"), ("english", "en")):
        d = json.loads((data_dir / f"harmfulqa_catqa/harmful_questions_catqa_{name}.json").read_text(encoding="utf-8"))
        langs[f"{code} (harmfulqa_catqa)"] = take([q for c in d.values() for s in c.values() for q in s])
    gsm = [json.loads(line)["question"] for line in
           (data_dir / "gsm8k/grade_school_math_data_test.jsonl").read_text(encoding="utf-8").splitlines()]
    code = json.loads((data_dir / "gpteacher/Codegen_codegen-instruct.json").read_text(encoding="utf-8"))
    alpaca = json.loads((data_dir / "alpaca_instructions/alpaca_instructions.json").read_text(encoding="utf-8"))
    english = take(gsm) + take([f"{r['instruction']}\n{r['input']}\n{r['response']}" for r in code]) + \
        take([r["instruction"] for r in alpaca])
    return langs, english


def startup_ms() -> dict[str, float]:
    """Import of py3langid, and load of its model with the first call (the guard's
    :func:`~tinyguard.scoring.languages.identifier`), in a fresh interpreter, in ms (median of 5),
    and the peak resident memory of that interpreter (MB)."""
    code = ("import time, resource; t=time.perf_counter(); import py3langid.langid; t1=time.perf_counter(); "
            "from tinyguard.scoring.languages import detect; t2=time.perf_counter(); "
            "detect('Where is the train station, please?'); t3=time.perf_counter(); "
            "print((t1-t)*1000, (t3-t2)*1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1e3)")
    runs = [[float(x) for x in subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                              check=True).stdout.split()] for _ in range(5)]
    return {k: round(sorted(r[i] for r in runs)[2], 1) for i, k in enumerate(("import_ms", "load_and_first_call_ms",
                                                                                "peak_rss_mb"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--n", type=int, default=300, help="texts per language and per English benign set")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    import py3langid

    langs, english = load(args.data_dir, args.n, args.seed)
    identifier()
    result: dict[str, object] = {
        "detector": f"py3langid {version('py3langid')}, restricted to {len(LANGUAGES)} languages",
        "languages_set": list(LANGUAGES), "min_confidence": MIN_CONFIDENCE,
        "package_mb": round(sum(p.stat().st_size for p in Path(py3langid.__file__).parent.rglob("*")
                                if p.is_file() and "__pycache__" not in p.parts) / 1e6, 1),
        "startup": startup_ms(), "languages": {}}
    total_s = total_n = 0.0
    for name, texts in tqdm(langs.items(), desc="languages"):
        want = name.split()[0]
        sents = sentences(texts)
        calls = [s for s in sents if called(s)]
        start = time.perf_counter()
        got = [detect(s) for s in calls]
        total_s += time.perf_counter() - start
        total_n += len(calls)
        result["languages"][name] = {  # type: ignore[index]
            "sentences": len(sents), "called": round(len(calls) / max(1, len(sents)), 3),
            "accuracy": round(sum(g == want for g in got) / max(1, len(calls)), 3),
            # what the guard does with it under the default bundle's ["en"]: called and not English
            "unread_if_en_only": round(sum(g not in (None, "en") for g in got) / max(1, len(sents)), 3),
            # texts with any sentence (or, short sentences only, the whole text) unread under ["en"]
            "texts_unread_if_en_only": round(sum(bool(foreign_spans(t, sentence_spans(t), ("en",)))
                                                 for t in texts) / max(1, len(texts)), 3)}
    sents = [s for s in sentences(english) if called(s)]
    foreign = [s for s in sents if detect(s) not in (None, "en")]
    result["english_benign"] = {"texts": len(english), "sentences_called": len(sents),
                                "texts_unread": round(sum(bool(foreign_spans(t, sentence_spans(t), ("en",)))
                                                          for t in english) / len(english), 4),
                                "called_foreign": len(foreign), "rate": round(len(foreign) / max(1, len(sents)), 4),
                                "examples": [s.strip()[:100] for s in foreign[:5]]}
    result["us_per_sentence"] = round(1e6 * total_s / max(1, total_n), 1)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
