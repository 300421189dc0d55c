"""``guard-cli``: check texts, evaluate a labelled file, describe a bundle, measure robustness
and speed, calibrate a threshold. Offline, CPU only.

Exit codes: 0 = nothing flagged, 1 = something flagged (``check``), 2 = any error. Every error
is one line on stderr starting ``error: `` (never a traceback), so scripts can rely on it;
``--skip-errors`` turns bad input lines into ``warning: `` lines and goes on.
The model is imported lazily so ``guard-cli --help`` stays instant; the measurement commands
live in their own modules (robustness, bench, calibrate) and load only when run.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import click

from tinyguard import __version__
from tinyguard.taxonomy import CATEGORIES, CODE_TO_NAME, ROLES

if TYPE_CHECKING:
    from tinyguard.guard import Guard, Verdict

GROUP = 512  # texts scored per check_batch call when reading a file (bounds memory)


class CliError(click.ClickException):
    """A user-facing error: printed as one line, exit code 2."""

    exit_code = 2


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


class _Group(click.Group):
    """A click group whose errors are one ``error: ...`` line and exit 2, never a traceback."""

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
            msg = _one_line(e.format_message())
            if isinstance(e, click.UsageError) and e.ctx is not None:
                msg += f" (see '{e.ctx.command_path} --help')"
            _fail(msg)
        except click.exceptions.Abort:
            _fail("interrupted")
        except BrokenPipeError:  # e.g. `guard-cli check --input big.txt | head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except (ValueError, TypeError, OSError) as e:  # BundleError joins these below
            _fail(_one_line(e))
        except Exception as e:  # noqa: BLE001 - the contract is "no traceback, exit 2"
            _fail(_one_line(e) if type(e).__name__ == "BundleError" else f"{type(e).__name__}: {_one_line(e)}")
        sys.exit(rv if isinstance(rv, int) else 0)


_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


# ---------------------------------------------------------------- inputs

@dataclass(frozen=True)
class Item:
    """One text to score, with where it came from (for error messages)."""

    text: str
    role: str
    context: str
    line: int = 0
    label: int | None = None
    categories: tuple[str, ...] | None = None
    hard_negative: bool = False


def _check_binary(data: bytes, what: str) -> None:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CliError(f"{what} looks like a binary file (NUL byte at offset {nul}); expected UTF-8 text")


def _decode(data: bytes, what: str) -> str:
    _check_binary(data, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CliError(f"{what} is not valid UTF-8 (line {line}, byte offset {e.start})") from None


def _read_stdin() -> str:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # an already-decoded text stream (e.g. replaced by an embedding app)
        return sys.stdin.read()
    return _decode(stream.read(), "stdin")


def _read_bytes(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise CliError(f"input file not found: {path}")
    if not p.is_file():
        raise CliError(f"not a file: {path}")
    try:
        return p.read_bytes()
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror or e}") from None


def _read_file(path: str) -> str:
    return _decode(_read_bytes(path), path)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


class _Lines:
    """The numbered lines of an input file. With ``skip_errors``, a line that is not valid
    UTF-8 (or fails a later check, see :meth:`bad`) is reported on stderr and left out."""

    def __init__(self, path: str, skip_errors: bool):
        self.path = path
        self.skip_errors = skip_errors
        self.skipped = 0
        data = _read_bytes(path)
        _check_binary(data, path)
        if not skip_errors:
            self.numbered = list(enumerate(_lines(_decode(data, path)), 1))
            return
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        self.numbered = []
        for n, raw in enumerate(_byte_lines(data), 1):
            try:
                self.numbered.append((n, raw.decode("utf-8")))
            except UnicodeDecodeError as e:
                self.bad(n, f"not valid UTF-8 (byte offset {e.start} in the line)")
        self.total = len(self.numbered) + self.skipped

    def bad(self, n: int, message: str) -> None:
        """Fail on line ``n`` (or, with skip_errors, warn and count it)."""
        where = f"{self.path} line {n}"
        if not self.skip_errors:
            raise CliError(f"{where}: {message}")
        self.skipped += 1
        _warn(f"{where}: {message} (skipped)")

    def finish(self, items: list[Item]) -> list[Item]:
        if self.skipped:
            _warn(f"skipped {self.skipped} bad line(s) of {len(items) + self.skipped} in {self.path}")
        if not items:
            raise CliError(f"{self.path} holds no texts" + (" that could be read" if self.skipped else ""))
        return items


def _byte_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


def _lines(text: str) -> list[str]:
    """Split on \\n only (not on form feeds or U+2028 inside a text); drop one final newline."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _is_blank(text: str) -> bool:
    from tinyguard.normalize import normalize

    return not normalize(text).strip()


