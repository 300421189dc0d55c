"""The ``console`` examples of README.md and every docs/*.md page, run against the bundled default
model, so they cannot drift.

Every fenced block tagged ``console`` in those pages is a set of examples: a line ``$ guard-cli ...``
followed by the output it prints (stdout and stderr, as a terminal shows them). Examples against a
running server -- ``$ curl ... localhost:8000/...`` lines in ``console`` blocks, and ``pycon`` blocks
(``>>> `` statements, each followed by what it prints, run in order in one namespace, as the
``openai`` client is used) -- run against one ``guard-cli serve --port 0`` started for them, with
``localhost:8000`` read as its address. A command may end
with ``; echo "exit $?"``, which adds the exit code as a last line ``exit N``. Only the runtime's
own commands are allowed there (they need no training extra); examples that cannot run here
(training, other bundles) go in ``bash`` blocks instead. Relative paths are read from the
repository root (``examples/labelled.jsonl``); the commands run in a scratch folder, so one that
writes leaves nothing behind.

How outputs are compared (``tests/test_readme.py`` and this script share it): the model name,
version, threshold, verdicts, words and counts must match exactly; a score (the JSON ``score``
and ``category_scores``, and every decimal printed by ``check``, ``eval`` and ``calibrate``) may
differ by ``SCORE_TOLERANCE`` (int8 kernels differ a little between CPUs); ``latency_ms`` may be
anything; a run of spaces matches any run (column widths follow the numbers). The package folder
prints as ``.../tinyguard``. A JSON object is shown indented, floats rounded to 4 decimals.

    python scripts/readme_examples.py            # exit 1 and a diff when an example is stale
    python scripts/readme_examples.py --update   # rewrite every page's outputs from the current default
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shlex
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: what ``guard-cli`` commands a console example may run (the runtime's; no training extra needed)
RUNTIME_COMMANDS = ("check", "eval", "info", "calibrate", "verify", "robustness")
#: commands whose printed decimals are scores or figures computed from scores
SCORED_COMMANDS = ("check", "eval", "calibrate", "robustness", "curl")
SCORE_TOLERANCE = 0.01
#: JSON keys whose value is a timing (never compared)
TIMING_KEYS = ("latency_ms",)
EXIT_SUFFIX = re.compile(r';\s*echo\s+"exit \$\?"\s*$')
#: how server examples name the server; replaced by the address of the one started for them
SERVER_ADDRESS = "localhost:8000"
NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")
JSON_DECIMALS = 4
JSON_WIDTH = 100


@dataclass(frozen=True)
class Example:
    """One ``$ command`` of a console block and the output README shows for it."""

    command: str          # as written after "$ "
    expected: list[str]   # the output lines README shows
    first: int            # index in README's lines of the first output line
    end: int              # index one past the last output line
    readme_line: int      # 1-based line of the "$ " line, for messages
    kind: str = "shell"   # "shell" (a $ line) or "python" (a >>> statement of a pycon block)
    page: str = "README.md"  # the page it is on (README.md or docs/NAME.md), for messages

    @property
    def where(self) -> str:
        """``page line N``: where a reader finds the example."""
        return f"{self.page} line {self.readme_line}"

    @property
    def server(self) -> bool:
        """Whether the example talks to a running server (curl, or the Python client)."""
        return self.kind == "python" or self.command.startswith("curl ")

    @property
    def args(self) -> list[str]:
        """The argument vector after ``guard-cli`` (after nothing, for curl; none for Python)."""
        if self.kind == "python":
            return ["python"]
        words = shlex.split(EXIT_SUFFIX.sub("", self.command))
        if words[:1] == ["curl"]:
            if SERVER_ADDRESS not in self.command:
                raise ValueError(f"{self.where}: a curl example calls {SERVER_ADDRESS}: {self.command}")
            return words
        if not words or words[0] != "guard-cli":
            raise ValueError(f"{self.where}: a console example must run guard-cli: {self.command}")
        if len(words) < 2 or words[1] not in RUNTIME_COMMANDS:
            raise ValueError(f"{self.where}: console examples run the runtime's commands "
                             f"({', '.join(RUNTIME_COMMANDS)}); put others in a bash block: {self.command}")
        return words[1:]

    @property
    def shows_exit(self) -> bool:
        return bool(EXIT_SUFFIX.search(self.command))

    @property
    def subcommand(self) -> str:
        return self.args[0]


def parse(text: str, page: str = "README.md") -> list[Example]:
    """Every example of every ``console`` and ``pycon`` block of ``text`` (the page ``page``), in order."""
    lines = text.split("\n")
    out: list[Example] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```pycon":
            i = _parse_pycon(lines, i, out, page)
            continue
        if lines[i].strip() != "```console":
            i += 1
            continue
        close, starts = _block(lines, i, page, "console", "$ ")
        for k, j in enumerate(starts):
            stop = starts[k + 1] if k + 1 < len(starts) else close
            out.append(Example(lines[j][2:], lines[j + 1:stop], j + 1, stop, j + 1, page=page))
        i = close + 1
    return out


def _block(lines: list[str], i: int, page: str, kind: str, prompt: str) -> tuple[int, list[int]]:
    """(closing line, prompt lines) of the ``kind`` block opening at ``i``; one clear error for a
    block never closed or not starting with its prompt."""
    close = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
    if close is None:
        raise ValueError(f"{page} line {i + 1}: a {kind} block is never closed")
    starts = [j for j in range(i + 1, close) if lines[j].startswith(prompt)]
    if not starts or starts[0] != i + 1:
        raise ValueError(f"{page} line {i + 2}: a {kind} block starts with a '{prompt}' line")
    return close, starts


def _parse_pycon(lines: list[str], i: int, out: list[Example], page: str = "README.md") -> int:
    """The statements of the pycon block opening at ``i`` (each ``>>> `` line with its ``... ``
    lines, then its output lines) appended to ``out``; the index after the block."""
    close, starts = _block(lines, i, page, "pycon", ">>> ")
    for k, j in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else close
        end = j + 1
        while end < stop and lines[end].startswith("... "):
            end += 1
        source = "\n".join([lines[j][4:]] + [ln[4:] for ln in lines[j + 1:end]])
        out.append(Example(source, lines[end:stop], end, stop, j + 1, kind="python", page=page))
    return close + 1


_server: list[Any] = []  # the server the examples of one scratch_dir() call (started on first need)
_namespace: dict[str, Any] = {}  # the pycon examples' variables, shared in README order


def _server_address() -> str:
    """host:port of the server for README's server examples, started on first need."""
    if not _server:
        from tinyguard.serve.process import ServerProcess

        cli = Path(sys.executable).parent / "guard-cli"
        server = ServerProcess([str(cli), "serve", "--port", "0"])
        try:
            server.wait_ready()
        except BaseException:
            server.kill()
            raise
        _server.append(server)
    return _server[0].url.removeprefix("http://")


