"""The adversarial report: per-round curves (markdown table + ``curves.png``), the attackers
compared, how often the label signals disagree, and harvested examples to read.

The examples are a seeded random sample of each round's harvest per goal (not the best-rewarded
ones), with seed, text, reward, guard score and every signal, so a reader can judge whether the
attacker learned to attack or learned to game the checks.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tinyguard.atomic import atomic_open, atomic_write_text
from tinyguard.errors import one_line

from ..stage import MANIFEST, recorded
from .config import GOALS, AdversarialConfig

ATTACK_KEYS = [(a, g, w) for a in ("policy", "bandit") for g in GOALS for w in ("previous", "current")]


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _f(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _cell(text: str, limit: int = 220) -> str:
    """``text`` as a markdown table cell: one line, pipes escaped, at most ``limit`` characters."""
    return one_line(str(text).replace("|", "\\|"), limit)


def load_rounds(run_dir: Path, rounds: int) -> list[dict[str, Any]]:
    out = []
    for r in range(rounds + 1):
        path = run_dir / f"round{r}" / "eval" / "metrics.json"
        if path.is_file():
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def plot(metrics: list[dict[str, Any]], path: Path) -> None:
    """Left: attack success per round (vs guard r-1 solid, vs guard r dashed). Right: guard r's quality."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    attacked = [m for m in metrics if m.get("attack_success")]
    colours = {(a, g): f"C{i}" for i, (a, g) in enumerate((a, g) for a in ("policy", "bandit") for g in GOALS)}
    for attacker, goal, which in ATTACK_KEYS:
        key = f"{attacker}/{goal}/{which}"
        pts = [(m["round"], m["attack_success"][key]["success"]) for m in attacked if key in m["attack_success"]]
        if pts:
            left.plot(*zip(*pts), marker="o", linestyle="-" if which == "previous" else "--",
                      color=colours[(attacker, goal)],
                      label=f"{attacker} {goal} vs guard {'r-1' if which == 'previous' else 'r'}")
    rounds = [m["round"] for m in metrics]
    for ax in (left, right):
        ax.set_xticks(rounds)
    left.set(title="attack success rate", xlabel="round r", ylim=(-0.02, 1.02))
    left.legend(fontsize=7)
    series = {"robustness F1": lambda m: (m.get("robustness") or {}).get("f1"),
              "robustness FPR": lambda m: (m.get("robustness") or {}).get("fpr"),
              "validation FPR": lambda m: m["benign_fpr"].get("validation"),
              "hard-negative FPR": lambda m: m["benign_fpr"].get("hard_negatives"),
              "OOD mean AUPRC": lambda m: ((m.get("ood") or {}).get("headline") or {}).get("mean_auprc"),
              "OOD benign FPR": lambda m: ((m.get("ood") or {}).get("headline") or {}).get("benign_fpr")}
    for name, get in series.items():
        pts = [(m["round"], get(m)) for m in metrics if get(m) is not None]
        if pts:
            right.plot(*zip(*pts), marker="o", label=name)
    right.set(title="guard r", xlabel="round r (0 = the starting guard)", ylim=(-0.02, 1.02))
    right.legend(fontsize=7)
    fig.tight_layout()
    with atomic_open(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)


