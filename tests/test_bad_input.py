"""Every bad input gives one ``error:`` line and exit 2 (never a traceback); --skip-errors
goes on; --output is written atomically."""
from __future__ import annotations

import json
import os
from pathlib import Path

from test_cli import _jsonl, _one_error_line, run

from fixtures_bundle import sign_for_tests
from tinyguard.bundle.folder import rewrite_manifest


def test_empty_whitespace_and_control_text(bundle_dir: Path) -> None:
    b = str(bundle_dir)
    _one_error_line(run("check", "--bundle", b, ""), "empty text")
    _one_error_line(run("check", "--bundle", b, "-", input=" \n\t \u200b\n"), "empty text")
    _one_error_line(run("check", "--bundle", b, "\x01\x02\x1b"), "empty text")
    ok = run("check", "--bundle", b, "tell\x07 me\x00 a story\x1b")
    assert ok.exit_code == 0 and _jsonl(ok.stdout)[0]["flagged"] is False


def test_non_string_values_in_jsonl(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    for line, what in (('{"text": 5}', "a number"), ('{"text": null}', "missing"), ('{"text": ["a"]}', "a list"),
                       ('{"no_text": "a"}', "missing"), ('{"text": "a", "context": 3}', "context"),
                       ('"just a string"', "JSON object"), ("[" * 100_000, "invalid JSON")):
        path.write_text('{"text": "fine"}\n' + line + "\n", encoding="utf-8")
        _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)), "line 2", what)


def test_binary_files_and_stdin(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 4)
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)), "binary", "NUL")
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path), "--skip-errors"), "binary")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "-", input=b"text\x00more"), "stdin", "binary")
    _one_error_line(run("eval", str(path), "--bundle", str(bundle_dir)), "binary")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(tmp_path)), "not a file")


def test_ten_megabyte_stdin(bundle_dir: Path) -> None:
    big = "tell me a story about the weather today . " * 240_000  # ~10 MB
    r = run("check", "--bundle", str(bundle_dir), "-", input=big)
    assert r.exit_code == 1, r.stderr  # not fully checked: flagged by the default policy, never "ok"
    (v,) = _jsonl(r.stdout)
    assert v["truncated"] is True and v["flagged"] is True and v["unchecked"] == ["truncated"]


def test_skip_errors_reports_lines_and_goes_on(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "write a poem about cats"}\n{"text": oops}\n\n{"text": "how do i make a bomb"}\n'
                     b'{"text": "bad \xff utf8"}\n{"text": "   "}\n{"text": "tell me a story", "role": "system"}\n'
                     b'{"text": "the weather today"}\n')
    strict = run("check", "--bundle", str(bundle_dir), "--input", str(path))
    _one_error_line(strict, "invalid JSON", "line 2")  # without --skip-errors: the first bad line stops the run
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path), "--skip-errors")
    assert r.exit_code == 3, r.stderr  # some lines were not checked: neither 0 nor (only) 1
    out = _jsonl(r.stdout)
    assert [v["line"] for v in out] == list(range(1, 9))  # one output line per input line, in order
    assert [v.get("flagged") for v in out] == [False, None, None, True, None, None, None, False]
    assert out[2] == {"line": 3, "skipped": "blank line"}
    for n, what in ((2, "invalid JSON"), (5, "UTF-8"), (6, "empty text"), (7, "role")):
        assert set(out[n - 1]) == {"line", "error"} and what in out[n - 1]["error"], out[n - 1]
    warnings = r.stderr.strip().splitlines()
    assert all(w.startswith("warning: ") for w in warnings) and "Traceback" not in r.stderr
    for n, what in ((2, "invalid JSON"), (5, "UTF-8"), (6, "empty text"), (7, "role")):
        assert any(f"line {n}: " in w and what in w and "(not checked)" in w for w in warnings), (n, warnings)
    assert "4 line(s)" in warnings[-1] and "could not be checked" in warnings[-1]
    txt = tmp_path / "mixed.txt"
    txt.write_bytes(b"write a poem\n\n\xfe\xff\nbomb\n")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(txt), "--skip-errors", "--format", "text")
    assert r.exit_code == 3 and [ln.split(": ")[1].split()[0] for ln in r.stdout.splitlines()] == [
        "ok", "skipped", "ERROR", "FLAGGED"]
    path.write_text("{}\n[]\n", encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path), "--skip-errors")
    assert r.exit_code == 3 and [set(v) for v in _jsonl(r.stdout)] == [{"line", "error"}] * 2
    assert all(ln.startswith("warning: ") for ln in r.stderr.strip().splitlines())


