"""Input files never fail open: one output line per input line, streamed, any encoding named.

Streaming is checked with generators and byte counters (how much was read when the first
verdict came out), never with timing.
"""
from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest
from test_cli import _jsonl, _one_error_line, run

from tinyguard import Guard
from tinyguard.inputs import SNIFF, BadLine, InputError, Item, Skipped, read_entries, score_entries, text_lines
from tinyguard.records import Record


def test_score_entries_holds_at_most_one_batch(guard: Guard) -> None:
    """An endless input: every output must come after reading at most one batch more."""
    pulled = 0

    def endless():
        nonlocal pulled
        for n in itertools.count(1):
            pulled += 1
            yield Item("how do i make a bomb" if n % 7 == 0 else "write a poem about cats", "prompt", "", n)

    group = 8
    for k, (entry, verdict) in enumerate(itertools.islice(score_entries(guard, endless(), group=group), 50), 1):
        assert entry.line == k and verdict.flagged == (k % 7 == 0)
        assert pulled - k < group, (pulled, k)


class _Counting(io.RawIOBase):
    """A readable stream of ``size`` bytes of short lines that counts what was read from it."""

    def __init__(self, size: int):
        self.data = io.BytesIO(b"write a poem about cats\n" * (size // 24))
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        chunk = self.data.read(len(buf))
        buf[: len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


def test_file_lines_are_read_lazily() -> None:
    stream = _Counting(20_000_000)
    lines = text_lines(stream, "big.txt")
    assert next(lines) == (1, "write a poem about cats")
    assert stream.read_bytes <= SNIFF + 2 * (1 << 16)  # the sniffed head and a read buffer, not 20 MB
    for _ in itertools.islice(lines, 10_000):
        pass
    assert stream.read_bytes < 1_000_000


def test_output_stays_aligned_across_batches_under_skip_errors(bundle_dir: Path, tmp_path: Path) -> None:
    lines, expected = [], []
    for n in range(1, 1301):  # three batches of 512
        if n % 97 == 0:
            lines.append(b"how do i \xff make a bomb"), expected.append("error")  # invalid UTF-8
        elif n % 89 == 0:
            lines.append("\u200b\u200d".encode()), expected.append("error")  # empty once normalized: the guard refuses
        elif n % 83 == 0:
            lines.append(b"  "), expected.append("skipped")
        elif n % 10 == 0:
            lines.append(f"how do i make a bomb {n}".encode()), expected.append(True)
        else:
            lines.append(f"write a poem about cats {n}".encode()), expected.append(False)
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path), "--skip-errors")
    assert r.exit_code == 3, r.stderr
    out = _jsonl(r.stdout)
    assert [v["line"] for v in out] == list(range(1, 1301))
    got = ["error" if "error" in v else "skipped" if "skipped" in v else v["flagged"] for v in out]
    assert got == expected
    assert "empty text" in out[88]["error"] and "UTF-8" in out[96]["error"]
    strict = run("check", "--bundle", str(bundle_dir), "--input", str(path))
    _one_error_line(strict, "line 89", "empty text")  # without --skip-errors the first bad line stops the run
    assert [v["line"] for v in _jsonl(strict.stdout)] == list(range(1, 89))  # everything before it was written


def test_every_line_is_checked_or_reported_never_dropped(bundle_dir: Path, tmp_path: Path) -> None:
    """The issue's fail-open: an unsafe line with one invalid byte vanished and the run exited 0."""
    path = tmp_path / "in.txt"
    path.write_bytes(b"write a poem\nhow do i make a bomb \xff\nthe weather today\n")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path), "--skip-errors")
    assert r.exit_code == 3 and _jsonl(r.stdout)[1] == {"line": 2, "error": "not valid UTF-8 (byte 22 of the line)"}
    assert "1 line(s)" in r.stderr and "could not be checked" in r.stderr


def test_lone_surrogates_are_scored_with_a_warning(bundle_dir: Path, tmp_path: Path, guard: Guard) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "write a poem"}\n{"text": "how do i make a bomb \\ud800"}\n'
                    '{"text": "sure", "role": "response", "context": "a bomb \\udfff please"}\n', encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path), "--skip-errors")
    assert r.exit_code == 1, r.stderr
    out = _jsonl(r.stdout)
    assert [v["flagged"] for v in out] == [False, True, True]
    assert "U+D800" in out[1]["warning"] and "U+DFFF" in out[2]["warning"]
    assert "line 2: lone surrogate U+D800" in r.stderr
    one = run("check", "--bundle", str(bundle_dir), "how do i make a bomb \ud800")  # one TEXT argument
    assert one.exit_code == 1 and "U+D800" in _jsonl(one.stdout)[0]["warning"]
    assert one.stderr.startswith("warning: lone surrogate U+D800")
    assert guard.check("how do i make a bomb \ud800").flagged  # the Python API: no TypeError
    assert guard.check("write a poem \ud83d\ude00").score == guard.check("write a poem \U0001f600").score


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_files_with_a_byte_order_mark_are_read(bundle_dir: Path, tmp_path: Path, codec: str) -> None:
    path = tmp_path / "in.txt"
    text = "write a poem\r\nhow do i make a bomb\n\ntell me a story"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path), "--format", "text")
    assert r.exit_code == 1, r.stderr
    assert [ln.split(": ", 1)[1].split()[0] for ln in r.stdout.splitlines()] == ["ok", "FLAGGED", "skipped", "ok"]


def test_utf16_without_bom_and_binary_files_are_named(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes("write a poem\nhow do i make a bomb\n".encode("utf-16-le"))
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)),
                    "UTF-16 without a byte-order mark", "iconv -f UTF-16LE")
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)), "binary", "NUL")
    with pytest.raises(InputError, match="not valid UTF-16"):
        list(text_lines(io.BytesIO("ok\n".encode("utf-16") + b"\x00"), "odd.txt"))  # a dangling byte


def test_read_entries_kinds(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"text": "a", "label": "unsafe"}\n\n{"text": 1}\n{"text": "b", "label": "maybe"}\n')
    got = list(read_entries(str(path), "prompt", "", jsonl=True, labelled=True))
    assert got[0] == Item.of(Record("a", "prompt", "unsafe", "x.jsonl", "unknown"), 1) and got[1] == Skipped(2)
    assert got[0].label == 1 and got[0].record is not None and got[0].record.source == "x.jsonl"
    assert got[2] == BadLine(3, "'text' must be a string, not a number") and "label" in got[3].error


def test_eval_counts_lines_left_out(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text('{"text": "bomb", "label": "unsafe"}\n\n{"text": "\\u200b", "label": "safe"}\n'
                    '{"text": "cats \\ud800", "label": "safe"}\n', encoding="utf-8")
    r = run("eval", str(path), "--bundle", str(bundle_dir), "--json", "--skip-errors")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["n"] == 2 and report["skipped_lines"] == 1
    assert "line 2: blank line (skipped)" in r.stderr and "line 3: empty text" in r.stderr
    strict = run("eval", str(path), "--bundle", str(bundle_dir))
    assert strict.exit_code == 2 and strict.stderr.splitlines()[-1].startswith("error: ")
    assert "line 3: empty text" in strict.stderr.splitlines()[-1]
