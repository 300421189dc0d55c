"""Can segments count without costing benign FPR? (issue 20, item 5) A measurement, not a change.

Why: the defended score is the max over the plain text's windows, the de-obfuscation views' windows
and the segments' windows (``runtime/scoring/runner.py`` ``to_scores``). Scoring sentences alone
catches a request padded with benign text, but on long real text some sentence alone often scores
high, and yardstick v2 shows the cost (micro: benign FPR on jailbreaks 0.587 with defenses vs 0.423
without). This script scores every yardstick text three ways from the Guard -- all defenses
(``defended``), all but ``segments`` (``views``), and the normalized text alone (``plain``) -- and
composes rules from them exactly, without touching the runtime:

* (a) ``current``: defended;
* (b) ``segments_off``: views;
* (c) ``own_threshold``: segments count only when their score >= ts. Because defended =
  max(views, segments), ``defended > views`` means the max came from a segment whose score *is*
  ``defended``; so the rule's score is ``defended if defended > views and defended >= ts else
  views``. ts is chosen on the TUNE half (grid t..0.995) as the one that minimises the mean benign
  FPR over families while the ``requests`` family's recall stays within 0.01 of the current rule's;
* (d) ``decisive``: the defended score counts only when it crosses the bundle threshold t, else the
  plain score (verdicts at t unchanged by construction; the ranking, so AUPRC, changes);
  ``decisive_segments``: the same for segments only (= (c) at ts = t).

A text the guard flags because it could not fully check it counts as score 1.0 under every rule (as
``guard-cli ood report`` counts it). Families, halves, leak guard, metrics and the score cache are
those of ``guard-cli ood report`` / ``ood threshold`` (imported from ``tinyguard.train.ood``).

Then the cost on attacks (micro by default): ``guard-cli robustness``'s simulation (same attack
operators, the same per-(attack, line) seeds, the same sample) on the yardstick's held-out
``requests`` slice, scored with segments on and off, recall and FPR at t under each rule.

Usage (from the checkout root; minutes on 2 cores, scores cached under --cache):

    nice -n 19 .venv/bin/python tools/segment_rule.py \\
        --records /work/wt/train20/runs/standard-restyle/data/records.jsonl
"""
from __future__ import annotations

import argparse
import random
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tinyguard import Guard
from tinyguard.train.ood import (FAMILY_NAMES, ScoreCache, _metrics, bundle_key, load_families, pooled,
                                 refuse_evaluation_only_leaks, score_both, training_records, write_report)
from tinyguard.train.ood_cli import _load_bundles

TIERS = {"micro": "runtime/models/micro", "standard": "runtime/models/standard"}
RECALL_SLACK = 0.01  # the requests family's recall may drop this much under (c)
GRID_STEP = 0.005
GRID_TOP = 0.995
RULES = ("current", "segments_off", "own_threshold", "decisive", "decisive_segments")
#: attacks where scoring sentences alone matters (padding, run-on, split, wrapped), plus the clean row
DEFAULT_ATTACKS = ("none", "pad_prefix_1", "pad_prefix_40", "pad_prefix_1000", "pad_suffix_1", "pad_suffix_40",
                   "pad_suffix_1000", "run_on", "split_words", "jailbreak", "filler", "tag_smuggling",
                   "embedded_encoding")


def views_guard(guard: Guard, threads: int) -> Guard:
    """The same bundle with every defense of ``guard`` but ``segments`` (its own cache key)."""
    return Guard.load(guard.manifest.path, threads=threads, allow_unsigned=True,
                      defenses=replace(guard.defenses, segments=False))


def own_threshold(d: np.ndarray, v: np.ndarray, ts: float) -> np.ndarray:
    """Segments count only at >= ts: a segment supplied the max exactly when defended > views."""
    return np.where((d > v) & (d >= ts), d, v)


def rule_scores(d: np.ndarray, v: np.ndarray, p: np.ndarray, t: float, ts: float) -> dict[str, np.ndarray]:
    """Each rule's unsafe score from the model's defended / views-only / plain scores ([n] each)."""
    return {"current": d, "segments_off": v, "own_threshold": own_threshold(d, v, ts),
            "decisive": np.where(d >= t, d, p), "decisive_segments": own_threshold(d, v, t)}


