"""What every command above the runtime shares: one ``error: ...`` line and exit 2 for a failure
the user can fix, and the options several commands take (``--config``, ``--run-dir``, ``--data-dir``). (The offline environment: train/offline.py.)"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

#: the failures a command turns into one ``error:`` line (a failed parity gate is a RuntimeError)
USER_ERRORS = (OSError, ValueError, KeyError, RuntimeError)


def fail(e: BaseException) -> NoReturn:
    """Print ``error: <one line>`` on stderr and exit 2."""
    click.echo(f"error: {' '.join(str(e).split())}", err=True)
    sys.exit(2)


def data_dir_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                        help="Seed data folder (default: $TINYGUARD_DATA or ../shared/data).")(f)


def config_option(default: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--config NAME|TOML`` (passed as ``config_ref``)."""
    return click.option("--config", "config_ref", default=default, show_default=True, help=help)


def run_dir_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--run-dir PATH``, default None (the command derives runs/<config name>)."""
    return click.option("--run-dir", type=click.Path(path_type=Path), default=None, help=help)