def _read_txt(path: str, role: str, context: str, *, skip_errors: bool = False) -> list[Item]:
    lines = _Lines(path, skip_errors)
    items = []
    for n, line in lines.numbered:
        if _is_blank(line):
            lines.bad(n, "empty text")
            continue
        items.append(Item(line, role, context, n))
    return lines.finish(items)


def _read_jsonl(path: str, role: str, context: str, *, labelled: bool = False,
                skip_errors: bool = False) -> list[Item]:
    lines = _Lines(path, skip_errors)
    items = []
    for n, line in lines.numbered:
        try:
            items.append(_jsonl_item(line, n, f"{path} line {n}", role, context, labelled))
        except CliError as e:
            lines.bad(n, e.message.removeprefix(f"{path} line {n}: "))
    return lines.finish(items)


def _jsonl_item(line: str, n: int, where: str, role: str, context: str, labelled: bool) -> Item:
    if not line.strip():
        raise CliError(f"{where}: blank line")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise CliError(f"{where}: invalid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise CliError(f"{where}: invalid JSON (nested too deeply)") from None
    if not isinstance(obj, dict):
        raise CliError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str):
        raise CliError(f"{where}: 'text' must be a string, not {_json_type(text)}")
    if _is_blank(text):
        raise CliError(f"{where}: empty text")
    r = obj.get("role", role)
    if r not in ROLES:
        raise CliError(f"{where}: role must be one of {list(ROLES)}, not {r!r}")
    ctx = obj.get("context", context)
    if ctx is None:
        ctx = ""
    if not isinstance(ctx, str):
        raise CliError(f"{where}: 'context' must be a string")
    if labelled:
        return Item(text, r, ctx, n, _parse_label(obj, where), _parse_categories(obj, where),
                    obj.get("hard_negative") is True)
    return Item(text, r, ctx, n)


def _json_type(value: Any) -> str:
    return "missing" if value is None else {dict: "an object", list: "a list", bool: "a boolean",
                                            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _parse_label(obj: dict[str, Any], where: str) -> int:
    label = obj.get("label")
    if isinstance(label, bool):
        return int(label)
    if isinstance(label, int) and label in (0, 1):
        return label
    if isinstance(label, str) and label.lower() in ("safe", "unsafe"):
        return int(label.lower() == "unsafe")
    raise CliError(f"{where}: 'label' must be \"safe\"/\"unsafe\", 0/1 or true/false, not {label!r}")


def _parse_categories(obj: dict[str, Any], where: str) -> tuple[str, ...] | None:
    if "categories" not in obj or obj["categories"] is None:
        return None
    cats = obj["categories"]
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        raise CliError(f"{where}: 'categories' must be a list of category names")
    names = tuple(CODE_TO_NAME.get(c, c) for c in cats)  # accept codes (S9) as well as names
    unknown = [c for c in names if c not in CATEGORIES]
    if unknown:
        raise CliError(f"{where}: unknown categories {unknown}; expected names from {list(CATEGORIES)}")
    return names


def _load_guard(bundle: str | None, defenses: bool = True, threads: int | None = None,
                backend: str = "auto") -> "Guard":
    from tinyguard.guard import Guard

    try:
        return Guard.load(bundle, defenses=defenses, threads=threads, backend=backend)
    except ImportError as e:  # backend gguf without llama-cpp-python: the message has the install line
        raise CliError(_one_line(e)) from None


def _score(guard: "Guard", items: list[Item], threshold: float | None) -> Iterator["Verdict"]:
    for start in range(0, len(items), GROUP):
        chunk = items[start: start + GROUP]
        yield from guard.check_batch([i.text for i in chunk], [i.role for i in chunk],
                                     contexts=[i.context for i in chunk], threshold=threshold)


# ---------------------------------------------------------------- commands

@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="guard-cli", message="%(prog)s %(version)s")
def main() -> None:
    """tinyguard: an offline safety guard for LLM prompts and responses.

    \b
    Examples:
      guard-cli check "How do I kill a Python process?"
      guard-cli check --bundle runs/default/students/micro/bundle --backend gguf "text"
      echo "some text" | guard-cli check -
      guard-cli check --input prompts.txt > verdicts.jsonl
      guard-cli check --role response --context "the question" "the answer"
      guard-cli eval labelled.jsonl
      guard-cli info
      guard-cli robustness labelled.jsonl --out robustness.md
      guard-cli bench --device devices/laptop-x86.toml --out devices/results
      guard-cli calibrate my_data.jsonl --target-fpr 0.01 --out my-bundle

    Exit codes: 0 nothing flagged, 1 something flagged, 2 error.
    """


