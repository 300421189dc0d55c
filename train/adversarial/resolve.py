"""From an adversarial config to the :class:`~.run_state.Inputs` of a run: the base run's records,
guard 0, the verifier bundle, the frozen MiniLM embedder, the attacker and the judge.

The LLM attacker's module (``policy``: torch) is imported only when ``[attacker]`` is on."""
from __future__ import annotations

from pathlib import Path

from tinyguard.bundle.folder import default_bundle_path
from tinyguard.bundle.tiers import resolve_model
from tinyguard.records import read_jsonl
from ..config import GeneratorConfig, PipelineConfig
from ..consistency import restyle_pairs
from ..embeddings import EMBED_ID, sentence_embedder
from ..generators import LazyGenerator
from ..stage import hash_files
from .config import AdversarialConfig
from .rewards import BundleScorer
from .run_state import Inputs


def bundle_path(value: str, fallback: Path) -> Path:
    """"default" = the bundled model, "" = ``fallback``, a tier name (micro, standard) = that tier,
    else a folder; it must hold a bundle."""
    path = resolve_model(None if value == "default" else value) if value else Path(fallback)
    if not (path / "manifest.json").is_file():
        raise FileNotFoundError(f"{path} is not a bundle (no manifest.json)")
    return path


def teacher_behind_guard0(cfg: AdversarialConfig, base: Path) -> Path | None:
    """The teacher folder guard 0 came from, where a [retrain] warm start begins, or None when unknown.
    Known when guard 0 is the base run's bundle (guard0 empty), or the student the rounds attack
    (``student`` set: guard 0 is that student distilled from the base run's teacher)."""
    known = not cfg.guard0 or bool(cfg.student)
    return base / "teacher" if known and (base / "teacher" / "model.safetensors").is_file() else None


def resolve_inputs(cfg: AdversarialConfig, pipeline: PipelineConfig, *, data_dir: Path | None) -> Inputs:
    base = Path(cfg.base_run) if cfg.base_run else Path("runs") / pipeline.name
    records_path = base / "data" / "records.jsonl"
    if not records_path.is_file():
        raise FileNotFoundError(f"no {records_path}: run `guard-cli pipeline --config {cfg.pipeline} --run-dir {base}` "
                                "first, or set base_run in the adversarial config")
    paths = [records_path]
    records = list(read_jsonl(records_path))
    curated = base / "curate" / "curated.jsonl"
    if curated.is_file():  # the base run's curated synthetic records train every round's guard too
        records += list(read_jsonl(curated))
        paths.append(curated)
    guard0 = bundle_path(cfg.guard0, base / "bundle")
    teacher0 = teacher_behind_guard0(cfg, base)
    verifier_path = bundle_path(cfg.rewards.verifier_bundle or cfg.curate.teacher_bundle or "default",
                                default_bundle_path())
    make_attacker = None
    if cfg.attacker.enabled:
        from .policy import load_attacker

        make_attacker = lambda: load_attacker(cfg.attacker)  # noqa: E731 (loaded only when a round trains)
    judge = None
    if cfg.rewards.judge or cfg.curate.judge:
        judge = LazyGenerator(GeneratorConfig(**cfg.judge_generator))
    candidates = base / "augment" / "candidates.jsonl"
    pairs = restyle_pairs(records, candidates) if pipeline.teacher.consistency_weight > 0 and candidates.is_file() else []
    return Inputs(records=records, records_hash=hash_files(paths), guard0=guard0, pairs=pairs,
                  verifier=BundleScorer(verifier_path, cfg.threads), embed=sentence_embedder(cfg.threads, progress=False),
                  embed_id=EMBED_ID, make_attacker=make_attacker, judge=judge, data_dir=data_dir,
                  licence_classes=list(pipeline.data.licence_classes), teacher0=teacher0,
                  records_from=" + ".join(str(p) for p in paths))
