"""Write a tier's measured figures into its bundle (manifest ``metrics.tier`` and MODEL_CARD.md).

Why a script: the figures come from two commands anyone can rerun -- ``guard-cli bench --device
devices/tier-<tier>.toml --format json`` and ``python -m tinyguard.train.phrasing_probe`` -- and
this copies them, with those commands, into the bundle, so ``guard-cli info`` and the card state
them. The bundle's hashes are re-pinned and its signature dropped: sign it again afterwards.

    python scripts/tier_figures.py --tier standard --bench BENCH.json --probe PROBE.json --probe-name NAME
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from tinyguard.bundle.tiers import tier_path
from tinyguard.export.model_card import refresh_model_card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tier", required=True)
    ap.add_argument("--bench", type=Path, required=True, help="guard-cli bench --format json output")
    ap.add_argument("--probe", type=Path, required=True, help="the phrasing probe's .json")
    ap.add_argument("--probe-name", required=True, help="this tier's NAME in the probe's --bundle NAME=...")
    ap.add_argument("--probe-command", required=True)
    args = ap.parse_args()
    bench = json.loads(args.bench.read_text(encoding="utf-8"))
    probe = json.loads(args.probe.read_text(encoding="utf-8"))[args.probe_name]
    ref = bench.get("reference") or {}
    tier = {"tier": args.tier,
            "bench": {"bundle_mb": bench["bundle_size_mb"], "p50_ms_32": bench["summary"]["p50_ms_32"],
                      "ratio": ref.get("ratio"), "reference_model": ref.get("model"), "cpu": bench["cpu"],
                      "command": bench["command"], "date": bench["date"],
                      "budgets_met": (bench.get("device") or {}).get("all_met")},
            "phrasing": {"unsafe": probe["unsafe"], "safe": probe["safe"],
                         "recall_formal": probe["phrasings"]["formal"]["recall"],
                         "recall_casual": probe["phrasings"]["casual"]["recall"],
                         "fpr_formal": probe["phrasings"]["formal"]["fpr"],
                         "fpr_casual": probe["phrasings"]["casual"]["fpr"],
                         "style_gap": probe["style_gap"], "command": args.probe_command}}
    refresh_model_card(tier_path(args.tier), {"tier": tier})
    print(f"wrote metrics.tier into {tier_path(args.tier)}; sign it again")


if __name__ == "__main__":
    main()