@contextmanager
def _stop_server() -> Iterator[None]:
    try:
        yield
    finally:
        _namespace.clear()
        while _server:
            server = _server.pop()
            if server.stop() != 0:
                raise RuntimeError("README's example server did not exit 0 after SIGTERM")


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary working folder where ``examples`` is the repository's examples folder, with
    each bundle loaded once per set of load options (see :func:`_loads_once`)."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="readme-examples-") as tmp, _loads_once(), _stop_server():
        (Path(tmp) / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


@contextmanager
def _loads_once() -> Iterator[None]:
    """While open, ``Guard.load`` with the same arguments returns the same Guard. Loading (hashing
    every file, building the onnxruntime session) is most of what a command costs, and nothing
    the commands print depends on it being repeated: no command changes a Guard after loading it."""
    from tinyguard.scoring.guard import Guard

    descriptor, real = Guard.__dict__["load"], Guard.load
    cache: dict[str, Guard] = {}

    def load(*args: Any, **kwargs: Any) -> Guard:
        key = repr((args, sorted(kwargs.items())))
        if key not in cache:
            cache[key] = real(*args, **kwargs)
        return cache[key]

    Guard.load = load  # type: ignore[method-assign]
    try:
        yield
    finally:
        setattr(Guard, "load", descriptor)  # the classmethod itself, not the bound method


def run(example: Example) -> tuple[str, int]:
    """Run ``example`` in this process (as the installed ``guard-cli`` does): its output, stdout and
    stderr interleaved, with package paths shortened, and its exit code. Call inside scratch_dir().
    A server example runs against the one server (curl in a child process, Python in this one)."""
    if example.server:
        return _run_against_server(example)
    from click.testing import CliRunner

    import tinyguard
    from tinyguard.cli.main import main

    result = CliRunner().invoke(main, example.args, prog_name="guard-cli")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise RuntimeError(f"{example.where}: {example.command} raised "
                           f"{type(result.exception).__name__}: {result.exception}") from result.exception
    output = result.output.replace(str(Path(tinyguard.__file__).resolve().parent), ".../tinyguard")
    output = output.replace(str(Path.cwd().resolve()) + os.sep, "")
    return output, result.exit_code


def _run_against_server(example: Example) -> tuple[str, int]:
    import contextlib
    import io
    import shutil
    import subprocess

    address = _server_address()
    if example.kind == "shell":
        if shutil.which("curl") is None:
            raise RuntimeError(f"{example.where}: curl is not installed (apt-get install curl)")
        args = [a.replace(SERVER_ADDRESS, address) for a in example.args]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
        return proc.stdout + proc.stderr, proc.returncode
    out = io.StringIO()
    code = compile(example.command.replace(SERVER_ADDRESS, address), f"<{example.where}>",
                   "single")
    try:
        with contextlib.redirect_stdout(out):
            exec(code, _namespace)  # noqa: S102 - README's own example, run as a reader would
    except Exception as e:
        raise RuntimeError(f"{example.where}: >>> {example.command} raised "
                           f"{type(e).__name__}: {e}") from e
    return out.getvalue(), 0


def render(example: Example, output: str, exit_code: int) -> list[str]:
    """The lines README should show for this output: a lone JSON object indented (floats rounded),
    anything else as printed; then ``exit N`` when the command asks for it.

    Raises ValueError when the command failed (exit 2) and the example does not show its exit code:
    an error must not slip into README as an example's output (an unsigned bundle under
    ``verify``, a file that moved)."""
    if exit_code == 2 and not example.shows_exit:
        raise ValueError(f"{example.where}: $ {example.command} failed (exit 2): "
                         f"{output.strip()[-300:]}")
    body = output.rstrip("\n").split("\n") if output.strip() else []
    if len(body) == 1 and body[0].startswith("{"):
        try:
            obj = json.loads(body[0])
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            body = format_json(obj)
    return body + ([f"exit {exit_code}"] if example.shows_exit else [])


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, JSON_DECIMALS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def format_json(obj: dict[str, Any]) -> list[str]:
    """``obj`` as README shows it: one top-level key a line, a nested object's entries wrapped at
    JSON_WIDTH columns, floats rounded to JSON_DECIMALS. Still valid JSON."""
    lines = ["{"]
    items = list(obj.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        value = _rounded(value)
        if isinstance(value, dict) and value:
            lines.append(f"  {json.dumps(key)}: {{")
            parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()]
            row = "   "
            for m, part in enumerate(parts):
                piece = part + ("," if m < len(parts) - 1 else "")
                if len(row) + 1 + len(piece) > JSON_WIDTH and row.strip():
                    lines.append(row)
                    row = "   "
                row += " " + piece
            lines += [row, "  }" + comma]
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    return lines + ["}"]


def differences(example: Example, actual: list[str]) -> list[str]:
    """Why README's output for ``example`` does not match ``actual`` (rendered lines); empty when it does."""
    expected = example.expected
    tail_e, tail_a = (expected[-1:], actual[-1:]) if example.shows_exit else ([], [])
    body_e = expected[:-1] if example.shows_exit else expected
    body_a = actual[:-1] if example.shows_exit else actual
    problems = []
    if tail_e != tail_a:
        problems.append(f"exit code: README shows {tail_e}, got {tail_a}")
    if body_e[:1] == ["{"]:
        try:
            shown, got = json.loads("\n".join(body_e)), json.loads("\n".join(body_a))
        except json.JSONDecodeError as e:
            return problems + [f"not JSON on both sides: {e}"]
        problems += _json_differences(shown, got, ())
        return problems
    if len(body_e) != len(body_a):
        problems.append(f"README shows {len(body_e)} output lines, the command prints {len(body_a)}")
    scored = example.subcommand in SCORED_COMMANDS
    for n, (e, a) in enumerate(zip(body_e, body_a), 1):
        if not _line_matches(e, a, scored):
            problems.append(f"line {n}: README {e!r}, got {a!r}")
    return problems


def _line_matches(expected: str, actual: str, scored: bool) -> bool:
    pe, pa = NUMBER.split(expected), NUMBER.split(actual)
    if len(pe) != len(pa):
        return False
    for k, (e, a) in enumerate(zip(pe, pa)):
        if k % 2 == 0:  # text between numbers; a run of spaces is a column gap
            if " ".join(e.split()) != " ".join(a.split()) or (e[:1] == " ") != (a[:1] == " "):
                return False
        elif e != a and not (scored and _is_score(pe[k - 1], e, a) and abs(float(e) - float(a)) <= SCORE_TOLERANCE):
            return False
    return True


def _is_score(before: str, e: str, a: str) -> bool:
    """Whether a decimal may move by SCORE_TOLERANCE: not a version (``@0.2.0``) or a threshold."""
    return "." in e and "." in a and not before.endswith(("@", ".", "threshold "))


def _json_differences(shown: Any, got: Any, path: tuple[str, ...]) -> list[str]:
    where = ".".join(path) or "the object"
    if isinstance(shown, dict) and isinstance(got, dict):
        if list(shown) != list(got):
            return [f"{where}: README keys {list(shown)}, got {list(got)}"]
        return [p for k in shown for p in _json_differences(shown[k], got[k], (*path, k))]
    if isinstance(shown, list) and isinstance(got, list):
        if len(shown) != len(got):
            return [f"{where}: README {shown!r}, got {got!r}"]
        return [p for k, (s, g) in enumerate(zip(shown, got)) for p in _json_differences(s, g, (*path, str(k)))]
    is_number = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (shown, got))
    if is_number and path and path[-1] in TIMING_KEYS:
        return []
    if is_number and isinstance(shown, float) and path[:1] in (("score",), ("category_scores",)):
        ok = abs(shown - got) <= SCORE_TOLERANCE
    elif is_number:
        ok = type(shown) is type(got) and shown == _rounded(got)
    else:
        ok = type(shown) is type(got) and shown == got
    return [] if ok else [f"{where}: README {shown!r}, got {got!r}"]


