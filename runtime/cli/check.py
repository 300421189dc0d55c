"""``guard-cli check``: the verdict on one text, stdin, or every line of a file.

Exit codes: 0 nothing flagged, 1 something flagged, 2 error, 3 some input lines could not be
checked (``--skip-errors``) or some text was not fully checked (``--on-unchecked report``).
"""
from __future__ import annotations

import itertools
import json
import sys
from typing import Any, Iterator

import click

from tinyguard.cli.inputs import file_entries, is_blank, read_stdin, scored
from tinyguard.cli.options import (CliError, backend_option, bundle_option, check_output, load_guard,
                                   no_defenses_option, preset_option, preset_threshold, skip_errors_option,
                                   threshold_option, warn)
from tinyguard.cli.output import output_stream, verdict_line
from tinyguard.cli.policy import policy_options
from tinyguard.cli.signing import trusted_key_option
from tinyguard.inputs import EXIT_UNCHECKED, Entry, Item, Skipped, surrogate_note
from tinyguard.taxonomy import ROLES


@click.command()
@click.argument("text", required=False)
@click.option("--input", "input_file", metavar="FILE",
              help="Read many texts: FILE.jsonl, .ndjson or .json (JSON Lines: objects with \"text\", "
                   "optional \"role\", \"context\") or any other file with one text per line.")
@bundle_option
@backend_option
@click.option("--role", type=click.Choice(ROLES), default="prompt", show_default=True,
              help="Is the text a user prompt or a model response?")
@click.option("--context", default="", metavar="TEXT",
              help="For a response: the prompt it answers (judged together).")
@threshold_option
@preset_option
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
          threshold: float | None, preset: str | None, fmt: str, output: str | None, skip_errors: bool, no_defenses: bool,
          trusted_keys: tuple[str, ...], allow_unsigned: bool, max_chars: int, min_coverage: float, on_unchecked: str) -> None:
    """Check TEXT (or `-` for all of stdin as one text, or --input FILE).

    \b
    Examples:
      guard-cli check "How do I make a bomb?"            # exit 1: flagged
      guard-cli check --format text "Hello there"        # ok  0.012
      cat reply.txt | guard-cli check --role response --context "user question" -
      guard-cli check --input prompts.txt                # one JSON line per input line
      guard-cli check --input chats.jsonl --threshold 0.3 --output verdicts.jsonl
      guard-cli check --preset strict "text"             # the bundle's strict threshold
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
    check_output(output, input_file)
    if preset is not None and threshold is not None:
        raise click.UsageError("give --threshold or --preset, not both")
    if input_file is not None:
        entries: Iterator[Entry] = file_entries(input_file, role, context)
        next_entry = next(entries, None)  # reads the head now: a missing or binary file fails before the model loads
        if next_entry is None:
            raise CliError(f"{input_file} holds no texts")
        entries = itertools.chain([next_entry], entries)
    elif text is not None:
        if text == "-":
            text = read_stdin()
        if is_blank(text):
            raise CliError("empty text")
        entries = iter([Item(text, role, context, note=surrogate_note(text + context))])
    else:
        raise click.UsageError("give TEXT, '-' to read stdin, or --input FILE")

    guard = load_guard(bundle, defenses=not no_defenses, backend=backend, trusted_keys=trusted_keys,
                       allow_unsigned=allow_unsigned,
                       max_chars=max_chars, min_coverage=min_coverage, on_unchecked=on_unchecked)
    threshold = preset_threshold(guard, preset, threshold)
    numbered = input_file is not None
    flagged = unchecked = n_scored = partial = 0
    with output_stream(output) as out:
        for entry, outcome in scored(guard, input_file or "", entries, threshold, skip_errors):
            where = f"line {entry.line}: " if numbered else ""
            if outcome is None:  # a blank line: reported, not checked, not an error
                assert isinstance(entry, Skipped)
                record: dict[str, Any] = {"line": entry.line, "skipped": entry.reason}
                line = f"{where}skipped ({entry.reason})"
            elif isinstance(outcome, str):
                unchecked += 1
                record, line = {"line": entry.line, "error": outcome}, f"{where}ERROR   {outcome}"
            else:
                n_scored += 1
                flagged += outcome.flagged
                partial += bool(outcome.unchecked) and on_unchecked == "report"
                record = {"line": entry.line, **outcome.to_dict()} if numbered else outcome.to_dict()
                line = where + verdict_line(outcome)
                if isinstance(entry, Item) and entry.note:
                    record["warning"] = entry.note
            out.write((json.dumps(record, ensure_ascii=False) if fmt == "json" else line) + "\n")
        if numbered and not n_scored and not unchecked:
            raise CliError(f"{input_file} holds no texts (only blank lines)")
    if unchecked:
        warn(f"{unchecked} line(s) of {input_file} could not be checked (\"error\" records); exit code "
              f"{EXIT_UNCHECKED}")
    if partial:
        warn(f"{partial} text(s) not fully checked (\"unchecked\" in the output); exit code {EXIT_UNCHECKED}")
    sys.exit(EXIT_UNCHECKED if unchecked or partial else 1 if flagged else 0)