bundle_option = click.option(
    "--bundle", metavar="DIR", default=None,
    help="Model bundle folder (default: the model installed with tinyguard).")
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
    help="Report bad input lines on stderr (warning: FILE line N: ...) and go on without them.")


@main.command()
@click.argument("text", required=False)
@click.option("--input", "input_file", metavar="FILE",
              help="Read many texts: FILE.jsonl (objects with \"text\", optional \"role\", \"context\") "
                   "or any other file with one text per line.")
@bundle_option
@backend_option
@click.option("--role", type=click.Choice(ROLES), default="prompt", show_default=True,
              help="Is the text a user prompt or a model response?")
@click.option("--context", default="", metavar="TEXT",
              help="For a response: the prompt it answers (judged together).")
@threshold_option
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True,
              help="json: one JSON object per text (JSON Lines); text: one short line per text.")
@click.option("--output", "output", metavar="FILE",
              help="Write the results to FILE (written to a temp file and renamed, so FILE is never "
                   "left half-written) instead of stdout.")
@skip_errors_option
@no_defenses_option
def check(text: str | None, input_file: str | None, bundle: str | None, backend: str, role: str, context: str,
          threshold: float | None, fmt: str, output: str | None, skip_errors: bool, no_defenses: bool) -> None:
    """Check TEXT (or `-` for all of stdin as one text, or --input FILE).

    \b
    Examples:
      guard-cli check "How do I make a bomb?"            # exit 1: flagged
      guard-cli check --format text "Hello there"        # ok  0.012
      cat reply.txt | guard-cli check --role response --context "user question" -
      guard-cli check --input prompts.txt                # one JSON line per input line
      guard-cli check --input chats.jsonl --threshold 0.3 --output verdicts.jsonl
      guard-cli check --input messy.jsonl --skip-errors  # bad lines: warnings on stderr
      guard-cli check --bundle STUDENT_BUNDLE --backend gguf "text"   # llama.cpp scores the GGUF

    Each output object has flagged, score, threshold, categories, category_scores, role,
    truncated, chunks, model and latency_ms (and "line", the input line, with --skip-errors).
    Exit code 1 when any text is flagged.
    """
    if text is not None and input_file is not None:
        raise click.UsageError("give TEXT or --input FILE, not both")
    if input_file is not None:
        reader = _read_jsonl if input_file.lower().endswith((".jsonl", ".ndjson")) else _read_txt
        items = reader(input_file, role, context, skip_errors=skip_errors)
    elif text is not None:
        if text == "-":
            text = _read_stdin()
        if _is_blank(text):
            raise CliError("empty text")
        items = [Item(text, role, context)]
    else:
        raise click.UsageError("give TEXT, '-' to read stdin, or --input FILE")

    guard = _load_guard(bundle, defenses=not no_defenses, backend=backend)
    numbered = input_file is not None
    with _output(output) as out:
        any_flagged = False
        for item, verdict in zip(items, _score(guard, items, threshold)):
            any_flagged |= verdict.flagged
            if fmt == "json":
                d = verdict.to_dict()
                if skip_errors and numbered:
                    d["line"] = item.line
                out.write(json.dumps(d, ensure_ascii=False) + "\n")
            else:
                out.write((f"line {item.line}: " if numbered else "") + _text_line(verdict) + "\n")
    sys.exit(1 if any_flagged else 0)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[Any]:
    """stdout, or FILE written atomically (temp file + rename) when the command succeeds."""
    if path is None:
        yield _Stdout()
        return
    from tinyguard.atomic import atomic_open

    with atomic_open(path) as f:  # a bad path fails here, before any scoring output
        yield f


