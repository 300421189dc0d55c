"""``guard-cli``: check texts, evaluate a labelled file, describe a bundle, measure robustness
and speed, calibrate a threshold. Offline, CPU only.

Exit codes: 0 = nothing flagged, 1 = something flagged (``check``), 2 = any error, 3 = some
input lines could not be checked (``check --input --skip-errors``). Every error is one line on
stderr starting ``error: `` (never a traceback), so scripts can rely on it; ``--skip-errors``
turns bad input lines into ``warning: `` lines (and, for ``check``, error records) and goes on.
Input files are read by :mod:`tinyguard.inputs`; signing commands live in :mod:`tinyguard.signing_cli`.
The model is imported lazily so ``guard-cli --help`` stays instant; the measurement commands
live in their own modules (robustness, bench, calibrate) and load only when run.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import click

from tinyguard import __version__
from tinyguard.inputs import (EXIT_UNCHECKED, Entry, Item, Skipped, decode_text, read_entries, score_entries,
                              surrogate_note)
from tinyguard.policy_cli import policy_options, unchecked_note
from tinyguard.signing_cli import add_signing_commands, trusted, trusted_key_option
from tinyguard.taxonomy import CATEGORIES, ROLES

if TYPE_CHECKING:
    from tinyguard.guard import Guard, Verdict


class CliError(click.ClickException):
    """A user-facing error: printed as one line, exit code 2."""

    exit_code = 2


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


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
            bundle_error = any(c.__name__ == "BundleError" for c in type(e).__mro__)  # SignatureError too
            _fail(_one_line(e) if bundle_error else f"{type(e).__name__}: {_one_line(e)}")
        sys.exit(rv if isinstance(rv, int) else 0)


_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


# ---------------------------------------------------------------- inputs (reading lives in tinyguard.inputs)

def _read_stdin() -> str:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # an already-decoded text stream (e.g. replaced by an embedding app)
        return sys.stdin.read()
    return decode_text(stream.read(), "stdin")


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _is_blank(text: str) -> bool:
    from tinyguard.normalize import normalize

    return not normalize(text).strip()


def _entries(path: str, role: str, context: str, *, labelled: bool = False) -> Iterator[Entry]:
    """The lines of ``--input FILE`` (JSON Lines when it ends in .jsonl/.ndjson), lazily."""
    jsonl = labelled or path.lower().endswith((".jsonl", ".ndjson"))
    return read_entries(path, role, context, jsonl=jsonl, labelled=labelled)


def _scored(guard: "Guard", path: str, entries: Iterator[Entry], threshold: float | None,
            skip_errors: bool) -> Iterator[tuple[Entry, "Verdict | str | None"]]:
    """score_entries, where a line that cannot be checked stops the run unless ``skip_errors``
    (then it stays in the stream as an error and a ``warning:`` line on stderr)."""
    for entry, outcome in score_entries(guard, entries, threshold=threshold, stop_at_bad=not skip_errors):
        where = f"{path} line {entry.line}: " if path else ""  # "" : one TEXT argument or stdin
        if isinstance(outcome, str):
            if not skip_errors:
                raise CliError(f"{where}{outcome}")
            _warn(f"{where}{outcome} (not checked)")
        elif isinstance(entry, Item) and entry.note:
            _warn(f"{where}{entry.note}")
        yield entry, outcome


def _read_jsonl(path: str, role: str, context: str, *, labelled: bool = False,
                skip_errors: bool = False) -> list[Item]:
    """Every usable Item of a JSONL file (for measurement commands: robustness, eval, calibrate).
    Blank lines are skipped with a warning; a bad line stops the run unless ``skip_errors``."""
    items, seen, bad = [], 0, 0
    for entry in read_entries(path, role, context, jsonl=True, labelled=labelled):
        seen += 1
        if isinstance(entry, Item):
            items.append(entry)
        elif isinstance(entry, Skipped):
            _warn(f"{path} line {entry.line}: {entry.reason} (skipped)")
        elif not skip_errors:
            raise CliError(f"{path} line {entry.line}: {entry.error}")
        else:
            bad += 1
            _warn(f"{path} line {entry.line}: {entry.error} (skipped)")
    if bad:
        _warn(f"skipped {bad} bad line(s) of {seen} in {path}")
    if not items:
        raise CliError(f"{path} holds no texts" + (" that could be read" if bad else ""))
    return items


def _load_guard(bundle: str | None, defenses: bool = True, threads: int | None = None,
                backend: str = "auto", trusted_keys: Sequence[str] = (), **policy: Any) -> "Guard":
    from tinyguard.guard import Guard

    try:  # policy: max_chars, min_coverage, on_unchecked (see tinyguard.policy_cli)
        return Guard.load(bundle, defenses=defenses, threads=threads, backend=backend,
                          trusted_keys=trusted(trusted_keys), **policy)
    except ImportError as e:  # backend gguf without llama-cpp-python: the message has the install line
        raise CliError(_one_line(e)) from None


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

    Exit codes: 0 nothing flagged, 1 something flagged, 2 error, 3 some input lines not checked.
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
    help="Go on past input lines that cannot be checked: check writes an {\"line\": N, \"error\": ...} "
         "record for each (and exits 3), eval/calibrate/robustness leave them out; all warn on stderr.")


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
@trusted_key_option
@policy_options
def check(text: str | None, input_file: str | None, bundle: str | None, backend: str, role: str, context: str,
          threshold: float | None, fmt: str, output: str | None, skip_errors: bool, no_defenses: bool,
          trusted_keys: tuple[str, ...], max_chars: int, min_coverage: float, on_unchecked: str) -> None:
    """Check TEXT (or `-` for all of stdin as one text, or --input FILE).

    \b
    Examples:
      guard-cli check "How do I make a bomb?"            # exit 1: flagged
      guard-cli check --format text "Hello there"        # ok  0.012
      cat reply.txt | guard-cli check --role response --context "user question" -
      guard-cli check --input prompts.txt                # one JSON line per input line
      guard-cli check --input chats.jsonl --threshold 0.3 --output verdicts.jsonl
      guard-cli check --input messy.jsonl --skip-errors  # bad lines: error records, exit 3
      guard-cli check --bundle STUDENT_BUNDLE --backend gguf "text"   # llama.cpp scores the GGUF
      guard-cli check --trusted-key project "text"       # refuse a bundle not signed by the project
      guard-cli check --on-unchecked report - < long.txt # not fully checked: exit 3, not flagged

    Each output object has flagged, score, threshold, categories, category_scores, role,
    truncated, chunks, model, latency_ms, where the score came from (view, segment, window) and
    what was checked (coverage, unchecked: "truncated" past --max-chars, "unsupported" below
    --min-coverage; --on-unchecked says what that means, by default flagged).

    With --input, FILE is read as it is scored (memory does not grow with it) and every line
    gives exactly one output line, in order, with "line":
    a verdict, {"line": N, "skipped": "blank line"}, or, with --skip-errors, {"line": N,
    "error": ...} for a line that could not be checked (without it, such a line stops the run).

    Exit codes: 0 all checked, nothing flagged; 1 something flagged; 2 error; 3 some lines
    could not be checked (--skip-errors), or some text was not fully checked (--on-unchecked
    report).
    """
    if text is not None and input_file is not None:
        raise click.UsageError("give TEXT or --input FILE, not both")
    if input_file is not None:
        entries: Iterator[Entry] = _entries(input_file, role, context)
        next_entry = next(entries, None)  # reads the head now: a missing or binary file fails before the model loads
        if next_entry is None:
            raise CliError(f"{input_file} holds no texts")
        entries = itertools.chain([next_entry], entries)
    elif text is not None:
        if text == "-":
            text = _read_stdin()
        if _is_blank(text):
            raise CliError("empty text")
        entries = iter([Item(text, role, context, note=surrogate_note(text + context))])
    else:
        raise click.UsageError("give TEXT, '-' to read stdin, or --input FILE")

    guard = _load_guard(bundle, defenses=not no_defenses, backend=backend, trusted_keys=trusted_keys,
                        max_chars=max_chars, min_coverage=min_coverage, on_unchecked=on_unchecked)
    numbered = input_file is not None
    flagged = unchecked = scored = partial = 0
    with _output(output) as out:
        for entry, outcome in _scored(guard, input_file or "", entries, threshold, skip_errors):
            where = f"line {entry.line}: " if numbered else ""
            if outcome is None:  # a blank line: reported, not checked, not an error
                assert isinstance(entry, Skipped)
                record: dict[str, Any] = {"line": entry.line, "skipped": entry.reason}
                line = f"{where}skipped ({entry.reason})"
            elif isinstance(outcome, str):
                unchecked += 1
                record, line = {"line": entry.line, "error": outcome}, f"{where}ERROR   {outcome}"
            else:
                scored += 1
                flagged += outcome.flagged
                partial += bool(outcome.unchecked) and on_unchecked == "report"
                record = {"line": entry.line, **outcome.to_dict()} if numbered else outcome.to_dict()
                line = where + _text_line(outcome)
                if isinstance(entry, Item) and entry.note:
                    record["warning"] = entry.note
            out.write((json.dumps(record, ensure_ascii=False) if fmt == "json" else line) + "\n")
        if numbered and not scored and not unchecked:
            raise CliError(f"{input_file} holds no texts (only blank lines)")
    if unchecked:
        _warn(f"{unchecked} line(s) of {input_file} could not be checked (\"error\" records); exit code "
              f"{EXIT_UNCHECKED}")
    if partial:
        _warn(f"{partial} text(s) not fully checked (\"unchecked\" in the output); exit code {EXIT_UNCHECKED}")
    sys.exit(EXIT_UNCHECKED if unchecked or partial else 1 if flagged else 0)


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
    if v.flagged and v.score >= v.threshold:  # (flagged only as not fully checked: no category to name)
        shown = [(c, s) for c, s in by_score if v.categories[c]] or by_score[:1]
        line += "  " + ", ".join(f"{c} {s:.2f}" for c, s in shown)
    return line + unchecked_note(v)


@main.command("eval")
@click.argument("file", metavar="FILE.jsonl")
@bundle_option
@backend_option
@threshold_option
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@skip_errors_option
@no_defenses_option
@trusted_key_option
def eval_cmd(file: str, bundle: str | None, backend: str, threshold: float | None, as_json: bool,
             skip_errors: bool, no_defenses: bool, trusted_keys: tuple[str, ...]) -> None:
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
    guard = _load_guard(bundle, defenses=not no_defenses, backend=backend, trusted_keys=trusted_keys)
    items, verdicts, unchecked = _scored_items(guard, file, threshold, skip_errors)
    report = eval_report(items, verdicts, guard, threshold, file)
    report["skipped_lines"] = unchecked
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(_eval_table(report))


def _scored_items(guard: "Guard", file: str, threshold: float | None,
                  skip_errors: bool) -> tuple[list[Item], list["Verdict"], int]:
    """The labelled items of FILE with their verdicts, and how many lines were left out."""
    items, verdicts, unchecked = [], [], 0
    entries = read_entries(file, "prompt", "", jsonl=True, labelled=True)
    for entry, outcome in _scored(guard, file, entries, threshold, skip_errors):
        if isinstance(entry, Item) and not isinstance(outcome, str) and outcome is not None:
            items.append(dataclasses.replace(entry, text="", context=""))  # labels only: bounded memory
            verdicts.append(outcome)
        elif isinstance(entry, Skipped):
            _warn(f"{file} line {entry.line}: {entry.reason} (skipped)")
        else:
            unchecked += 1
    if unchecked:
        _warn(f"left out {unchecked} line(s) of {file} that could not be checked")
    if not items:
        raise CliError(f"{file} holds no texts" + (" that could be checked" if unchecked else ""))
    return items, verdicts, unchecked


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
@trusted_key_option
def info(bundle: str | None, as_json: bool, trusted_keys: tuple[str, ...]) -> None:
    """Describe a bundle: version, files, thresholds, presets, encoding, taxonomy, data, metrics.

    The bundle is verified first (every file's sha256), so `info` also tells you whether
    the files still match the manifest; with --trusted-key, whether it is signed by that key.

    \b
    Example:
      guard-cli info --bundle runs/export/bundle
    """
    from tinyguard.bundle import load_bundle
    from tinyguard.guard import bundle_models, select_model

    m = load_bundle(bundle, trusted_keys=trusted(trusted_keys))
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
    out.append("signature " + _signature_line(m))
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


def _signature_line(m: Any) -> str:
    from tinyguard.signing import SignatureError, read_signature

    if m.signed_by:
        return f"ed25519, key {m.signed_by}: valid, and a trusted key"
    try:
        record = read_signature(m.path)
    except SignatureError as e:
        return f"unreadable ({_one_line(e)})"
    if record is None:
        return "none (unsigned; guard-cli sign adds one)"
    return f"ed25519, key {record['key_id']} (not checked: pass --trusted-key, or run guard-cli verify)"


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
              help="Attacks to run (default: all of tinyguard.operators.OPERATORS and tinyguard.attacks.ATTACKS).")
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
    zero-width, emoji, base64, hex, rot13, URL-encoding, jailbreak wrapper) and each attack of
    tinyguard.attacks (benign padding before/after: pad_prefix_1/40/1000, pad_suffix_1/40/1000;
    tag_smuggling, bidi, embedded_encoding, spaced_letters) to the unsafe lines of a labelled
    FILE.jsonl (recall per attack) and to its safe lines (false-positive rate per attack), and
    scores each attacked text once: "no defenses" is the score of the normalized text as written,
    "defenses" the max over its readings, views and segments. A row meets the target when, with
    defenses, recall >= 0.9 x clean recall and FPR <= clean FPR + 5 points.

    \b
    Example:
      guard-cli robustness data/validation.jsonl --out robustness.md
      guard-cli robustness data/test.jsonl --attacks leetspeak,base64 --limit 200 --json
      guard-cli robustness data/validation.jsonl --attacks pad_prefix_40,bidi --limit 100
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
@click.option("--min-per-label", type=click.IntRange(min=1), default=50, show_default=True, metavar="N",
              help="Refuse to write with fewer than N unsafe or N safe lines.")
@click.option("--max-recall-loss", type=click.FloatRange(0.0, 1.0), default=0.10, show_default=True, metavar="F",
              help="Refuse to write when recall on FILE would fall below (1 - F) x its recall at the "
                   "current threshold.")
@click.option("--force", is_flag=True, help="Write even when a check above fails (recorded in the manifest).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@skip_errors_option
@no_defenses_option
@trusted_key_option
def calibrate(file: str, target_fpr: float, bundle: str | None, out_dir: str | None, in_place: bool,
              min_per_label: int, max_recall_loss: float, force: bool, as_json: bool, skip_errors: bool,
              no_defenses: bool, trusted_keys: tuple[str, ...]) -> None:
    """Refit the threshold on your labelled data for a target false-positive rate.

    The new threshold is the lowest one whose FPR on FILE's safe lines is <= X, so recall is
    as high as that FPR allows. Prints precision/recall/FPR before and after, the safe-labelled
    lines that score above the current threshold (a mislabelled or poisoned line shows here),
    and the checks. Without --out or --in-place nothing is written (a dry run).

    \b
    Checks (a failed one refuses --out/--in-place, exit 2, unless --force):
      at least --min-per-label lines of each label (default 50)
      recall on FILE keeps at least 1 - --max-recall-loss of its current value (default 0.10)

    \b
    Example:
      guard-cli calibrate my_traffic.jsonl --target-fpr 0.01 --out my-bundle
      guard-cli sign --bundle my-bundle --key ~/.keys/guard.key   # the new manifest is unsigned
      guard-cli check --bundle my-bundle "some text"
    """
    from tinyguard.calibrate import Rails, calibration, check_target, summary, write_calibrated

    if out_dir and in_place:
        raise click.UsageError("give --out DIR or --in-place, not both")
    if out_dir:
        check_target(bundle, out_dir)  # before any scoring
    guard = _load_guard(bundle, defenses=not no_defenses, trusted_keys=trusted_keys)
    items, verdicts, unchecked = _scored_items(guard, file, None, skip_errors)
    report = calibration(guard, items, target_fpr, file=file, scores=[v.score for v in verdicts],
                         rails=Rails(min_per_label, max_recall_loss))
    report["skipped_lines"] = unchecked
    refused = bool(report["refusals"]) and not force and bool(out_dir or in_place)
    written = None
    if (out_dir or in_place) and not refused:
        written = write_calibrated(bundle, report, out=out_dir, in_place=in_place)
        report["written"] = str(written)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        out = summary(report)
        if written:
            out.append(f"wrote calibrated bundle {written} (unsigned: its manifest changed; "
                       f"guard-cli sign --bundle {written} --key KEY signs it)")
        elif not refused:
            out.append("dry run: pass --out NEW_BUNDLE_DIR (or --in-place) to write the bundle"
                       + (" (the checks above would refuse it without --force)" if report["refusals"] else ""))
        click.echo("\n".join(out))
    if refused:
        more = f" (and {len(report['refusals']) - 1} more)" if len(report["refusals"]) > 1 else ""
        raise CliError(f"calibration refused, nothing written: {report['refusals'][0]}{more}; "
                       f"--force writes it anyway")
    if written and report["refusals"]:
        for reason in report["refusals"]:
            _warn(f"written despite a failed check (--force): {reason}")


def _command_line() -> str:
    args = [os.path.basename(sys.argv[0]) or "guard-cli", *sys.argv[1:]]
    if args[0] in ("__main__.py", "-c"):
        args[0] = "guard-cli"
    return " ".join(_quote(a) for a in args)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


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

