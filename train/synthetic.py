"""The synthetic-data stages of a run folder: seed records → ``RUN/augment`` (candidates) →
``RUN/curate`` (curated records), shared by ``guard-cli augment`` / ``curate`` and the pipeline."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from tinyguard.bundle.manifest import BundleError
from tinyguard.bundle.tiers import resolve_model
from tinyguard.records import read_jsonl
from tinyguard.scoring.guard import Guard
from ..export.build import score_guard
from .augment import run_augment
from .candidates import read_candidates
from .config import PipelineConfig
from .curation import curate
from .embeddings import EMBED_ID, sentence_embedder
from .generators import LazyGenerator, make_generator


def augment_stage(cfg: PipelineConfig, run_dir: Path, records: list, records_hash: str, *, force: bool = False,
                  progress: bool = True, echo: Callable[[str], None] = print) -> dict:
    """Seed → synthetic candidates (train/augment.py), resumable."""
    return run_augment(records, run_dir / "augment", cfg.augment, records_hash=records_hash,
                       make_generator=lambda: make_generator(cfg.augment.generator, progress=False),
                       force=force, progress=progress, echo=echo)


def curate_stage(cfg: PipelineConfig, run_dir: Path, records: list, *, progress: bool = True,
                 echo: Callable[[str], None] = print) -> tuple[list, dict]:
    """Candidates → curated synthetic records (six rounds, train/curation/), and a summary for the model card."""

    bundle = resolve_model(cfg.curate.teacher_bundle or None)  # a folder, a tier name, or the default tier
    if not (bundle / "manifest.json").is_file():
        raise FileNotFoundError(f"[curate] teacher_bundle {bundle} is not a bundle; build it first "
                                "(guard-cli pipeline --config default --run-dir runs/default) or point it elsewhere")
    try:
        # The run's teacher bundle (unsigned) labels candidates; it guards nothing.
        guard = Guard.load(bundle, threads=cfg.teacher.threads, allow_unsigned=True)
    except BundleError as e:
        raise RuntimeError(f"[curate] teacher_bundle: {e}") from e
    echo(f"      label verification by the teacher bundle {bundle} ({guard.model_id})")
    candidates = list(read_candidates(run_dir / "augment" / "candidates.jsonl"))
    judge = LazyGenerator(cfg.augment.generator) if cfg.curate.judge else None
    try:
        curate(candidates, records, cfg.curate, run_dir / "curate",
               teacher_scores=lambda recs: score_guard(guard, list(recs))[:, 0],
               embed=sentence_embedder(threads=cfg.teacher.threads, progress=progress),
               judge=judge, progress=progress, teacher_id=guard.model_id,
               embed_id=EMBED_ID)
    finally:
        if judge is not None:
            judge.close()
    curated = list(read_jsonl(run_dir / "curate" / "curated.jsonl"))
    counts = json.loads((run_dir / "curate" / "counts.json").read_text(encoding="utf-8"))
    summary = {"generator": cfg.augment.generator.backend + (f" ({cfg.augment.generator.model})"
                                                              if cfg.augment.generator.model else ""),
               "teacher_for_verification": guard.model_id, "candidates": len(candidates),
               "curated": len(curated),
               "rounds": [{"name": f"{r['round']}. {r['name']}", "in": r["before"]["total"],
                           "out": r["after"]["total"]} for r in counts["rounds"]]}
    return curated, summary
