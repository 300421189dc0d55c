"""``guard-cli``, the entry point: check texts, evaluate a labelled file, describe a bundle,
measure robustness and speed, calibrate a threshold, sign and verify. Offline, CPU only.

Exit codes: 0 = nothing flagged, 1 = something flagged (``check``), 2 = any error, 3 = some
input lines could not be checked (``check --input --skip-errors``). Every error is one line on
stderr starting ``error: `` (never a traceback), so scripts can rely on it; ``--skip-errors``
turns bad input lines into ``warning: `` lines (and, for ``check``, error records) and goes on.

This module holds the error policy and the command group only. The commands live by family:
:mod:`~tinyguard.cli.check`, :mod:`~tinyguard.cli.measure` (eval, robustness, bench,
calibrate), :mod:`~tinyguard.cli.info`, :mod:`~tinyguard.cli.signing`; shared options in
:mod:`~tinyguard.cli.options`, input in :mod:`~tinyguard.cli.inputs`, human output in
:mod:`~tinyguard.cli.output`. Each imports the model only when run, so ``--help`` is instant.
Commands of the layers above the runtime (training, distillation) come in through the
``tinyguard.commands`` entry-point group, so the runtime never imports them.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Sequence

import click

from tinyguard import __version__
from tinyguard.cli.check import check
from tinyguard.cli.conformance import conformance
from tinyguard.cli.info import info
from tinyguard.cli.measure import bench, calibrate, eval_cmd, robustness
from tinyguard.cli.options import CliError, bundle_option, fail
from tinyguard.cli.signing import add_signing_commands
from tinyguard.errors import one_line
from tinyguard.serve.command import serve

__all__ = ["main", "CliError"]


class _Group(click.Group):
    """A click group whose errors are one ``error: ...`` line and exit 2, never a traceback.

    Commands of the layers above the runtime (entry-point group ``tinyguard.commands``) are
    attached on first need (help, or a name the runtime does not define), so ``guard-cli check``
    does not pay for scanning installed packages at every start."""

    _plugins_loaded = False

    def _load_plugins(self) -> None:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            _add_plugin_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._load_plugins()
        return super().get_command(ctx, cmd_name)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_ARGS_IS_HELP as e:
            click.echo(e.ctx.get_help() if e.ctx else "", color=False)  # bare `guard-cli`
            sys.exit(0)
        except click.ClickException as e:
            msg = one_line(e.format_message())
            if isinstance(e, click.UsageError) and e.ctx is not None:
                msg += f" (see '{e.ctx.command_path} --help')"
            fail(msg)
        except click.exceptions.Abort:
            fail("interrupted")
        except BrokenPipeError:  # e.g. `guard-cli check --input big.txt | head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except (ValueError, TypeError, OSError) as e:  # BundleError joins these below
            fail(one_line(e))
        except Exception as e:  # noqa: BLE001 - the contract is "no traceback, exit 2"
            bundle_error = any(c.__name__ == "BundleError" for c in type(e).__mro__)  # SignatureError too
            fail(one_line(e) if bundle_error else f"{type(e).__name__}: {one_line(e)}")
        sys.exit(rv if isinstance(rv, int) else 0)


_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``guard-cli --version``: the package, then the default model (name, version, folder)."""
    if not value or ctx.resilient_parsing:
        return
    from tinyguard.bundle.folder import BundleError, default_bundle_path, load_bundle  # numpy: only when asked

    click.echo(f"guard-cli (tinyguard) {__version__}")
    path = default_bundle_path()
    try:
        m = load_bundle(path, verify=False)
        click.echo(f"default model: {m.name} {m.version} ({path})")
    except (OSError, ValueError, BundleError) as e:
        click.echo(f"default model: none usable at {path} ({one_line(e)})")
    ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version of tinyguard and of its default model, and exit.")
def main() -> None:
    """tinyguard: an offline safety guard for LLM prompts and responses.

    \b
    Examples:
      guard-cli check "How do I kill a Python process?"
      guard-cli check --bundle STUDENT_BUNDLE --backend gguf "text"
      echo "some text" | guard-cli check -
      guard-cli check --input prompts.txt > verdicts.jsonl
      guard-cli check --role response --context "the question" "the answer"
      guard-cli eval labelled.jsonl
      guard-cli info
      guard-cli robustness labelled.jsonl --output robustness.md
      guard-cli bench --device devices/laptop-x86.toml --out-dir devices/results
      guard-cli calibrate my_data.jsonl --target-fpr 0.01 --out-bundle my-bundle
      guard-cli serve                      # OpenAI's moderation API on http://127.0.0.1:8000

    Reports: --format text|json picks the form, --output FILE writes it to a file.
    Exit codes: 0 nothing flagged, 1 something flagged, 2 error, 3 some input lines not checked.
    """


for _command in (check, eval_cmd, info, robustness, bench, calibrate, serve, conformance):
    main.add_command(_command)
add_signing_commands(main, bundle_option)


def _add_plugin_commands(group: click.Group) -> None:
    """Attach the commands other layers register under the ``tinyguard.commands`` entry-point group
    (training, distillation: see pyproject.toml), so this module never imports them. Each entry
    point is a function ``add(group)``; one that cannot be imported is left out."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="tinyguard.commands"), key=lambda e: e.name):
        try:
            add = ep.load()
        except ImportError:
            continue
        add(group)