class _Stdout:
    def write(self, text: str) -> None:
        click.echo(text, nl=False)


def _text_line(v: "Verdict") -> str:
    by_score = sorted(v.category_scores.items(), key=lambda kv: -kv[1])
    line = f"{'FLAGGED' if v.flagged else 'ok':7} {v.score:.3f}"
    if v.flagged:
        shown = [(c, s) for c, s in by_score if v.categories[c]] or by_score[:1]
        line += "  " + ", ".join(f"{c} {s:.2f}" for c, s in shown)
    if v.truncated:
        line += f"  [truncated after {v.chunks} chunks]"
    return line


@main.command("eval")
@click.argument("file", metavar="FILE.jsonl")
@bundle_option
@backend_option
@threshold_option
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@skip_errors_option
@no_defenses_option
def eval_cmd(file: str, bundle: str | None, backend: str, threshold: float | None, as_json: bool,
             skip_errors: bool, no_defenses: bool) -> None:
    """Measure the model on a labelled FILE.jsonl.

    \b
    Each line: {"text": ..., "label": "safe"|"unsafe" (or 0/1, true/false),
                "role": "prompt"|"response", "context": ..., "categories": [names],
                "hard_negative": true}   (all but text and label optional)

    Prints n, positives, precision, recall, F1, AUPRC and FPR at the threshold, the FPR on
    hard negatives (safe texts that look unsafe), and per-category rows for categories with
    labels. Category rows use rows whose categories are known: safe rows, and unsafe rows
    with a non-empty "categories" list; they score the raw category scores against each
    category's threshold.

    \b
    Example:
      guard-cli eval data/test.jsonl --json > metrics.json
    """
    items = _read_jsonl(file, "prompt", "", labelled=True, skip_errors=skip_errors)
    guard = _load_guard(bundle, defenses=not no_defenses, backend=backend)
    verdicts = list(_score(guard, items, threshold))
    report = eval_report(items, verdicts, guard, threshold, file)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(_eval_table(report))


def eval_report(items: list[Item], verdicts: list["Verdict"], guard: "Guard",
                threshold: float | None, file: str = "") -> dict[str, Any]:
    """Binary, hard-negative and per-category metrics for labelled items and their verdicts."""
    import numpy as np

    from tinyguard.metrics import binary_metrics, category_metrics

    t = guard.threshold if threshold is None else float(threshold)
    y = np.array([i.label for i in items], dtype=bool)
    scores = np.array([v.score for v in verdicts])
    report: dict[str, Any] = {"model": guard.model_id, "backend": getattr(guard, "backend", "onnx"),
                              "file": file}
    report.update(binary_metrics(y, scores, t))

    hard = [v.flagged for i, v in zip(items, verdicts) if i.hard_negative and not i.label]
    report["hard_negative_count"] = len(hard)
    report["hard_negative_fpr"] = sum(hard) / len(hard) if hard else None

    known = [k for k, i in enumerate(items) if not i.label or i.categories]
    cat_y = np.array([[c in (items[k].categories or ()) for c in CATEGORIES] for k in known],
                     dtype=bool).reshape(len(known), len(CATEGORIES))
    cat_s = np.array([[verdicts[k].category_scores[c] for c in CATEGORIES] for k in known],
                     dtype=np.float64).reshape(len(known), len(CATEGORIES))
    thresholds = [guard.manifest.category_threshold(c) for c in CATEGORIES]
    report["categories"] = category_metrics(cat_y, cat_s, thresholds, CATEGORIES)
    return report


