"""A round's attack: attackers trained against guard r-1, their verified novel successes harvested,
the harvest curated. Each is a stage of the round folder (``attacker/``, ``harvest/``, ``curate/``).

The LLM attacker's module (``policy``: torch) is imported only when ``[attacker]`` is on."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any, Callable

import numpy as np

from tinyguard.records import Record, write_json_lines, write_jsonl
from ..candidates import read_candidates, write_candidates
from ..curation import curate
from ..stage import hash_files
from .bandit import Bandit, bandit_attempts, load_bandits, make_arms, save_bandits, train_bandit
from .config import GOALS
from .harvest import NoveltyIndex, harvest_rows, select, to_candidate
from .rewards import Attempt, Scored, Scorer, disagreement, score_attempts
from .run_state import RunState, bundle_hash, sample


class AttackStages(RunState):
    """Round r's ``attacker/``, ``harvest/`` and ``curate/`` stages."""

    def reward_fn(self, guard: Scorer, index: NoveltyIndex) -> Callable[[list[Attempt]], list[Scored]]:
        return lambda attempts: score_attempts(attempts, self.checks(attempts), guard, self.cfg.rewards, index)

    def novelty(self, before: int) -> NoveltyIndex:
        """What rounds 1..before-1 harvested: a new success must differ from it."""
        return NoveltyIndex.from_files([self.round_dir(k) / "harvest" / "embeddings.npy" for k in range(1, before)])

    def train_attackers(self, r: int, guard: Scorer, guard_hash: str) -> dict:
        cfg, out = self.cfg, self.round_dir(r) / "attacker"
        prev = self.round_dir(r - 1) / "attacker"
        inputs = {"guard": guard_hash, "records": self.inp.records_hash,
                  "previous_adapter": hash_files([prev / "adapter_model.safetensors"]) if r > 1 and cfg.attacker.enabled else ""}
        config = {"attacker": asdict(cfg.attacker), "bandit": asdict(cfg.bandit), "rewards": asdict(cfg.rewards),
                  "seed": cfg.seed, "round": r, "verifier": self.inp.verifier.name, "embed": self.inp.embed_id}

        def run() -> dict:
            counts: dict[str, Any] = {}
            if cfg.attacker.enabled:
                from .policy import train_policy

                att = self.attacker()
                self.load_attacker(r - 1)
                self.echo(f"      attacker: {cfg.attacker.steps} policy-gradient steps ({att.name} + LoRA)")
                log = train_policy(att, self.policy_seeds, self.reward_fn(guard, self.novelty(r)),
                                   seed=cfg.seed + r, progress=self.progress, echo=self.echo)
                att.save(out)
                write_json_lines(log, out / "train_log.jsonl")
                counts["policy_last_step"] = log[-1] if log else {}
                counts["policy_model"] = att.name
            if cfg.bandit.enabled:
                bandits, logs = {}, []
                for g in GOALS:
                    b = Bandit(g, make_arms(g, cfg.bandit), cfg.bandit.exploration)
                    logs += [{"goal": g, **row} for row in train_bandit(
                        b, self.bandit_seeds[g], guard, cfg.bandit.pulls, seed=cfg.seed + r, progress=self.progress)]
                    bandits[g] = b
                    self.echo(f"      bandit {g}: {len(b.arms)} arms, {b.pulls} pulls, best {b.best(1)} "
                              f"(mean reward {b.means().max():.3f})")
                save_bandits(bandits, out / "bandits.json")
                write_json_lines(logs, out / "bandit_log.jsonl")
                counts["bandit_best"] = {g: b.best(3) for g, b in bandits.items()}
            return counts

        return self.stage(out, "adversarial-attacker", inputs, config, run)

    def harvest(self, r: int, guard: Scorer, attacker_hash: str) -> dict:
        cfg, out = self.cfg, self.round_dir(r) / "harvest"
        inputs = {"attacker": attacker_hash, "guard": bundle_hash(self.guard_path(r - 1)),
                  "earlier": hash_files([self.round_dir(k) / "harvest" / "harvest.jsonl" for k in range(1, r)])}
        config = {"harvest": asdict(cfg.harvest), "rewards": asdict(cfg.rewards), "seed": cfg.seed, "round": r,
                  "verifier": self.inp.verifier.name, "embed": self.inp.embed_id}

        def run() -> dict:
            attempts: list[Attempt] = []
            k = cfg.harvest.seeds_per_goal
            if cfg.attacker.enabled:
                from .policy import attempts_from

                self.load_attacker(r)
                for g in GOALS:
                    seeds = sample(self.policy_seeds[g], k, f"{cfg.seed}:{r}:harvest:{g}")
                    attempts += attempts_from(self.attacker(), g, seeds, cfg.attacker.harvest_samples,
                                              seed=cfg.seed * 100 + r)
            if cfg.bandit.enabled:
                bandits = load_bandits(self.round_dir(r) / "attacker" / "bandits.json")
                for g in GOALS:
                    seeds = sample(self.bandit_seeds[g], k, f"{cfg.seed}:{r}:harvest-bandit:{g}")
                    attempts += bandit_attempts(bandits[g], seeds, cfg.bandit.harvest_arms, seed=cfg.seed + r)
            index = self.novelty(r)
            scored = score_attempts(attempts, self.checks(attempts), guard, cfg.rewards, index)
            kept, vectors, dropped = select(scored, cfg.harvest, index, self.inp.embed)
            write_candidates([to_candidate(s, r) for s in kept], out / "harvest.jsonl")
            np.save(out / "embeddings.npy", vectors, allow_pickle=False)
            write_json_lines(harvest_rows(scored, kept, r), out / "attempts.jsonl")
            by = Counter(f"{s.attempt.goal}/{s.attempt.attacker}" for s in kept)
            wins = Counter(f"{s.attempt.goal}/{s.attempt.attacker}" for s in scored if s.success)
            tried = Counter(f"{s.attempt.goal}/{s.attempt.attacker}" for s in scored)
            self.echo(f"      harvest: {len(kept)} of {len(scored)} attempts kept; successes {dict(wins)} "
                      f"of {dict(tried)}; dropped {dict(dropped)}")
            return {"attempts": len(scored), "successes": dict(wins), "tried": dict(tried), "harvested": len(kept),
                    "by_goal_attacker": dict(by), "dropped": dict(dropped), "disagreement": disagreement(scored)}

        return self.stage(out, "adversarial-harvest", inputs, config, run, outputs=("harvest.jsonl",))

    def curate(self, r: int) -> list[Record]:
        """The six curation rounds over the harvest (label votes by the verifier, not the guard)."""
        out = self.round_dir(r) / "curate"
        candidates = list(read_candidates(self.round_dir(r) / "harvest" / "harvest.jsonl"))
        if not candidates:
            self.echo("      curate: nothing harvested this round")
            write_jsonl([], out / "curated.jsonl")
            return []
        verifier = self.inp.verifier

        def teacher_scores(records: list[Record]) -> np.ndarray:
            return verifier([x.text for x in records], [x.role for x in records], [x.context for x in records])

        result = curate(candidates, self.inp.records, self.cfg.curate, out, teacher_scores=teacher_scores,
                        embed=self.inp.embed, judge=self.inp.judge if self.cfg.curate.judge else None,
                        progress=self.progress, teacher_id=verifier.name, embed_id=self.inp.embed_id,
                        force=self.force)
        self.echo(f"      curate: {len(candidates)} harvested -> {len(result.records)} curated "
                  f"(rounds reused: {len(result.reused)})")
        return result.records