def pages() -> list[Path]:
    """Every page whose examples are checked: README.md, then each docs/*.md by name."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def page_name(path: Path) -> str:
    """``path`` as messages name it: relative to the repository when inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def parse_page(path: Path) -> list[Example]:
    """The examples of the page at ``path``."""
    return parse(path.read_text(encoding="utf-8"), page_name(path))


def _as_list(readme: Path | list[Path] | None) -> list[Path]:
    return pages() if readme is None else [readme] if isinstance(readme, Path) else list(readme)


def check_all(readme: Path | list[Path] | None = None) -> tuple[list[Example], list[str]]:
    """Run every example of ``readme`` (a page, pages, or by default README.md and every docs/*.md
    page, in that order, against one server and one Python namespace); (the examples, one message
    per stale one, with its diff)."""
    examples = [ex for path in _as_list(readme) for ex in parse_page(path)]
    failures = []
    with scratch_dir():
        for ex in examples:
            actual = render(ex, *run(ex))
            problems = differences(ex, actual)
            if problems:
                diff = "\n".join(difflib.unified_diff(ex.expected, actual, ex.page, "actual", lineterm="", n=1))
                failures.append(f"{ex.where}: $ {ex.command}\n  " + "\n  ".join(problems)
                                + f"\n{diff}")
    return examples, failures