def _fmt(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _eval_table(r: dict[str, Any]) -> str:
    via = f", backend {r['backend']}" if r.get("backend", "onnx") != "onnx" else ""
    out = [f"{r['model']} on {r['file']} (threshold {r['threshold']:g}{via})", ""]
    rows = [("n", r["n"]), ("positives", r["positives"]), ("precision", r["precision"]),
            ("recall", r["recall"]), ("F1", r["f1"]), ("AUPRC", r["auprc"]), ("FPR", r["fpr"])]
    out += [f"  {name:<10} {_fmt(value):>8}" for name, value in rows]
    out.append(f"  {'TP/FP/TN/FN':<10} {r['tp']}/{r['fp']}/{r['tn']}/{r['fn']}")
    if r["hard_negative_count"]:
        out.append(f"  hard-negative FPR {_fmt(r['hard_negative_fpr'])} "
                   f"({r['hard_negative_count']} safe hard negatives)")
    if r["categories"]:
        out += ["", f"  {'category':<26} {'pos':>5} {'precision':>9} {'recall':>7} {'F1':>7} "
                    f"{'AUPRC':>7} {'FPR':>7} {'thresh':>6}"]
        for name, m in r["categories"].items():
            out.append(f"  {name:<26} {m['positives']:>5} {_fmt(m['precision']):>9} {_fmt(m['recall']):>7} "
                       f"{_fmt(m['f1']):>7} {_fmt(m['auprc']):>7} {_fmt(m['fpr']):>7} {m['threshold']:>6.2f}")
    return "\n".join(out)


@main.command()
@bundle_option
@click.option("--json", "as_json", is_flag=True, help="Print path, file sizes and the whole manifest as JSON.")
def info(bundle: str | None, as_json: bool) -> None:
    """Describe a bundle: version, files, thresholds, presets, encoding, taxonomy, data, metrics.

    The bundle is verified first (every file's sha256), so `info` also tells you whether
    the files still match the manifest.

    \b
    Example:
      guard-cli info --bundle runs/export/bundle
    """
    from tinyguard.bundle import load_bundle
    from tinyguard.guard import bundle_models, select_model

    m = load_bundle(bundle)
    assert m.path is not None
    sizes = {name: (m.path / name).stat().st_size for name in m.files}
    models = bundle_models(m)
    backends = {b: select_model(m, b)[1] for b in ("onnx", "gguf") if b in models}
    auto = "onnx" if "onnx" in backends else "gguf"
    if as_json:
        click.echo(json.dumps({"path": str(m.path), "model": m.model_id, "sizes": sizes, "models": models,
                               "backends": backends, "default_backend": auto, "manifest": m.raw},
                              ensure_ascii=False, indent=2, sort_keys=True))
        return
    out = [f"{m.model_id}" + (f"  (created {m.created})" if m.created else ""), f"bundle    {m.path}", "files"]
    out += [f"  {name:<22} {_size(sizes[name]):>9}  sha256 {digest[:16]}" for name, digest in sorted(m.files.items())]
    out.append("models    " + _models_line(models))
    out.append("backends  " + ", ".join(f"{b} ({f}{', default' if b == auto else ''})" for b, f in backends.items())
               + ("" if "gguf" in backends else "   (no GGUF: --backend gguf is not available)"))
    out.append(f"threshold {m.threshold:g}   presets: "
               + ", ".join(f"{k} {v:g}" for k, v in m.presets.items()))
    out.append("category thresholds: " + ", ".join(f"{c} {m.category_threshold(c):g}" for c in CATEGORIES))
    out.append("encoding  " + " ".join(f"{k}={v}" for k, v in m.encoding.items()))
    out.append("normalization  " + " ".join(f"{k}={v}" for k, v in m.normalization.items()))
    out.append("defenses  " + _defenses_line(m.raw))
    out.append("taxonomy")
    for entry in m.taxonomy:
        if isinstance(entry, dict):
            out.append(f"  {entry.get('code', ''):<10} {entry.get('name', ''):<26} {entry.get('description', '')}")
    for key in ("data", "metrics", "training"):
        value = getattr(m, key)
        if value:
            out.append(key)
            out += _tree(value, 1)
    click.echo("\n".join(out))


def _models_line(models: dict[str, dict[str, str]]) -> str:
    names = {"onnx": "ONNX", "ort": "ONNX Runtime format", "gguf": "GGUF"}
    return "; ".join(f"{names.get(fmt, fmt)}: "
                     + ", ".join(f"{v} {f}" if fmt == "gguf" else f for v, f in named.items())
                     for fmt, named in models.items())


def _defenses_line(raw: dict[str, Any]) -> str:
    from tinyguard.defenses import DefenseSettings

    try:
        d = DefenseSettings.from_manifest(raw)
    except ValueError as e:
        return f"invalid: {e}"
    note = "" if "defenses" in raw else "  (not set in the manifest: all on)"
    return " ".join(f"{k}={v}" for k, v in d.to_dict().items()) + note


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _tree(value: Any, depth: int) -> list[str]:
    """Free-form manifest sections as indented ``key: value`` lines."""
    pad = "  " * depth
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines += _tree(v, depth + 1)
            else:
                lines.append(f"{pad}{k}: {v}")
    elif isinstance(value, list):
        for v in value:
            lines.append(f"{pad}- " + (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)))
    else:
        lines.append(f"{pad}{value}")
    return lines


