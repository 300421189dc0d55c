"""Training commands for ``guard-cli`` (data build, train, pipeline).

Only click is imported here; torch and friends load inside the commands, so the runtime
CLI stays fast and a missing ``train`` extra fails with the exact install line.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click


def _fail(e: BaseException) -> None:
    click.echo(f"error: {' '.join(str(e).split())}", err=True)
    sys.exit(2)


def _data_dir_option(f):
    return click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                        help="Seed data folder (default: $TINYGUARD_DATA or ../shared/data).")(f)


def add_training_commands(main: click.Group) -> None:
    """Attach the training commands to the ``guard-cli`` group."""

    @main.group()
    def data() -> None:
        """Seed data: build records.jsonl from the licence-tagged sets."""

    @data.command("build")
    @_data_dir_option
    @click.option("--out", type=click.Path(path_type=Path), default=Path("runs/data"), show_default=True,
                  help="Output folder for records.jsonl, validation.jsonl, stats.md.")
    @click.option("--config", "config_ref", default="default", show_default=True,
                  help="Pipeline config name (train/configs/NAME.toml) or path.")
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
          guard-cli data build --out runs/data
          guard-cli data build --licence-class permissive --licence-class share-alike
        """
        from dataclasses import replace

        from .config import load_config
        from .registry import default_data_dir

        try:
            from . import require_train_extra

            require_train_extra("datasketch", "tqdm")
            cfg = load_config(config_ref).data
            if licence_classes:
                cfg = replace(cfg, licence_classes=tuple(licence_classes))
            from .dataset import build

            s = build(data_dir or default_data_dir(), out, cfg, force=force)
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            _fail(e)
        click.echo(f"wrote {out / 'records.jsonl'}: {s['total']} records; report {out / 'stats.md'}")

    @main.command("pipeline")
    @click.option("--config", "config_ref", default="default", show_default=True,
                  help="Config name (tiny, default) or a TOML path.")
    @click.option("--run-dir", type=click.Path(path_type=Path), default=None,
                  help="Where stages write (default: runs/<config name>).")
    @_data_dir_option
    @click.option("--install-default", is_flag=True,
                  help="Copy the resulting bundle over the bundled default model.")
    @click.option("--force", is_flag=True, help="Rerun every stage even if unchanged.")
    def pipeline(config_ref: str, run_dir: Path | None, data_dir: Path | None, install_default: bool,
                 force: bool) -> None:
        """Rebuild a bundle from the seed data: data → teacher → export → eval.

        Stages are resumable: a stage whose inputs and config are unchanged is reused.

        \b
        Examples:
          guard-cli pipeline --config tiny                 # CI-sized, a few minutes
          guard-cli pipeline --config default --install-default
        """
        from .config import load_config
        from .registry import default_data_dir

        try:
            cfg = load_config(config_ref)
            from .pipeline import run_pipeline

            run_pipeline(cfg, run_dir or Path("runs") / cfg.name, data_dir or default_data_dir(),
                         config_ref=config_ref, install_default=install_default, force=force,
                         echo=click.echo)
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            _fail(e)