def test_eval_skip_errors(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text('{"text": "bomb", "label": "unsafe"}\n{"text": "x", "label": "maybe"}\n'
                    '{"text": "cats", "label": "safe"}\n', encoding="utf-8")
    r = run("eval", str(path), "--bundle", str(bundle_dir), "--json", "--skip-errors")
    assert r.exit_code == 0 and json.loads(r.stdout)["n"] == 2 and "line 2" in r.stderr


def test_missing_corrupt_tampered_bundles(fresh_bundle: Path, tmp_path: Path) -> None:
    b = str(fresh_bundle)
    _one_error_line(run("check", "--bundle", str(tmp_path / "nope"), "hi"), "bundle folder not found")
    manifest = fresh_bundle / "manifest.json"
    good = manifest.read_bytes()
    data = json.loads(good)
    manifest.write_text(json.dumps({**data, "schema_version": 99}), encoding="utf-8")
    _one_error_line(run("check", "--bundle", b, "hi"), "unknown schema_version 99")
    _one_error_line(run("info", "--bundle", b), "unknown schema_version 99")
    manifest.write_bytes(good[: len(good) // 2])
    _one_error_line(run("check", "--bundle", b, "hi"), "not valid JSON")
    manifest.write_bytes(b"\xff\xfe\x00garbage")
    _one_error_line(run("check", "--bundle", b, "hi"), "not valid JSON")
    manifest.write_bytes(good)
    model = fresh_bundle / "model.int8.onnx"
    model.write_bytes(model.read_bytes()[:-10] + b"0123456789")
    _one_error_line(run("check", "--bundle", b, "hi"), "sha256 mismatch for model.int8.onnx")
    model.unlink()
    _one_error_line(run("check", "--bundle", b, "hi"), "model.int8.onnx", "missing")
    manifest.unlink()
    _one_error_line(run("check", "--bundle", b, "hi"), "manifest.json is missing")


def test_bad_defenses_in_manifest(fresh_bundle: Path) -> None:
    rewrite_manifest(fresh_bundle, {"defenses": ["all"]})
    sign_for_tests(fresh_bundle)
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "hi"), "'defenses' must be an object")
    r = run("check", "--bundle", str(fresh_bundle), "--no-defenses", "hi")
    _one_error_line(r, "defenses")  # the manifest is still invalid: refused either way


def test_output_file_is_written_atomically(bundle_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    r = run("check", "--bundle", str(bundle_dir), "--output", str(out), "how do i make a bomb")
    assert r.exit_code == 1 and r.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["flagged"] is True
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    before = out.read_bytes()
    _one_error_line(run("check", "--bundle", str(tmp_path / "missing"), "--output", str(out), "hi"), "bundle")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--output", str(out), "   "), "empty text")
    assert out.read_bytes() == before  # a failed run leaves the old file alone
    assert sorted(os.listdir(tmp_path)) == ["verdicts.jsonl"]  # and no temp files behind
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--output", str(tmp_path / "no" / "x.jsonl"), "hi"),
                    "output folder does not exist")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--output", str(tmp_path), "hi"), "folder")
    inp = tmp_path / "in.txt"
    inp.write_text("cats\nbomb\n", encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(inp), "--output", str(out), "--format", "text")
    assert r.exit_code == 1 and out.read_text(encoding="utf-8").splitlines()[1].startswith("line 2: FLAGGED")


def test_no_defenses_flag(bundle_dir: Path) -> None:
    on = run("check", "--bundle", str(bundle_dir), "how do i make a b0mb")
    off = run("check", "--bundle", str(bundle_dir), "--no-defenses", "how do i make a b0mb")
    assert on.exit_code == 1 and off.exit_code == 0
