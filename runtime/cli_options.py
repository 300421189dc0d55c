"""What every ``guard-cli`` command shares: the one-line error, the common options, the report
options (``--format``/``--output``, with the old spellings as hidden aliases) and loading the guard.

Why one place: a flag that means one thing should be spelled one way in every command. Reports
are chosen with ``--format text|json`` and written with ``--output FILE``; a folder or bundle a
command writes is named for what it is (``--out-dir``, ``--out-bundle``). The spellings of
earlier releases (``--json``, ``--out``) still parse but are left out of ``--help``.

The guard (numpy, onnxruntime) is imported by :func:`load_guard` when a command runs, so
``import tinyguard.cli`` and ``--help`` stay free of them.
"""
from __future__ import annotations

import functools
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

import click

from tinyguard.atomic import atomic_write_text
from tinyguard.signing_cli import trusted

if TYPE_CHECKING:
    from tinyguard.guard import Guard


class CliError(click.ClickException):
    """A user-facing error: printed as one ``error: ...`` line, exit code 2."""

    exit_code = 2


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


class RenamedOption(click.Option):
    """An option whose earlier spellings (``old``) still parse but are not shown in ``--help``."""

    def __init__(self, *args: Any, old: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.old = tuple(old)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown, self.opts = self.opts, [o for o in self.opts if o not in self.old]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


bundle_option = click.option(
    "--model", "--bundle", "bundle", metavar="TIER|DIR", default=None,
    help="A model tier shipped with tinyguard (micro, standard; `guard-cli info` lists them) or a "
         "bundle folder (default: the default tier). --bundle and --model are the same option.")
backend_option = click.option(
    "--backend", type=click.Choice(["auto", "onnx", "gguf"]), default="auto", show_default=True,
    help="Score with onnxruntime (the bundle's ONNX model) or llama.cpp (its GGUF model; needs "
         "pip install 'tinyguard[gguf]'). auto: ONNX when the bundle has it, else GGUF.")
threshold_option = click.option(
    "--threshold", type=click.FloatRange(0.0, 1.0), default=None, metavar="F",
    help="Flag when score >= F (default: the bundle's threshold; see `guard-cli info` for presets).")
no_defenses_option = click.option(
    "--no-defenses", is_flag=True,
    help="Score the normalized text only, without the de-obfuscation views (for measurement).")
skip_errors_option = click.option(
    "--skip-errors", is_flag=True,
    help="Go on past input lines that cannot be checked: check writes an {\"line\": N, \"error\": ...} "
         "record for each (and exits 3), eval/calibrate/robustness leave them out; all warn on stderr.")


def output_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--output", "output", metavar="FILE", default=None, help=help)


def report_options(text: str = "a table") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format text|json`` (default text: ``text`` says what that is) and ``--output FILE``,
    plus the hidden ``--json`` of earlier releases (= ``--format json``). The command receives
    ``fmt`` ("text" or "json") and ``output`` (None: stdout); write with :func:`emit`."""
    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def command(*args: Any, fmt: str | None, as_json: bool, **kwargs: Any) -> Any:
            if as_json and fmt == "text":
                raise click.UsageError("--json and --format text disagree; give one")
            return f(*args, fmt="json" if as_json else fmt or "text", **kwargs)

        command = click.option("--json", "as_json", is_flag=True, hidden=True)(command)
        command = output_option("Write the report to FILE instead of stdout (atomically: FILE is "
                                "never left half-written).")(command)
        return click.option("--format", "fmt", type=click.Choice(["text", "json"]), default=None,
                            help=f"text: {text} (the default); json: one JSON object with everything.")(command)
    return decorate


def emit(text: str, output: str | None) -> None:
    """``text`` (plus a newline) to stdout, or to FILE written atomically."""
    if output is None:
        click.echo(text)
        return

    atomic_write_text(output, text + "\n")


def check_output(path: str | None) -> None:
    """Fail now, before minutes of scoring, when ``--output FILE`` could not be written."""
    if path is None:
        return
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CliError(f"output path is a folder: {path}")
    if not os.path.isdir(parent):
        raise CliError(f"output folder does not exist: {parent}")


def load_guard(bundle: str | None, defenses: bool = True, threads: int | None = None,
               backend: str = "auto", trusted_keys: Sequence[str] = (), **policy: Any) -> "Guard":
    from tinyguard.guard import Guard

    try:  # policy: max_chars, min_coverage, on_unchecked (see tinyguard.policy_cli)
        return Guard.load(bundle, defenses=defenses, threads=threads, backend=backend,
                          trusted_keys=trusted(trusted_keys), **policy)
    except ImportError as e:  # backend gguf without llama-cpp-python: the message has the install line
        raise CliError(one_line(e)) from None


def command_line() -> str:
    """How this process was started, as a shell line (recorded in reports)."""
    args = [os.path.basename(sys.argv[0]) or "guard-cli", *sys.argv[1:]]
    if args[0] in ("__main__.py", "-c"):
        args[0] = "guard-cli"
    return " ".join(shlex.quote(a) for a in args)
