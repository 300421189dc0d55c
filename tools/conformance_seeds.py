"""Seed texts for ``guard-cli conformance export``: prompts and responses (with the prompt they
answer) from seed sets under MIT, Apache-2.0 or CC0 only, so the conformance file that ships in a
bundle carries nothing a permissive licence does not allow. Each line names its source and licence.
Its output is the seed file every export uses (tinyguard.measure.conformance.SEEDS_FILE):

    .venv/bin/python tools/conformance_seeds.py --output runtime/data/conformance-seeds.jsonl.gz
    guard-cli conformance export --pin && guard-cli sign --key KEY   # (the export does both steps' first)
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys

from tinyguard.train.registry import default_data_dir, source_module

SETS = {  # source -> texts taken (prompts and responses as the loader gives them)
    "advbench": 60, "strongreject": 50, "awesome_chatgpt_prompts": 50, "arena_hard": 50,
    "oasst_eval_prompts": 60, "self_instruct": 50, "mtbench_vicuna": 30, "do_not_answer": 120,
    "cyberseceval_attacks": 40, "coconot": 60,
}
MAX_CHARS = 1500


def lines() -> list[str]:
    """One JSON object a line: text, role, source, licence (and context for a response)."""
    out: list[str] = []
    rng = random.Random(24)
    data = default_data_dir()
    for name, n in SETS.items():
        module = source_module(name)
        if module.LICENCE_CLASS != "permissive" or not module.LICENCE.startswith(("MIT", "Apache", "CC0")):
            raise SystemExit(f"{name}: licence {module.LICENCE} is not MIT, Apache-2.0 or CC0")
        records = [r for r in module.load(data) if len(r.text) <= MAX_CHARS and len(r.context) <= MAX_CHARS]
        for r in rng.sample(records, min(n, len(records))):
            obj = {"text": r.text, "role": r.role, "source": name, "licence": module.LICENCE}
            if r.context:
                obj["context"] = r.context
            out.append(json.dumps(obj, ensure_ascii=False) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", help="write gzip here (the same texts give the same bytes); default stdout")
    args = parser.parse_args()
    text = "".join(lines())
    if args.output is None:
        sys.stdout.write(text)
        return
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    with open(args.output, "wb") as f:
        f.write(buf.getvalue())


if __name__ == "__main__":
    main()
