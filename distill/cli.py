"""Commands of the distill layer for ``guard-cli``: ``distill`` (train + export students),
``distill install`` and ``distill report``. Module-level click commands (testable alone with
``CliRunner``); :func:`add_distill_commands` attaches them through the ``tinyguard.commands``
entry point (pyproject.toml), so the runtime never imports this module.

Only click is imported here; torch and friends load inside the commands, so ``guard-cli`` stays
fast and a missing ``train`` extra fails with the exact install line. The group's callback runs
before each subcommand, so all of them run offline (train/offline.py).
"""
from __future__ import annotations

from pathlib import Path

import click

from tinyguard.cli.options import USER_ERRORS, fail, output_option
from tinyguard.train import require_train_extra
from tinyguard.train.offline import offline


@click.group("distill", invoke_without_command=True)
@click.option("--run-dir", type=click.Path(path_type=Path), default=Path("runs/default"), show_default=True,
              help="A pipeline run folder with teacher/ and data/records.jsonl.")
@click.option("--student", "students", multiple=True, metavar="NAME",
              help="Student to distill, as named in the config (repeat; 'all' for every one).")
@click.option("--config", "config_ref", default="default", show_default=True,
              help="Distill config name (distill/configs/NAME.toml: default, tiny) or a TOML path.")
@click.option("--force", is_flag=True, help="Retrain and re-export even if unchanged.")
@click.pass_context
@offline
def distill(ctx: click.Context, run_dir: Path, students: tuple[str, ...], config_ref: str, force: bool) -> None:
    """Distill the run's teacher into tiny students and export their bundles.

    Each student lands in RUN/students/NAME/bundle, a bundle the runtime loads like the
    teacher's (guard-cli check --bundle ...). The export gates fp32↔int8, int8↔.ort and
    int8↔GGUF parity and fails (exit 2) when a gate misses its bound.

    \b
    Examples:
      guard-cli distill --run-dir runs/default --student micro
      guard-cli distill --run-dir runs/default --student all
      guard-cli distill report --run-dir runs/default      # the Pareto table and plot
    """
    if ctx.invoked_subcommand is not None:
        return
    if not students:
        raise click.UsageError("give --student NAME (repeatable) or --student all")
    try:
        require_train_extra("torch", "transformers", "safetensors", "onnx")
        from .config import load_distill_config
        from .stages import distill_student

        cfg = load_distill_config(config_ref)
        names = list(cfg.students) if "all" in students else list(students)
        for name in names:
            cfg.student(name)  # unknown names fail before any work
        for name in names:
            distill_student(run_dir, cfg, name, config_ref=config_ref, force=force, echo=click.echo)
    except USER_ERRORS as e:  # ParityError is a RuntimeError
        fail(e)


@distill.command("install")
@click.option("--run-dir", type=click.Path(path_type=Path), default=Path("runs/default"), show_default=True)
@click.option("--student", required=True, help="Student whose bundle becomes a shipped tier's model.")
@click.option("--tier", type=click.Choice(["micro", "standard"]), default="micro", show_default=True,
              help="The tier it replaces (runtime/models/<tier>; see tinyguard.bundle.tiers).")
@click.option("--with-artifacts", is_flag=True,
              help="Also ship the .ort and GGUF files (3x the size); by default only the int8 ONNX.")
def install(run_dir: Path, student: str, tier: str, with_artifacts: bool) -> None:
    """Install a distilled student as a shipped tier's model (default: runtime/models/micro).

    \b
    Example:
      guard-cli distill install --run-dir runs/default --student micro1
    """
    from tinyguard.bundle.folder import read_bundle
    from tinyguard.bundle.tiers import tier_path

    from ..export.install import install_bundle

    src = run_dir / "students" / student / "bundle"
    try:
        if not src.is_dir():
            raise FileNotFoundError(f"no student bundle {src}: run guard-cli distill --student {student} first")
        made = read_bundle(src).reproduce or f"guard-cli distill --run-dir {run_dir} --student {student}"
        reproduce = f"{made}\nguard-cli distill install --run-dir {run_dir} --student {student} --tier {tier}"
        dst = install_bundle(src, tier_path(tier), artifacts=with_artifacts, reproduce=reproduce)
    except USER_ERRORS as e:
        fail(e)
    click.echo(f"installed {src} as the {tier} tier: {dst} (unsigned: every load refuses it until guard-cli sign --bundle {dst} --key PROJECT_PRIVATE_KEY signs it)")


@distill.command("report")
@click.option("--run-dir", type=click.Path(path_type=Path), default=Path("runs/default"), show_default=True,
              help="A run folder with bundle/ and students/*/bundle.")
@output_option("Where pareto.md, pareto.json and pareto.png go.", name="out", metavar="DIR", old=("--out",),
               type=click.Path(path_type=Path), default=Path("distill/reports"), show_default=True)
@click.option("--repeats", type=click.IntRange(10, 100000), default=200, show_default=True,
              help="Timed Guard.check calls per text length.")
def report(run_dir: Path, out: Path, repeats: int) -> None:
    """Size / speed / accuracy of the teacher and every student (markdown + plot).

    Run it on an otherwise idle machine: latency is measured at 1 thread, throughput at 2.

    \b
    Example:
      guard-cli distill report --run-dir runs/default --output distill/reports
    """
    try:
        require_train_extra("onnx", "matplotlib")
        from .report import build_report

        build_report(run_dir, out, repeats=repeats, echo=click.echo)
    except USER_ERRORS as e:
        fail(e)
    click.echo(f"wrote {out / 'pareto.md'} and {out / 'pareto.png'}")


def add_distill_commands(main: click.Group) -> None:
    """Entry point (``tinyguard.commands``): attach ``distill`` and its subcommands to ``guard-cli``."""
    main.add_command(distill)
