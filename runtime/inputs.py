"""Texts from files for ``guard-cli``: streamed line by line, and never failing open.

Why: a guard that drops a line it could not read, or aborts a million-line run on one blank
line, fails open in the first case and is useless in the second. So:

* every input line becomes exactly one :data:`Entry`, in order: an :class:`Item` to score, a
  :class:`Skipped` blank line, or a :class:`BadLine` (with why), so the output can account for
  each line and the exit code can say when something was not checked (:data:`EXIT_UNCHECKED`);
* files are read lazily, so memory is bounded by the batch being scored, not the file size;
* UTF-8 (with or without BOM) and UTF-16/UTF-32 with a byte-order mark are read; UTF-16 without
  a BOM and binary files are refused with a one-line reason; an undecodable line is a BadLine,
  never silently "fixed"; a lone surrogate (``"\\ud800"`` in JSON) is replaced by U+FFFD by
  the Guard and the text is still scored, with a warning;
* ``.jsonl``, ``.ndjson`` and ``.json`` files are JSON Lines (one object per line, with
  ``text``, ``role``, ``context``); a ``.json`` file that holds one JSON document (an array, a
  pretty-printed object) is refused with one line, never scored as raw text.
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable, Iterator, Union

from tinyguard.records import Record
from tinyguard.taxonomy import CATEGORIES, CODE_TO_NAME, LABELS, ROLES
from tinyguard.verdict import Verdict

if TYPE_CHECKING:
    from tinyguard.scoring.guard import Guard

GROUP = 512  # texts scored per check_batch call when reading a file (bounds memory)
EXIT_UNCHECKED = 3  # exit code: some input lines could not be checked (error records)
SNIFF = 1 << 16  # bytes looked at to recognise the encoding (BOM) or a binary file
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),  # before UTF-16: same prefix
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_SURROGATE = re.compile("[\ud800-\udfff]")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


def is_jsonl(path: str) -> bool:
    """Whether ``--input FILE`` is read as JSON Lines (by its suffix)."""
    return path.lower().endswith(JSONL_SUFFIXES)


class InputError(ValueError):
    """The input as a whole cannot be read (missing, binary, wrong encoding): one line, exit 2."""


class LineError(ValueError):
    """One line is unusable (bad JSON, wrong field type, ...); the message names no line."""


@dataclass(frozen=True)
class Item:
    """One text to score, with the line it came from (for messages and seeds).

    A line of a labelled file also carries its labelled example, a
    :class:`~tinyguard.records.Record` (the one labelled-example type, label "safe"/"unsafe");
    ``label`` reads it; nothing of it is stored twice."""

    text: str
    role: str
    context: str
    line: int = 0
    note: str = ""  # a warning about this line that did not stop it being scored
    record: Record | None = None  # set for a line of a labelled file

    @classmethod
    def of(cls, record: Record, line: int = 0, note: str = "") -> "Item":
        """The Item that scores ``record`` (its text, role and context)."""
        return cls(record.text, record.role, record.context, line, note, record)

    @property
    def label(self) -> int | None:
        """1 unsafe, 0 safe (the form metrics take), None for an unlabelled text."""
        return None if self.record is None else int(self.record.label == "unsafe")


@dataclass(frozen=True)
class Skipped:
    """A blank line: nothing to check."""

    line: int
    reason: str = "blank line"


@dataclass(frozen=True)
class BadLine:
    """A line that could not be checked, and why."""

    line: int
    error: str


Entry = Union[Item, Skipped, BadLine]


# ---------------------------------------------------------------- bytes -> text

def sniff_encoding(head: bytes, what: str) -> tuple[str, int]:
    """(codec, BOM length) for data starting with ``head``; InputError for binary data or
    UTF-16 without a byte-order mark (which cannot be told apart from binary reliably)."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, 0  # the utf-16/utf-32 codecs read the BOM themselves
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    nul = head.find(b"\x00")
    if nul >= 0:
        sample = head[:4096]
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if len(sample) >= 8 and max(odd, even) >= 0.4 * (len(sample) // 2) and min(odd, even) == 0:
            order = "LE" if odd > even else "BE"
            raise InputError(f"{what} looks like UTF-16 without a byte-order mark; convert it to UTF-8 "
                             f"(e.g. iconv -f UTF-16{order} -t UTF-8)")
        raise InputError(f"{what} looks like a binary file (NUL byte at offset {nul}); expected UTF-8 text")
    return "utf-8", 0


def decode_text(data: bytes, what: str) -> str:
    """All of ``data`` as one text (stdin): UTF-8, or UTF-16/32 with a BOM."""
    codec, skip = sniff_encoding(data[:SNIFF], what)
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as e:
        if codec != "utf-8":
            raise InputError(f"{what} is not valid {codec.upper()} (byte offset {e.start})") from None
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{what} is not valid UTF-8 (line {line}, byte offset {e.start})") from None


def open_input(path: str) -> BinaryIO:
    p = Path(path)
    if not p.exists():
        raise InputError(f"input file not found: {path}")
    if not p.is_file():
        raise InputError(f"not a file: {path}")
    try:
        return open(p, "rb")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None


def text_lines(stream: BinaryIO, what: str) -> Iterator[tuple[int, str | BadLine]]:
    """(line number, text) for each line of ``stream``, read lazily; a line that is not valid
    UTF-8 comes back as a BadLine. Lines end at ``\\n`` only (a ``\\r`` before it is dropped),
    so a form feed or U+2028 inside a text does not split it."""
    head = stream.read(SNIFF)
    codec, skip = sniff_encoding(head, what)
    rest = io.BufferedReader(_Rejoined(head[skip:], stream), 1 << 16)
    if codec != "utf-8":
        yield from _wide_lines(rest, codec, what)
        return
    for n, raw in enumerate(rest, 1):
        raw = raw[:-1] if raw.endswith(b"\n") else raw
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        try:
            yield n, raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield n, BadLine(n, f"not valid UTF-8 (byte {e.start + 1} of the line)")


def _wide_lines(stream: io.BufferedReader, codec: str, what: str) -> Iterator[tuple[int, str | BadLine]]:
    # surrogatepass: an unpaired UTF-16 surrogate becomes a lone surrogate in the text, which
    # the Guard replaces by U+FFFD (with a warning) like one from JSON.
    text = io.TextIOWrapper(stream, encoding=codec, errors="surrogatepass", newline="\n")
    n = 0
    try:
        for n, line in enumerate(text, 1):
            line = line[:-1] if line.endswith("\n") else line
            yield n, line[:-1] if line.endswith("\r") else line
    except UnicodeDecodeError as e:
        raise InputError(f"{what} is not valid {codec.upper()} after line {n} ({e.reason})") from None


class _Rejoined(io.RawIOBase):
    """``head`` (already read) followed by the rest of ``stream``, as one readable stream."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buf))
        buf[: len(data)] = data
        return len(data)


# ---------------------------------------------------------------- text -> entries

def read_entries(path: str, role: str, context: str, *, jsonl: bool, labelled: bool = False) -> Iterator[Entry]:
    """One Entry per line of ``path`` (``.txt``: one text a line; ``.jsonl``: objects with
    ``text``, optional ``role``/``context``, and ``label``/``categories``/``hard_negative``
    when ``labelled``). Lazy: the file is read as the entries are consumed."""
    first = jsonl  # the first text line of a JSON file must be a whole JSON value
    with open_input(path) as stream:
        for n, line in text_lines(stream, path):
            if first and isinstance(line, str) and line.strip():
                first = False
                _check_json_lines(path, line)
            if isinstance(line, BadLine):
                yield line
            elif not line.strip():
                yield Skipped(n)
            elif not jsonl:
                yield Item(line, role, context, n, note=surrogate_note(line))
            else:
                try:
                    yield jsonl_item(line, n, role, context, labelled, source=Path(path).name)
                except LineError as e:
                    yield BadLine(n, str(e))


def _check_json_lines(path: str, line: str) -> None:
    """InputError when the first line of a JSON file starts one document spread over many lines."""
    try:
        json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        if line.strip()[:1] in ("[", "{"):
            raise InputError(f"{path} holds one JSON document over several lines, not JSON Lines (one object "
                             f"with \"text\" per line); convert it, e.g.: jq -c '.[]' {path} > texts.jsonl") from None
    else:
        if line.strip().startswith("["):
            raise InputError(f"{path} holds a JSON array, not JSON Lines (one object with \"text\" per line); "
                             f"convert it, e.g.: jq -c '.[]' {path} > texts.jsonl")


def jsonl_item(line: str, n: int, role: str, context: str, labelled: bool, source: str = "") -> Item:
    """The Item one JSON line describes; LineError when it describes none. A labelled line
    becomes a Record (``source``: the file's name; licence class "unknown")."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise LineError(f"invalid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise LineError("invalid JSON (nested too deeply)") from None
    return object_item(obj, n, role, context, labelled, source)


def object_item(obj: Any, n: int, role: str, context: str, labelled: bool = False, source: str = "") -> Item:
    """The Item one parsed JSON value describes (a ``--input`` line, or an item of
    ``guard-cli serve``'s ``/v1/check``); LineError when it describes none."""
    if not isinstance(obj, dict):
        raise LineError(f"expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str):
        raise LineError(f"'text' must be a string, not {_json_type(text)}")
    if not text.strip():
        raise LineError("empty text")
    r = obj.get("role", role)
    if r not in ROLES:
        raise LineError(f"role must be one of {list(ROLES)}, not {r!r}")
    ctx = obj.get("context", context)
    if ctx is None:
        ctx = ""
    if not isinstance(ctx, str):
        raise LineError("'context' must be a string")
    note = surrogate_note(text + ctx)
    if labelled:
        label, cats = _parse_label(obj), _parse_categories(obj)
        if label == "safe" and cats:
            raise LineError("a safe line names no categories (they say what makes a text unsafe)")
        try:
            record = Record(text, r, label, source, "unknown", list(cats), ctx,
                            hard_negative=obj.get("hard_negative") is True)
        except ValueError as e:
            raise LineError(str(e)) from None
        return Item.of(record, n, note)
    return Item(text, r, ctx, n, note=note)


def surrogate_note(text: str) -> str:
    m = _SURROGATE.search(text)
    return "" if m is None else (f"lone surrogate U+{ord(m.group()):04X} (not valid Unicode) replaced by "
                                 f"U+FFFD before scoring")


def _json_type(value: Any) -> str:
    return "missing" if value is None else {dict: "an object", list: "a list", bool: "a boolean",
                                            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _parse_label(obj: dict[str, Any]) -> str:
    """"safe" or "unsafe" (the Record's labels) from "safe"/"unsafe", 0/1 or false/true."""
    label = obj.get("label")
    if isinstance(label, bool) or (isinstance(label, int) and label in (0, 1)):
        return LABELS[int(label)]
    if isinstance(label, str) and label.lower() in LABELS:
        return label.lower()
    raise LineError(f"'label' must be \"safe\"/\"unsafe\", 0/1 or true/false, not {label!r}")


def _parse_categories(obj: dict[str, Any]) -> tuple[str, ...]:
    if "categories" not in obj or obj["categories"] is None:
        return ()
    cats = obj["categories"]
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        raise LineError("'categories' must be a list of category names")
    names = tuple(CODE_TO_NAME.get(c, c) for c in cats)  # accept codes (S9) as well as names
    unknown = [c for c in names if c not in CATEGORIES]
    if unknown:
        raise LineError(f"unknown categories {unknown}; expected names from {list(CATEGORIES)}")
    return names


# ---------------------------------------------------------------- entries -> verdicts

def score_entries(guard: "Guard", entries: Iterable[Entry], *, threshold: float | None = None,
                  group: int = GROUP, stop_at_bad: bool = False) -> Iterator[tuple[Entry, "Verdict | str | None"]]:
    """(entry, outcome) for every entry, in order: a Verdict for a scored Item, an error
    message (str) for an Item the guard refused or a BadLine, None for a Skipped line.

    At most ``group`` entries are held at a time, so memory does not grow with the input. When
    a batch is refused (e.g. one text is empty once normalized), its items are scored one by
    one so only the bad one fails. ``stop_at_bad``: flush what came before a BadLine at once
    (the caller is about to stop there).
    """
    pending: list[Entry] = []
    for entry in entries:
        pending.append(entry)
        if len(pending) >= group or (stop_at_bad and isinstance(entry, BadLine)):
            yield from _flush(guard, pending, threshold)
            pending = []
    yield from _flush(guard, pending, threshold)


def _flush(guard: "Guard", pending: list[Entry], threshold: float | None) -> Iterator[tuple[Entry, Any]]:
    items = [e for e in pending if isinstance(e, Item)]
    outcomes: list[Any]
    try:
        outcomes = list(_check(guard, items, threshold))
    except (ValueError, TypeError):
        outcomes = []
        for item in items:
            try:
                outcomes.extend(_check(guard, [item], threshold))
            except (ValueError, TypeError) as e:
                outcomes.append(" ".join(str(e).split()))
    it = iter(outcomes)
    for entry in pending:
        if isinstance(entry, Item):
            yield entry, next(it)
        else:
            yield entry, entry.error if isinstance(entry, BadLine) else None


def _check(guard: "Guard", items: list[Item], threshold: float | None) -> list["Verdict"]:
    if not items:
        return []
    return guard.check_batch([i.text for i in items], [i.role for i in items],
                             contexts=[i.context for i in items], threshold=threshold)