def family_scores(guard: Guard, views: Guard, families: dict, cache_dir: Path) -> dict[str, dict[str, Any]]:
    """Per family: records and the raw defended / views / plain unsafe scores, plus the policy mask."""
    on_store, off_store = ScoreCache(cache_dir, bundle_key(guard)), ScoreCache(cache_dir, bundle_key(views))
    out = {}
    for name, slices in families.items():
        recs = pooled(slices)
        if not recs:
            continue
        sc = score_both(guard, recs, on_store, desc=f"{name} (defended)")
        sv = score_both(views, recs, off_store, desc=f"{name} (views)")
        d, v = sc.model_on, sv.model_on
        # plain before the policy: the off column is 1.0 exactly where the policy flags
        p = np.where(sc.policy, np.nan, sc.off[:, 0])
        out[name] = {"records": recs, "d": d, "v": v, "p": p, "policy": sc.policy,
                     "below_views": int((d < v - 1e-6).sum())}
    return out


def with_policy(s: np.ndarray, policy: np.ndarray) -> np.ndarray:
    return np.where(policy, 1.0, s)


def evaluate(scored: dict[str, dict[str, Any]], t: float, ts: float) -> dict[str, Any]:
    """Per rule: per-family AUPRC / recall / benign FPR at t, mean family AUPRC, mean and worst FPR."""
    out: dict[str, Any] = {}
    for rule in RULES:
        fams = {}
        for name, f in scored.items():
            s = with_policy(rule_scores(f["d"], f["v"], f["p"], t, ts)[rule], f["policy"])
            m = _metrics(f["records"], s, t)
            fams[name] = {k: m[k] for k in ("auprc", "recall", "fpr", "unsafe", "safe")}
        auprc = [m["auprc"] for m in fams.values() if m["auprc"] is not None]
        fpr = {n: m["fpr"] for n, m in fams.items() if m["fpr"] is not None}
        out[rule] = {"families": fams, "mean_family_auprc": float(np.mean(auprc)) if auprc else None,
                     "mean_fpr": float(np.mean(list(fpr.values()))) if fpr else None,
                     "worst_fpr": max(fpr.values()) if fpr else None,
                     "worst_fpr_family": max(fpr, key=fpr.get) if fpr else None}
    return out


def choose_ts(scored: dict[str, dict[str, Any]], t: float) -> dict[str, Any]:
    """ts on the tune half: least mean benign FPR with requests recall >= current - RECALL_SLACK."""
    grid = [round(x, 4) for x in np.arange(t, GRID_TOP + 1e-9, GRID_STEP)]
    req = scored["requests"]
    y = np.array([r.label == "unsafe" for r in req["records"]], dtype=bool)

    def recall(s: np.ndarray) -> float:
        return float((with_policy(s, req["policy"])[y] >= t).mean())

    def mean_fpr(fn: Callable[[dict[str, Any]], np.ndarray]) -> float:
        rates = []
        for f in scored.values():
            safe = np.array([r.label == "safe" for r in f["records"]], dtype=bool)
            if safe.any():
                rates.append(float((with_policy(fn(f), f["policy"])[safe] >= t).mean()))
        return float(np.mean(rates))

    base = recall(req["d"])
    rows = [{"ts": ts, "requests_recall": recall(own_threshold(req["d"], req["v"], ts)),
             "mean_fpr": mean_fpr(lambda f, ts=ts: own_threshold(f["d"], f["v"], ts))} for ts in grid]
    ok = [r for r in rows if r["requests_recall"] >= base - RECALL_SLACK - 1e-12]
    best = min(ok, key=lambda r: (round(r["mean_fpr"], 12), r["ts"])) if ok else None
    return {"ts": best["ts"] if best else None, "current_requests_recall": base, "grid": rows,
            "qualifying": len(ok), "note": None if ok else "no ts keeps requests recall within the slack"}