@main.command()
@click.argument("file", metavar="FILE.jsonl")
@bundle_option
@backend_option
@threshold_option
@click.option("--attacks", metavar="A,B,...", default=None,
              help="Attack operators to run (default: all of tinyguard.train.operators.OPERATORS).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the attack operators.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Use at most N unsafe and N safe lines (a seeded sample) to save time.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of markdown.")
@click.option("--out", "out_file", metavar="FILE.md", default=None,
              help="Also write the markdown table to FILE.md (atomically).")
@skip_errors_option
def robustness(file: str, bundle: str | None, backend: str, threshold: float | None, attacks: str | None, seed: int,
               limit: int | None, as_json: bool, out_file: str | None, skip_errors: bool) -> None:
    """Recall and benign FPR under cheap attacks, with and without defenses.

    Applies each attack operator (typos, casing, spacing, punctuation, leetspeak, homoglyphs,
    zero-width, emoji, base64, hex, rot13, URL-encoding, jailbreak wrapper) to the unsafe lines
    of a labelled FILE.jsonl (recall per attack) and to its safe lines (false-positive rate
    per attack), and scores each attacked text once: "no defenses" is the score of the
    normalized text, "defenses" the max over it and its de-obfuscated views.

    \b
    Example:
      guard-cli robustness data/validation.jsonl --out robustness.md
      guard-cli robustness data/test.jsonl --attacks leetspeak,base64 --limit 200 --json
    """
    from tinyguard.robustness import robustness_markdown, robustness_report, sample

    items = sample(_read_jsonl(file, "prompt", "", labelled=True, skip_errors=skip_errors), limit, seed)
    names = [a.strip() for a in attacks.split(",") if a.strip()] if attacks else None
    guard = _load_guard(bundle, defenses=True, backend=backend)
    report = robustness_report(guard, items, attacks=names, seed=seed, threshold=threshold, file=file)
    md = robustness_markdown(report, _command_line())
    if out_file:
        from tinyguard.atomic import atomic_write_text

        atomic_write_text(out_file, md)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else md)


@main.command()
@bundle_option
@backend_option
@click.option("--device", "device", metavar="devices/NAME.toml", default=None,
              help="A device profile: check each of its budgets and report met/missed.")
@click.option("--threads", type=click.IntRange(min=1), default=None, metavar="N",
              help="Threads for the throughput run (default: the profile's, else all available CPUs).")
@click.option("--quick", is_flag=True, help="A few iterations only: checks that everything runs (numbers are rough).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of markdown.")
@click.option("--out", "out_dir", metavar="DIR", default=None,
              help="Write DIR/<machine>-<date>.json and .md (e.g. devices/results).")
@click.option("--machine", default=None, metavar="NAME",
              help="Machine name for the results files (default: from the architecture and CPU model).")
@click.option("--note", default="", metavar="TEXT",
              help="A note stored with the results (e.g. 'machine busy with a training job').")
