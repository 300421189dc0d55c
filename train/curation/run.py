"""The curation driver: six rounds in order, each resumable, then curated.jsonl + report.

Layout of ``out_dir``::

    round1_clean/ … round6_diversity/   candidates.jsonl (survivors, as Candidates),
                                        decisions.jsonl, manifest.json (+ round extras)
    curated.jsonl     the survivors of round 6 as Records (synthetic, split "train")
    decisions.jsonl   every drop / relabel / strip (and the judge-over-teacher keeps), all rounds
    counts.json       before/after counts of every round by method, source, label, category
    report.md         counts, reasons, samples of what each round removed; counts.png, …

A round's manifest (train/stage.py) records the hash of its input file (the previous round's
``candidates.jsonl``, or of the input list for round 1), the hash of the seed records and the
round's config values (plus the teacher / judge / embedder ids the caller gives), and is
written last: a rerun with the same inputs and config reuses the round's files instead of
running it again, and the next round then sees an unchanged input too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from tinyguard.records import Record, write_jsonl
from ..candidates import Candidate, read_candidates, write_candidates
from ..config import CurateConfig
from ..stage import Stage, hash_files, hash_lines, write_json_atomic
from . import clean, diversity, failures, near_dup, noise, verify
from .common import Decision, Embed, RoundContext, TeacherScores, count, read_rows, summarize, write_rows
from .report import write_report

if TYPE_CHECKING:
    from ..generators.base import Generator

ROUNDS: tuple[ModuleType, ...] = (clean, near_dup, failures, verify, noise, diversity)
CANDIDATES, DECISIONS = "candidates.jsonl", "decisions.jsonl"


@dataclass
class CurationResult:
    records: list[Record]  # curated synthetic records (split "train")
    decisions: list[Decision]  # every logged decision, all rounds, in order
    counts: dict[str, Any]  # what counts.json holds
    out_dir: Path
    ran: list[str]  # round folders run this time
    reused: list[str]  # round folders whose finished output was reused


def round_dir(out_dir: Path, k: int, mod: ModuleType) -> Path:
    return Path(out_dir) / f"round{k}_{mod.NAME}"


class _MemoTeacher:
    """Scores each (role, context, text) once per run: rounds 4 and 5 both ask the teacher."""

    def __init__(self, fn: TeacherScores) -> None:
        self.fn, self.cache, self.calls = fn, {}, 0

    def __call__(self, records: list[Record]) -> np.ndarray:
        keys = [(r.role, r.context, r.text) for r in records]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            first = {k: r for k, r in zip(keys, records)}
            p = np.asarray(self.fn([first[k] for k in todo]), dtype=np.float64).reshape(-1)
            if p.shape[0] != len(todo):
                raise ValueError(f"teacher_scores returned {p.shape[0]} scores for {len(todo)} records")
            self.cache.update(zip(todo, p.tolist()))
            self.calls += 1
        return np.array([self.cache[k] for k in keys], dtype=np.float64)


def _round_config(k: int, mod: ModuleType, cfg: CurateConfig, ids: dict[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = {"round": k, "version": mod.VERSION}
    config.update({key: getattr(cfg, key) for key in mod.CONFIG_KEYS})
    if mod is verify:
        config.update(teacher=ids["teacher"], judge=ids["judge"] if cfg.judge else "")
    elif mod is noise:
        config.update(teacher=ids["teacher"])
    elif mod is diversity:
        config.update(embed=ids["embed"])
    return json.loads(json.dumps(config))


def _round_counts(before: list[Candidate], kept: list[Candidate], decisions: list[Decision],
                  extra: dict[str, Any]) -> dict[str, Any]:
    by_action = {a: count(d.reason for d in decisions if d.action == a) for a in ("drop", "relabel", "strip", "keep")}
    return {"before": summarize(before), "after": summarize(kept),
            "dropped": by_action["drop"], "relabelled": by_action["relabel"], "stripped": by_action["strip"],
            "noted_keeps": by_action["keep"],
            "dropped_by_method": count(f"{d.method}/{d.reason}" for d in decisions if d.action == "drop"),
            "extra": extra}


def curate(candidates: list[Candidate], seed: list[Record], cfg: CurateConfig, out_dir: Path, *,
           teacher_scores: TeacherScores, embed: Embed, judge: "Generator | None" = None,
           progress: bool = True, teacher_id: str = "", embed_id: str = "",
           force: bool = False) -> CurationResult:
    """Run the six curation rounds over ``candidates`` and write ``out_dir`` (see module doc).

    ``seed`` is the real data (train *and* validation splits): dedup and near-dup compare
    against all of it, round 5 pools it with the synthetic records. ``teacher_scores`` maps
    records to unsafe probabilities [N]; ``embed`` maps texts to embeddings [N, D]; ``judge``
    is an optional generator used greedily as the second label voter. ``teacher_id`` /
    ``embed_id`` (and the judge's ``name``) name the models in the round manifests, so a
    different model reruns the rounds that use it. ``force`` reruns every round.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = {"teacher": teacher_id, "embed": embed_id,
           "judge": str(getattr(judge, "name", type(judge).__name__)) if judge is not None else ""}
    seed = list(seed)
    seed_hash = hash_lines(r.to_json() for r in seed)
    teacher = _MemoTeacher(teacher_scores)
    current = list(candidates)
    input_hash = hash_lines(c.to_json() for c in current)
    input_summary = summarize(current)

    ran, reused, all_decisions, rounds = [], [], [], []
    for k, mod in enumerate(ROUNDS, 1):
        rdir = round_dir(out_dir, k, mod)
        stage = Stage(f"curate-{k}-{mod.NAME}", rdir, {"candidates": input_hash, "seed": seed_hash},
                      _round_config(k, mod, cfg, ids), outputs=(CANDIDATES, DECISIONS))
        ran_now: list[bool] = []  # set by work(): Stage.run decides whether the round runs

        def work() -> dict[str, Any]:  # called (or not) right here, so the loop variables are this round's
            ctx = RoundContext(seed=seed, cfg=cfg, teacher_scores=teacher, embed=embed, judge=judge,
                               progress=progress, extras_dir=rdir)
            result = mod.run(current, ctx)
            write_candidates(result.kept, rdir / CANDIDATES)
            write_rows(rdir / DECISIONS, (d.to_dict() for d in result.decisions))
            ran_now.append(True)
            return _round_counts(current, result.kept, result.decisions, result.counts)

        counts = stage.run(work, force=force)
        (ran if ran_now else reused).append(rdir.name)
        current = list(read_candidates(rdir / CANDIDATES))  # the round's output, run now or before
        decisions = [Decision(**d) for d in read_rows(rdir / DECISIONS)]
        input_hash = hash_files([rdir / CANDIDATES])
        all_decisions.extend(decisions)
        rounds.append({"round": k, "name": mod.NAME, **counts})

    records = [replace(c.record, split="train") for c in current]
    write_jsonl(records, out_dir / "curated.jsonl")
    write_rows(out_dir / DECISIONS, (d.to_dict() for d in all_decisions))
    totals = {"input": input_summary, "final": summarize(current), "rounds": rounds,
              "seed": {"total": len(seed), "by_split": count(r.split or "train" for r in seed),
                       "by_label": count(r.label for r in seed)},
              "decisions": count(f"{d.action}/{d.reason}" for d in all_decisions),
              "teacher_calls_this_run": teacher.calls}
    write_json_atomic(out_dir / "counts.json", totals)
    seed_issues_path = round_dir(out_dir, 5, noise) / noise.SEED_ISSUES
    seed_issues = read_rows(seed_issues_path) if seed_issues_path.is_file() else []
    write_report(out_dir, totals, all_decisions, seed_issues)
    return CurationResult(records, all_decisions, totals, out_dir, ran, reused)