def write_report(run_dir: Path, cfg: AdversarialConfig, *, command: str) -> dict[str, Any]:
    """Write ``report.md`` and ``curves.png`` from the round folders; return the summary."""
    run_dir = Path(run_dir)
    metrics = load_rounds(run_dir, cfg.rounds)
    plot(metrics, run_dir / "curves.png")
    first = run_dir / "round1" / "attacker"
    model = recorded(first, "counts").get("policy_model") if (first / MANIFEST).is_file() else None
    model = model or cfg.attacker.model or "SmolLM2-135M-Instruct"
    lines = [f"# Adversarial rounds: {cfg.name}", "", f"Command: `{command}`", "",
             f"{cfg.rounds} rounds. Attackers: "
             + ", ".join(n for n, on in ((f"LoRA policy on {model} "
                                          f"({cfg.attacker.steps} REINFORCE steps per round)", cfg.attacker.enabled),
                                         (f"UCB1 bandit over rule-operator compositions ({cfg.bandit.pulls} pulls "
                                          "per goal per round)", cfg.bandit.enabled)) if on)
             + ". Attack success = verified (every label signal agrees) and the guard wrong, measured on "
             f"{cfg.harvest.eval_seeds_per_goal} validation-split seeds per goal; harvests come from train-split seeds.",
             ""] + _setup(run_dir) + ["## Per round", "", "![curves](curves.png)", ""]
    head = ["round", "guard"] + [f"{a} {g} vs {'r-1' if w == 'previous' else 'r'}" for a, g, w in ATTACK_KEYS] + \
        ["robustness F1 / FPR", "validation FPR", "hard-neg FPR", "OOD AUPRC / benign FPR"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in metrics:
        asr = m.get("attack_success", {})
        cells = [str(m["round"]), f"`{m['model']}`"]
        cells += [_f(asr[f"{a}/{g}/{w}"]["success"], 2) if f"{a}/{g}/{w}" in asr else "–" for a, g, w in ATTACK_KEYS]
        rob = m.get("robustness") or {}
        cells.append(f"{_f(rob.get('f1'))} / {_f(rob.get('fpr'))}" if rob else "–")
        cells += [_f(m["benign_fpr"].get("validation")), _f(m["benign_fpr"].get("hard_negatives"))]
        h = (m.get("ood") or {}).get("headline")
        cells.append(f"{_f(h.get('mean_auprc'))} / {_f(h.get('benign_fpr'))}" if h else "–")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + _ood_verdict(metrics) + _signals(metrics) + _rounds_detail(run_dir, cfg) + \
        _examples(run_dir, cfg)
    atomic_write_text(run_dir / "report.md", "\n".join(lines) + "\n")
    return {"rounds": metrics}


def _setup(run_dir: Path) -> list[str]:
    """Guard 0, the label signals and the retrain recipe (RUN/setup.json, written when the run starts)."""
    path = run_dir / "setup.json"
    if not path.is_file():
        return []
    s = json.loads(path.read_text(encoding="utf-8"))
    judge = s.get("judge") or "off"
    lines = [f"Guard 0: `{s['guard0']}`. Label signals: verifier `{s['verifier']}` (never the attacked guard), "
             f"similarity by {s['embed']}, rule checks, judge {judge}"
             + (f" (curation's round 4 judge: {s['curation_judge']})" if s.get("curation_judge") else "") + ". "
             f"Seeds: {s['records']} records ({s['seed_pools']['train_unsafe']} short English unsafe and "
             f"{s['seed_pools']['train_safe']} safe train-split prompts to attack). Each guard r: {s['retrain']}."]
    if s.get("warm_start"):
        lines[0] += (" Guard r has had more training steps than guard r-1, so a change between them mixes the "
                     "adversarial records with those extra steps on seed data; a run with `harvest.seeds_per_goal "
                     "= 0` (nothing harvested) measures the extra steps alone.")
    return lines + [""]


def _ood_verdict(metrics: list[dict[str, Any]]) -> list[str]:
    scored = [(m["round"], m["ood"]["headline"]["mean_auprc"]) for m in metrics
              if (m.get("ood") or {}).get("headline", {}).get("mean_auprc") is not None]
    if len(scored) < 2 or scored[0][0] != 0:
        return ["The out-of-distribution yardstick was not measured ([measure] ood = false): no round can "
                "replace the default bundle on this run's evidence.", ""]
    base = scored[0][1]
    best = max(scored[1:], key=lambda x: x[1])
    lines = [f"Out-of-distribution mean AUPRC: guard 0 {base:.3f}; "
             + "; ".join(f"round {r} {v:.3f} ({v - base:+.3f})" for r, v in scored[1:]) + ". "]
    lines[0] += (f"Round {best[0]} beats guard 0: a candidate for the default bundle." if best[1] > base else
                 "No round beats guard 0: keep the current default.")
    return lines + [""]


def _signals(metrics: list[dict[str, Any]]) -> list[str]:
    lines = ["## Label signals: how often they disagree", "",
             "Over the measured LLM attempts of each round (bandit texts keep their label by construction and are "
             "not gated; the verifier's audit of them follows the table). *against*: votes that the intended label does not hold; pairs: share of attempts, "
             "where both voted, on which the two signals disagree.", "",
             "| round | attempts | similarity against | verifier against / abstained | judge against | rules against | "
             "pairwise disagreement |", "|---|---|---|---|---|---|---|"]
    for m in metrics:
        d = m.get("disagreement")
        if not d:
            continue
        s = d["signals"]
        pairs = "; ".join(f"{k} {v['disagree']}/{v['both_voted']}" for k, v in d["pairs"].items()) or "–"
        lines.append(f"| {m['round']} | {d['attempts']} | {s['similarity']['against']}/{s['similarity']['voted']} | "
                     f"{s['verifier']['against']}/{s['verifier']['voted']} / {s['verifier']['abstained']} | "
                     f"{s['judge']['against']}/{s['judge']['voted']} | {s['rules']['against']}/{s['rules']['voted']} | "
                     f"{pairs} |")
    lines.append("")
    for m in metrics:
        c = (m.get("disagreement") or {}).get("construction")
        if c and c["asked"]:
            lines.append(f"Round {m['round']}, bandit texts (label by construction, not gated): the verifier votes "
                         f"against the intended label on {c['verifier_against']} of {c['asked']} and abstains on "
                         f"{c['verifier_abstained']}.")
    return lines + [""]


def _rounds_detail(run_dir: Path, cfg: AdversarialConfig) -> list[str]:
    lines = ["## What each round did", ""]
    for r in range(1, cfg.rounds + 1):
        rdir = run_dir / f"round{r}"
        if not (rdir / "harvest" / MANIFEST).is_file():  # the round has not got this far: nothing to say
            continue
        h = recorded(rdir / "harvest", "counts")
        log = _rows(rdir / "attacker" / "train_log.jsonl")
        a = recorded(rdir / "attacker", "counts")
        curated = len(_rows(rdir / "curate" / "curated.jsonl"))
        lines.append(f"**Round {r}.** ")
        if log:
            lines[-1] += (f"Policy: mean reward {log[0]['reward']:.3f} at step 1 → {log[-1]['reward']:.3f} at step "
                          f"{log[-1]['step']}, KL to the reference {log[-1]['kl']:.4f}. ")
        if a.get("bandit_best"):
            lines[-1] += "Bandit's best arms: " + "; ".join(f"{g}: {', '.join(v)}" for g, v in a["bandit_best"].items()) + ". "
        lines[-1] += (f"Harvest: {h['harvested']} of {h['attempts']} attempts (successes {h['successes']}, "
                      f"dropped {h['dropped'] or 'none'}); {curated} kept by curation "
                      f"([report](round{r}/curate/report.md)).")
        lines.append("")
    return lines


def _examples(run_dir: Path, cfg: AdversarialConfig) -> list[str]:
    n = cfg.measure.examples
    lines = [f"## Harvested examples (a seeded sample of up to {n} per round and goal)", ""]
    for r in range(1, cfg.rounds + 1):
        rows = [x for x in _rows(run_dir / f"round{r}" / "harvest" / "attempts.jsonl") if x["harvested"]]
        for g in GOALS:
            mine = [x for x in rows if x["goal"] == g]
            if not mine:
                lines += [f"### Round {r}, {g}: nothing harvested", ""]
                continue
            sample = random.Random(f"{cfg.seed}:{r}:{g}:report").sample(mine, min(n, len(mine)))
            lines += [f"### Round {r}, {g}: {len(sample)} of {len(mine)}", "",
                      "| attacker | seed | harvested text | reward | guard | sim | verifier | judge |",
                      "|---|---|---|---|---|---|---|---|"]
            for x in sample:
                who = x["attacker"] + (f" `{x['arm']}`" if x["arm"] else "")
                lines.append(f"| {who} | {_cell(x['seed'], 120)} | {_cell(x['text'])} | {x['reward']:.3f} | "
                             f"{x['guard_score']:.3f} | {_f(x['similarity'], 2)} | {_f(x['verifier'], 2)} | "
                             f"{x['judge'] or '–'} |")
            lines.append("")
    return lines