def update(readme: Path | list[Path] | None = None) -> int:
    """Rewrite every example's output in ``readme`` (a page, pages, or by default README.md and
    every docs/*.md page) from the current default; the number rewritten."""
    from tinyguard.atomic import atomic_write_text

    paths = _as_list(readme)
    texts = {path: path.read_text(encoding="utf-8") for path in paths}
    examples = {path: parse(texts[path], page_name(path)) for path in paths}  # every page parsed before any runs
    with scratch_dir():
        rendered = {path: [render(ex, *run(ex)) for ex in examples[path]] for path in paths}
    changed = 0
    for path in paths:
        lines = texts[path].split("\n")
        n = 0
        for ex, new in reversed(list(zip(examples[path], rendered[path]))):
            if new != ex.expected:
                lines[ex.first:ex.end] = new
                n += 1
        if n:
            atomic_write_text(path, "\n".join(lines))
        changed += n
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="examples:\n  python scripts/readme_examples.py\n"
                                        "  python scripts/readme_examples.py --update")
    ap.add_argument("--update", action="store_true",
                    help="rewrite the example outputs of README.md and docs/*.md from the current default model")
    ap.add_argument("--readme", type=Path, action="append",
                    help="a page to read instead (repeatable; default: README.md and every docs/*.md page)")
    args = ap.parse_args(argv)
    try:
        if args.update:
            n = update(args.readme)
            where = ", ".join(page_name(p) for p in _as_list(args.readme))
            print(f"{n} example output(s) rewritten in {where}" if n else f"{where}: every example is current")
            return 0
        examples, failures = check_all(args.readme)
    except (OSError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for f in failures:
        print(f, end="\n\n")
    print(f"{len(examples) - len(failures)} of {len(examples)} examples (README.md, docs/*.md) match"
          + ("; rerun with --update after changing the default model" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