@click.option("--fail-on-miss", is_flag=True, help="Exit 1 when a device budget is missed.")
def bench(bundle: str | None, backend: str, device: str | None, threads: int | None, quick: bool, as_json: bool,
          out_dir: str | None, machine: str | None, note: str, fail_on_miss: bool) -> None:
    """Latency, throughput, cold start, peak memory and size of a bundle on this machine.

    \b
    Measures:
      latency     p50/p95/p99 ms per text at 1 thread, for ~16, 32, 128 and 512 tokens
      throughput  texts/s with batching at N threads
      cold start  a new `guard-cli check` process to its first verdict, and its peak RSS
      size        the bundle's files in MB (10^6 bytes)
      defenses    the cost of building de-obfuscation views

    \b
    Example:
      guard-cli bench --device devices/laptop-x86.toml --out devices/results
      guard-cli bench --quick --json
      guard-cli bench --bundle STUDENT_BUNDLE --backend gguf --quick
    """
    from tinyguard.bench import bench_markdown, load_profile, run_bench, write_results

    profile = load_profile(device) if device else None
    try:
        result = run_bench(bundle, quick=quick, threads=threads, profile=profile, command=_command_line(),
                           machine=machine, note=note, backend=backend)
    except ImportError as e:  # backend gguf without llama-cpp-python
        raise CliError(_one_line(e)) from None
    if out_dir:
        js, md = write_results(result, out_dir)
        click.echo(f"wrote {js} and {md}", err=True)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else bench_markdown(result))
    if fail_on_miss and profile is not None and not result["device"]["all_met"]:
        sys.exit(1)


@main.command()
@click.argument("file", metavar="FILE.jsonl")
@click.option("--target-fpr", type=click.FloatRange(0.0, 1.0), required=True, metavar="X",
              help="The false-positive rate allowed on the file's safe lines (e.g. 0.01).")
@bundle_option
@click.option("--out", "out_dir", metavar="NEW_BUNDLE_DIR", default=None,
              help="Write a calibrated copy of the bundle here (hashes re-pinned; the source is untouched).")
@click.option("--in-place", is_flag=True,
              help="Rewrite the source bundle's manifest instead (atomically). Never the default.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@skip_errors_option
@no_defenses_option
def calibrate(file: str, target_fpr: float, bundle: str | None, out_dir: str | None, in_place: bool,
              as_json: bool, skip_errors: bool, no_defenses: bool) -> None:
    """Refit the threshold on your labelled data for a target false-positive rate.

    The new threshold is the lowest one whose FPR on FILE's safe lines is <= X, so recall is
    as high as that FPR allows. Prints precision/recall/FPR before and after. Without --out or
    --in-place nothing is written (a dry run).

    \b
    Example:
      guard-cli calibrate my_traffic.jsonl --target-fpr 0.01 --out my-bundle
      guard-cli check --bundle my-bundle "some text"
    """
    from tinyguard.calibrate import calibration, write_calibrated

    if out_dir and in_place:
        raise click.UsageError("give --out DIR or --in-place, not both")
    items = _read_jsonl(file, "prompt", "", labelled=True, skip_errors=skip_errors)
    guard = _load_guard(bundle, defenses=not no_defenses)
    report = calibration(guard, items, target_fpr, file=file)
    written = None
    if out_dir or in_place:
        written = write_calibrated(bundle, report, out=out_dir, in_place=in_place)
        report["written"] = str(written)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    b, a = report["before"], report["after"]
    out = [f"{report['model']} on {file}: {report['n_unsafe']} unsafe, {report['n_safe']} safe lines; "
           f"target FPR {target_fpr:g}", "",
           f"  {'':<10} {'threshold':>9} {'precision':>9} {'recall':>7} {'FPR':>7}",
           f"  {'before':<10} {b['threshold']:>9.6f} {_fmt(b['precision']):>9} {_fmt(b['recall']):>7} "
           f"{_fmt(b['fpr']):>7}",
           f"  {'after':<10} {a['threshold']:>9.6f} {_fmt(a['precision']):>9} {_fmt(a['recall']):>7} "
           f"{_fmt(a['fpr']):>7}", ""]
    out.append(f"wrote calibrated bundle {written}" if written else
               "dry run: pass --out NEW_BUNDLE_DIR (or --in-place) to write the bundle")
    click.echo("\n".join(out))


def _command_line() -> str:
    args = [os.path.basename(sys.argv[0]) or "guard-cli", *sys.argv[1:]]
    if args[0] in ("__main__.py", "-c"):
        args[0] = "guard-cli"
    return " ".join(_quote(a) for a in args)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


# Training commands live in tinyguard.train (torch etc.); they register themselves without
# importing torch, and a runtime-only install simply lacks them.
try:
    from tinyguard.train.cli import add_training_commands
except ImportError:
    pass
else:
    add_training_commands(main)

try:
    from tinyguard.distill.cli import add_distill_commands
except ImportError:
    pass
else:
    add_distill_commands(main)
