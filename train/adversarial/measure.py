"""Measuring guard r (``roundR/eval/``): attack success of attacker r against guards r-1 and r on
validation-split seeds, benign false-positive rates, the robustness set and (when configured) the
out-of-distribution yardstick. Round 0 measures guard 0 the same way, without attacks.

The LLM attacker's module (``policy``: torch) is imported only when ``[attacker]`` is on."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from tinyguard.bundle.folder import read_bundle
from tinyguard.measure.metrics import slice_metrics
from tinyguard.records import write_json_lines
from ..ablation import build_robustness_set
from ..ood import evaluate_bundle
from ..ood_suite import load_suite
from ..stage import write_json_atomic
from .bandit import bandit_attempts, load_bandits
from .config import GOALS
from .rewards import Attempt, BundleScorer, Scorer, disagreement, role_threshold, score_attempts
from .run_state import RunState, bundle_hash


class MeasureStages(RunState):
    """Round r's ``eval/`` stage."""

    _suite: Any = None  # the OOD suite, loaded once per run

    def measure(self, r: int) -> dict[str, Any]:
        """Attack success of attacker r vs guards r-1 and r (r >= 1), robustness, benign FPR, OOD."""
        out = self.run_dir / f"round{r}" / "eval"
        inputs = {"guard": bundle_hash(self.guard_path(r)), "records": self.inp.records_hash,
                  "previous": bundle_hash(self.guard_path(r - 1)) if r else "",
                  "attacker": self.attacker_hash(r) if r else ""}
        config = {"measure": asdict(self.cfg.measure), "harvest": asdict(self.cfg.harvest),
                  "rewards": asdict(self.cfg.rewards), "seed": self.cfg.seed}

        def run() -> dict:
            metrics: dict[str, Any] = {"round": r, "guard": str(self.guard_path(r))}
            new = BundleScorer(self.guard_path(r), self.cfg.threads)
            metrics["model"] = new.name
            if r:
                old = BundleScorer(self.guard_path(r - 1), self.cfg.threads)
                metrics["attack_success"], rows, dis = self.attack_success(r, old, new)
                write_json_lines(rows, out / "attempts.jsonl")
                metrics["disagreement"] = dis
            m = read_bundle(self.guard_path(r)).metrics
            metrics["benign_fpr"] = {"validation": m.get("validation", {}).get("fpr"),
                                     "hard_negatives": m.get("hard_negatives", {}).get("fpr")}
            if self.cfg.measure.robustness_per_label:
                metrics["robustness"] = self.robustness(new)
            if self.cfg.measure.ood:
                metrics["ood"] = self.ood(new)
            write_json_atomic(out / "metrics.json", metrics)
            return {"summary": summary_line(metrics)}

        counts = self.stage(out, "adversarial-eval", inputs, config, run, outputs=("metrics.json",))
        self.echo(f"      {counts['summary']}")
        return counts

    def attack_success(self, r: int, old: Scorer, new: Scorer) -> tuple[dict, list[dict], dict]:
        """Success rates per attacker and goal on validation seeds, against the old and new guard."""
        cfg = self.cfg
        attempts: list[Attempt] = []
        if cfg.attacker.enabled:
            from .policy import attempts_from

            self.load_attacker(r)
            for g in GOALS:
                attempts += attempts_from(self.attacker(), g, self.eval_policy[g], cfg.attacker.harvest_samples,
                                          seed=cfg.seed * 7 + r)
        if cfg.bandit.enabled:
            bandits = load_bandits(self.round_dir(r) / "attacker" / "bandits.json")
            for g in GOALS:
                attempts += bandit_attempts(bandits[g], self.eval_bandit[g], 1, seed=cfg.seed * 7 + r)
        checks = self.checks(attempts)
        vs = {"previous": score_attempts(attempts, checks, old, cfg.rewards),
              "current": score_attempts(attempts, checks, new, cfg.rewards)}
        rates: dict[str, Any] = {}
        for attacker in ("policy", "bandit"):
            for g in GOALS:
                for which, scored in vs.items():
                    mine = [s for s in scored if s.attempt.attacker == attacker and s.attempt.goal == g]
                    if mine:
                        rates[f"{attacker}/{g}/{which}"] = {
                            "n": len(mine), "success": round(float(np.mean([s.success for s in mine])), 4),
                            "verified": round(float(np.mean([s.checks.verified for s in mine])), 4)}
        rows = [{**a.to_dict(), "guard_score_current": round(b.guard_score, 4), "success_current": b.success}
                for a, b in zip(vs["previous"], vs["current"])]
        return rates, rows, disagreement(vs["previous"])

    def robustness(self, guard: BundleScorer) -> dict[str, Any]:
        records = build_robustness_set(self.validation, self.cfg.measure.robustness_per_label, self.cfg.seed)
        scores = guard([x.text for x in records], [x.role for x in records], [x.context for x in records])
        return slice_metrics(records, scores, np.array([role_threshold(guard, x.role) for x in records]))

    def ood(self, guard: BundleScorer) -> dict[str, Any]:
        if self._suite is None:
            if self.inp.data_dir is None:
                raise ValueError("[measure] ood = true needs the seed data folder (--data-dir)")
            trained = [x for x in self.inp.records if x.split == "train"]
            self._suite, _ = load_suite(self.inp.data_dir, cap=self.cfg.measure.ood_cap, seed=self.cfg.seed,
                                        trained=trained, half="report")
        result = evaluate_bundle(guard.guard, self._suite, progress=self.progress)
        return {"headline": result["headline"], "slices": result["slices"]}


def summary_line(m: dict[str, Any]) -> str:
    """One line per measured guard, for the console and the round manifest."""
    parts = [f"guard {m['round']} ({m['model']})"]
    for key, v in sorted(m.get("attack_success", {}).items()):
        parts.append(f"{key} {v['success']:.2f}")
    fpr = m.get("benign_fpr", {})
    if fpr.get("validation") is not None:
        parts.append(f"validation FPR {fpr['validation']:.3f}")
    if fpr.get("hard_negatives") is not None:
        parts.append(f"hard-negative FPR {fpr['hard_negatives']:.3f}")
    if m.get("robustness"):
        parts.append(f"robustness F1 {m['robustness']['f1'] or 0:.3f} FPR {m['robustness']['fpr']:.3f}")
    if m.get("ood"):
        h = m["ood"]["headline"]
        parts.append(f"OOD mean AUPRC {h['mean_auprc'] or 0:.3f} benign FPR {h['benign_fpr'] or 0:.3f}")
    return "; ".join(parts)
