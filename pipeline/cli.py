"""Commands of the pipeline layer for ``guard-cli``: ``pipeline`` (every stage of a run, in order)
and ``adversarial`` (rounds that retrain the guard). Module-level click commands (testable alone
with ``CliRunner``); :func:`add_pipeline_commands` attaches them through the ``tinyguard.commands``
entry point (pyproject.toml), so the runtime never imports this module. Torch loads inside them.
"""
from __future__ import annotations

from pathlib import Path

import click

from tinyguard.cli.options import USER_ERRORS, config_option, data_dir_option, fail, run_dir_option
from ..train.offline import offline
from ..train.registry import default_data_dir
from .adversarial_cli import adversarial


@click.command("pipeline")
@config_option("default", "Config name (tiny, default) or a TOML path.")
@run_dir_option("Where stages write (default: runs/<config name>).")
@data_dir_option
@click.option("--install-default", is_flag=True,
              help="Copy the resulting bundle over the bundled default model.")
@click.option("--force", is_flag=True, help="Rerun every stage even if unchanged.")
@offline
def pipeline(config_ref: str, run_dir: Path | None, data_dir: Path | None, install_default: bool,
             force: bool) -> None:
    """Rebuild a bundle from the seed data: data → [augment → curate] → teacher → export → eval.

    Augment and curate run when the config enables them (e.g. --config synthetic).
    Stages are resumable: a stage whose inputs and config are unchanged is reused.

    \b
    Examples:
      guard-cli pipeline --config tiny                 # CI-sized, a few minutes
      guard-cli pipeline --config default --install-default
    """
    from ..train.config import load_config

    try:
        cfg = load_config(config_ref)
        from .run import run_pipeline

        run_pipeline(cfg, run_dir or Path("runs") / cfg.name, data_dir or default_data_dir(),
                     config_ref=config_ref, install_default=install_default, force=force, echo=click.echo)
    except USER_ERRORS as e:
        fail(e)


#: the pipeline layer's commands
COMMANDS: tuple[click.Command, ...] = (pipeline, adversarial)


def add_pipeline_commands(main: click.Group) -> None:
    """Entry point (``tinyguard.commands``): attach ``pipeline`` and ``adversarial`` to ``guard-cli``."""
    for command in COMMANDS:
        main.add_command(command)
