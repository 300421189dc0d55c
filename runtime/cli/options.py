"""What every ``guard-cli`` command shares, in every layer (the runtime's commands and those the
training, distillation and pipeline layers attach): the one-line error and its exit code, the
common options, the report options (``--format``/``--output``, with the old spellings as hidden
aliases) and loading the guard.

Why one place: a flag that means one thing should be spelled one way in every command. Reports
are chosen with ``--format text|json``; what a command writes is named with ``--output`` (a
file or a folder), except where a command writes two things and names the second for what it
is (``bench --out-dir``, ``calibrate --out-bundle``). The spellings of earlier releases
(``--json``, ``--out``) still parse but are left out of ``--help``. Runs above the runtime
share ``--config``, ``--run-dir`` and ``--data-dir``.

The guard (numpy, onnxruntime) is imported by :func:`load_guard` when a command runs, so
``import tinyguard.cli.main`` and ``--help`` stay free of them.
"""
from __future__ import annotations

import functools
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Sequence

import click

from tinyguard.atomic import atomic_write_text
from tinyguard.cli.signing import trusted
from tinyguard.errors import one_line

if TYPE_CHECKING:
    from tinyguard.scoring.guard import Guard


#: the failures a command turns into one ``error:`` line (a failed parity gate is a RuntimeError)
USER_ERRORS = (OSError, ValueError, KeyError, RuntimeError)


def fail(e: BaseException | str) -> NoReturn:
    """Print ``error: <one line>`` on stderr and exit 2: the end of every failed command."""
    click.echo(f"error: {one_line(e)}", err=True)
    sys.exit(2)


class CliError(click.ClickException):
    """A user-facing error: printed as one ``error: ...`` line, exit code 2."""

    exit_code = 2


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
    help="Flag when score >= F, prompts and responses alike (default: the bundle's threshold for "
         "the text's role; see `guard-cli info` for both and the presets).")
PRESETS = ("strict", "balanced", "permissive")
preset_option = click.option(
    "--preset", type=click.Choice(PRESETS), default=None,
    help="Flag at one of the bundle's named thresholds (`guard-cli info` lists them): strict flags "
         "more, permissive less. Presets are prompt thresholds; like --threshold, one judges "
         "responses too. Not with --threshold.")
no_defenses_option = click.option(
    "--no-defenses", is_flag=True,
    help="Score the normalized text only, without the de-obfuscation views (for measurement).")
skip_errors_option = click.option(
    "--skip-errors", is_flag=True,
    help="Go on past input lines that cannot be checked: check writes an {\"line\": N, \"error\": ...} "
         "record for each (and exits 3), eval/calibrate/robustness leave them out; all warn on stderr.")


def output_option(help: str, *, name: str = "output", metavar: str = "FILE", old: Sequence[str] = (),
                  **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--output``, where a command writes (passed as ``name``); the spellings ``old`` of
    earlier releases still parse, hidden from ``--help``. ``kwargs`` go to :func:`click.option`."""
    kwargs.setdefault("default", None)
    return click.option("--output", *old, name, cls=RenamedOption, old=old, metavar=metavar, help=help, **kwargs)


def config_option(default: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--config NAME|TOML`` (passed as ``config_ref``)."""
    return click.option("--config", "config_ref", default=default, show_default=True, help=help)


def run_dir_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--run-dir PATH``, default None (the command derives runs/<config name>)."""
    return click.option("--run-dir", type=click.Path(path_type=Path), default=None, help=help)


def data_dir_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--data-dir PATH``: the seed data (None: the training layer's default place)."""
    return click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                        help="Seed data folder (default: $TINYGUARD_DATA or ../shared/data).")(f)


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


def check_output(path: str | None, *inputs: str | None) -> None:
    """Fail now, before minutes of scoring, when ``--output FILE`` could not be written, or when
    it is one of the ``inputs`` (the same file by inode: the same name, a symbolic or a hard
    link), which the atomic rename would replace with the results."""
    if path is None:
        return
    for source in inputs:
        if source is not None and os.path.exists(path) and os.path.exists(source) \
                and os.path.samefile(path, source):
            raise CliError(f"--output {path} is the input file {source}: writing the results there would "
                           f"destroy the input; name another file")
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CliError(f"output path is a folder: {path}")
    if not os.path.isdir(parent):
        raise CliError(f"output folder does not exist: {parent}")


def load_guard(bundle: str | None, defenses: bool = True, threads: int | None = None,
               backend: str = "auto", trusted_keys: Sequence[str] = (), allow_unsigned: bool = False,
               **policy: Any) -> "Guard":
    from tinyguard.scoring.guard import Guard

    try:  # policy: max_chars, min_coverage, on_unchecked (see tinyguard.cli.policy)
        return Guard.load(bundle, defenses=defenses, threads=threads, backend=backend,
                          trusted_keys=trusted(trusted_keys), allow_unsigned=allow_unsigned, **policy)
    except ImportError as e:  # backend gguf without llama-cpp-python: the message has the install line
        raise CliError(one_line(e)) from None


def preset_threshold(guard: "Guard", preset: str | None, threshold: float | None) -> float | None:
    """The threshold a command scores with: ``--threshold``, else the bundle's ``--preset``, else
    None (the bundle's own threshold). Both given, or a preset the bundle lacks: an error."""
    if preset is None:
        return threshold
    if threshold is not None:
        raise click.UsageError("give --threshold or --preset, not both")
    presets = guard.manifest.presets
    if preset not in presets:
        have = ", ".join(sorted(presets)) or "none"
        raise CliError(f"bundle {guard.model_id} has no preset {preset!r} (its presets: {have})")
    return presets[preset]


def command_line() -> str:
    """How this process was started, as a shell line (recorded in reports)."""
    args = [os.path.basename(sys.argv[0]) or "guard-cli", *sys.argv[1:]]
    if args[0] in ("__main__.py", "-c"):
        args[0] = "guard-cli"
    return " ".join(shlex.quote(a) for a in args)