def attack_cost(guard: Guard, views: Guard, file: Path, limit: int, seed: int, attacks: tuple[str, ...],
                t: float, ts: float, cache_dir: Path) -> dict[str, Any]:
    """``guard-cli robustness``'s simulation (operators, seeds, sample), recall/FPR at t per rule."""
    from tinyguard.cli.inputs import read_labelled
    from tinyguard.measure.robustness import CLEAN, UNSAFE_ONLY, load_operators, sample

    operators = load_operators()
    items = sample(read_labelled(str(file)), limit, seed)
    y = np.array([i.label for i in items], dtype=bool)
    cache = cache_dir / f"attacks-{bundle_key(guard)}-{bundle_key(views)}-{seed}-{limit}.npz"
    store: dict[str, np.ndarray] = {}
    if cache.is_file():
        with np.load(cache) as z:
            store = {k: z[k] for k in z.files}
    rows = []
    for name in attacks:
        if name not in store:
            texts = ([i.text for i in items] if name == CLEAN else
                     [operators[name](i.text, random.Random(f"{seed}:{name}:{i.line}")) for i in items])
            roles, ctx = [i.role for i in items], [i.context for i in items]
            on = guard.score(texts, roles, contexts=ctx)
            off = views.score(texts, roles, contexts=ctx)
            store[name] = np.array([[s.defended[0] for s in on], [s.plain[0] for s in on],
                                    [o.defended[0] for o in off], [bool(s.unchecked) for s in on]])
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, **store)
            print(f"  attack {name}: scored", file=sys.stderr)
        d, p, v, unchecked = store[name]
        policy = (unchecked > 0) & (guard.on_unchecked == "flag")
        benign = ~y if name not in UNSAFE_ONLY else np.zeros_like(y)
        row: dict[str, Any] = {"attack": name}
        for rule, s in rule_scores(d, v, p, t, ts).items():
            flagged = with_policy(s, policy) >= t
            row[rule] = {"recall": float(flagged[y].mean()),
                         "fpr": float(flagged[benign].mean()) if benign.any() else None}
        row["plain"] = {"recall": float((p[y] >= t).mean()),
                        "fpr": float((p[benign] >= t).mean()) if benign.any() else None}
        rows.append(row)
    return {"file": str(file), "n_unsafe": int(y.sum()), "n_safe": int((~y).sum()), "seed": seed, "ts": ts,
            "threshold": t, "attacks": rows}


