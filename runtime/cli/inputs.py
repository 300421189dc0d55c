"""Input for ``guard-cli`` commands: stdin, ``--input FILE`` and labelled JSONL files, with the
CLI's error policy on top of :mod:`tinyguard.inputs` (which reads and never fails open).

A line that cannot be checked stops the run with one ``error:`` line naming it, unless
``--skip-errors``: then it is left out (or reported, for ``check``) with a ``warning:`` line.

:mod:`tinyguard.measure.metrics` (numpy) is imported when labelled lines are scored, so
``import tinyguard.cli.main`` and ``--help`` stay free of numpy.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Iterator

from tinyguard.cli.options import CliError, warn
from tinyguard.inputs import Entry, Item, Skipped, decode_text, is_jsonl, read_entries, score_entries
from tinyguard.records import Record
from tinyguard.scoring.decoders import has_text
from tinyguard.verdict import Verdict

if TYPE_CHECKING:
    from tinyguard.scoring.guard import Guard
    from tinyguard.measure.metrics import Labels


def read_stdin() -> str:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # an already-decoded text stream (e.g. replaced by an embedding app)
        return sys.stdin.read()
    return decode_text(stream.read(), "stdin")


def is_blank(text: str) -> bool:
    """Nothing to check: no visible text and no text hidden in tag characters."""
    return not has_text(text)


def file_entries(path: str, role: str, context: str) -> Iterator[Entry]:
    """The lines of ``--input FILE`` (JSON Lines when it ends in .jsonl/.ndjson/.json), lazily."""
    return read_entries(path, role, context, jsonl=is_jsonl(path))


def scored(guard: "Guard", path: str, entries: Iterator[Entry], threshold: float | None,
           skip_errors: bool) -> Iterator[tuple[Entry, "Verdict | str | None"]]:
    """score_entries, where a line that cannot be checked stops the run unless ``skip_errors``
    (then it stays in the stream as an error and a ``warning:`` line on stderr)."""
    for entry, outcome in score_entries(guard, entries, threshold=threshold, stop_at_bad=not skip_errors):
        where = f"{path} line {entry.line}: " if path else ""  # "" : one TEXT argument or stdin
        if isinstance(outcome, str):
            if not skip_errors:
                raise CliError(f"{where}{outcome}")
            warn(f"{where}{outcome} (not checked)")
        elif isinstance(entry, Item) and entry.note:
            warn(f"{where}{entry.note}")
        yield entry, outcome


def read_labelled(path: str, *, skip_errors: bool = False) -> list[Item]:
    """Every usable labelled Item of a JSONL file (robustness: the texts are needed again).
    Blank lines are skipped with a warning; a bad line stops the run unless ``skip_errors``."""
    items, seen, bad = [], 0, 0
    for entry in read_entries(path, "prompt", "", jsonl=True, labelled=True):
        seen += 1
        if isinstance(entry, Item):
            items.append(entry)
        elif isinstance(entry, Skipped):
            warn(f"{path} line {entry.line}: {entry.reason} (skipped)")
        elif not skip_errors:
            raise CliError(f"{path} line {entry.line}: {entry.error}")
        else:
            bad += 1
            warn(f"{path} line {entry.line}: {entry.error} (skipped)")
    if bad:
        warn(f"skipped {bad} bad line(s) of {seen} in {path}")
    if not items:
        raise CliError(f"{path} holds no texts" + (" that could be read" if bad else ""))
    return items


def scored_labelled(guard: "Guard", file: str, threshold: float | None,
                    skip_errors: bool) -> tuple[list[int], "Labels", list["Verdict"], int]:
    """The line numbers, labels and verdicts of the labelled lines of FILE that could be
    checked, and how many were left out. Texts are not kept: memory grows with the labels only."""
    from tinyguard.measure.metrics import labels_of  # numpy: not needed for --help

    lines: list[int] = []
    verdicts: list["Verdict"] = []
    left_out = 0

    def records() -> Iterator[Record]:
        nonlocal left_out
        entries = read_entries(file, "prompt", "", jsonl=True, labelled=True)
        for entry, outcome in scored(guard, file, entries, threshold, skip_errors):
            if isinstance(entry, Item) and entry.record is not None and not isinstance(outcome, str) \
                    and outcome is not None:
                lines.append(entry.line)
                verdicts.append(outcome)
                yield entry.record
            elif isinstance(entry, Skipped):
                warn(f"{file} line {entry.line}: {entry.reason} (skipped)")
            else:
                left_out += 1

    labels = labels_of(records())
    if left_out:
        warn(f"left out {left_out} line(s) of {file} that could not be checked")
    if not lines:
        raise CliError(f"{file} holds no texts" + (" that could be checked" if left_out else ""))
    return lines, labels, verdicts, left_out