def _f(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown(result: dict[str, Any], command: str) -> str:
    lines = ["# Segments without the benign cost: rules measured on yardstick v2 (issue 20, item 5)", "",
             f"Command: `{command}`", "",
             (__doc__ or "").split("\n\nUsage")[0].split("\n\n", 1)[1], "",
             f"Leak guard: {result['_meta']['leaks_removed']} texts removed (report half), "
             f"{result['_meta']['leaks_removed_tune']} (tune half); cap {result['_meta']['cap']} per label per slice, "
             f"seed {result['_meta']['seed']}. Texts where the defended score fell below the views-only one "
             f"(should be 0): {result['_meta']['below_views']}.", ""]
    for tier, r in result["tiers"].items():
        t, ch = r["threshold"], r["choice"]
        lines += [f"## {tier} (threshold {t:.2f})", "",
                  f"Tune half: current requests recall {_f(ch['current_requests_recall'])}; chosen ts = "
                  f"**{ch['ts']}** ({ch['qualifying']} of {len(ch['grid'])} grid points keep requests recall within "
                  f"{RECALL_SLACK}){'; ' + ch['note'] if ch['note'] else ''}.", "",
                  "| ts (tune half) | requests recall | mean benign FPR |", "|---|---|---|"]
        lines += [f"| {g['ts']:.3f} | {_f(g['requests_recall'])} | {_f(g['mean_fpr'])} |" for g in ch["grid"]]
        rep = r["report"]
        fams = list(rep["current"]["families"])
        lines += ["", "Report half, per rule (own_threshold at the chosen ts):", "",
                  "| rule | mean family AUPRC | mean benign FPR | worst benign FPR | "
                  + " | ".join(f"{f} AUPRC / recall / FPR" for f in fams) + " |",
                  "|---|---|---|---|" + "---|" * len(fams)]
        for rule in RULES:
            m = rep[rule]
            lines.append(f"| {rule} | {_f(m['mean_family_auprc'])} | {_f(m['mean_fpr'])} | {_f(m['worst_fpr'])} "
                         f"({m['worst_fpr_family']}) | " + " | ".join(
                             " / ".join(_f(m["families"][f][k]) for k in ("auprc", "recall", "fpr")) for f in fams)
                         + " |")
        lines.append("")
    for tier, a in result.get("attacks", {}).items():
        lines += [f"## Attack recall, {tier} (held-out requests: {a['n_unsafe']} unsafe + {a['n_safe']} safe, "
                  f"t {a['threshold']:.2f}, own_threshold ts {a['ts']})", "",
                  "Recall / FPR at t. " + result["_meta"]["attack_file_note"], "",
                  "| attack | plain | " + " | ".join(RULES) + " |", "|---|---|" + "---|" * len(RULES)]
        for row in a["attacks"]:
            lines.append(f"| {row['attack']} | " + " | ".join(
                f"{_f(row[k]['recall'])} / {_f(row[k]['fpr'])}" for k in ("plain",) + RULES) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def requests_file(data: Path, path: Path) -> Path:
    """The v1 yardstick's held-out requests slice, as devices/results/robustness-issue21-2026-12-06.md wrote it."""
    from tinyguard.records import write_jsonl
    from tinyguard.train.ood_suite import load_suite

    if not path.is_file():
        suite, _ = load_suite(data, only=("requests",), half="report", cap=300, seed=13)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(suite["requests"], path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--records", type=Path, required=True, help="records.jsonl whose train split joins the leak guard")
    ap.add_argument("--tier", action="append", choices=list(TIERS), help="tiers to measure (default: both)")
    ap.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--cap", type=int, default=300, help="texts per label per slice, as `ood report`")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("runs/ood-cache"), help="score cache (shared with `ood report`)")
    ap.add_argument("--attack-tier", action="append", choices=list(TIERS), help="tiers for the attack cost (default: micro)")
    ap.add_argument("--no-attacks", action="store_true", help="skip the attack cost")
    ap.add_argument("--attacks", default=",".join(DEFAULT_ATTACKS), help="comma-separated attack names")
    ap.add_argument("--attack-limit", type=int, default=150, help="unsafe and safe lines each (robustness --limit)")
    ap.add_argument("--attack-seed", type=int, default=0, help="robustness --seed")
    ap.add_argument("--requests-file", type=Path, default=Path("runs/seg20/requests.jsonl"))
    ap.add_argument("--out", type=Path, default=Path("train/reports/segment-rule.md"))
    args = ap.parse_args()
    tiers = args.tier or list(TIERS)
    attack_tiers = [] if args.no_attacks else (args.attack_tier or ["micro"])

    loaded = _load_bundles(tuple(f"{n}={TIERS[n]}" for n in TIERS), args.threads)  # both: one leak guard, as the tiers report
    trained, _ = training_records([g.manifest for _, _, g in loaded], args.data_dir, args.records)
    refuse_evaluation_only_leaks(trained, args.data_dir)
    halves = {h: load_families(args.data_dir, cap=args.cap, seed=args.seed, trained=trained, half=h)
              for h in ("tune", "report")}
    assert "requests" in FAMILY_NAMES
    result: dict[str, Any] = {"tiers": {}, "attacks": {}}
    below = 0
    for name, _path, guard in loaded:
        if name not in tiers and name not in attack_tiers:
            continue
        views = views_guard(guard, args.threads)
        t = guard.threshold
        print(f"{name}: {guard.model_id} at {t}", file=sys.stderr)
        tune = family_scores(guard, views, halves["tune"][0], args.cache)
        choice = choose_ts(tune, t)
        ts = choice["ts"] if choice["ts"] is not None else t
        if name in tiers:
            report = family_scores(guard, views, halves["report"][0], args.cache)
            below += sum(f["below_views"] for f in (*tune.values(), *report.values()))
            result["tiers"][name] = {"model": guard.model_id, "threshold": t, "choice": choice,
                                     "report": evaluate(report, t, ts), "tune": evaluate(tune, t, ts)}
        if name in attack_tiers:
            file = requests_file(args.data_dir, args.requests_file)
            result["attacks"][name] = attack_cost(guard, views, file, args.attack_limit, args.attack_seed,
                                                  tuple(a for a in args.attacks.split(",") if a), t, ts,
                                                  args.cache.parent / "seg20")
    command = "python tools/segment_rule.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    result["_meta"] = {
        "command": command, "cap": args.cap, "seed": args.seed, "below_views": below,
        "leaks_removed": sum(sum(v.values()) for v in halves["report"][1].values()),
        "leaks_removed_tune": sum(sum(v.values()) for v in halves["tune"][1].values()),
        "attack_file_note": f"`{args.requests_file}` is the v1 yardstick's held-out `requests` slice (report half, "
                            "cap 300, seed 13, as in devices/results/robustness-issue21-2026-12-06.md), sampled like "
                            f"`guard-cli robustness --limit {args.attack_limit} --seed {args.attack_seed}`; every "
                            "attacked text scored with segments on and off, the rules composed as above."}
    write_report(args.out, result, markdown(result, command))
    print(markdown(result, command))


if __name__ == "__main__":
    main()
