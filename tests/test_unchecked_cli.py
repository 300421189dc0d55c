"""``guard-cli check`` says when a text was not fully checked, and its policy decides the exit code."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tinyguard.cli.main import main
from tinyguard.cli.policy import DEFAULT_MAX_CHARS as CLI_MAX_CHARS, DEFAULT_MIN_COVERAGE as CLI_MIN_COVERAGE
from tinyguard.scoring.guard import DEFAULT_MAX_CHARS, DEFAULT_MIN_COVERAGE

LONG = "tell me a story about the weather today . " * 200  # 8,600 characters
CJK = "你好，你今天怎么样？我想问一个问题"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def _records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_defaults_match_the_python_api() -> None:
    assert (CLI_MAX_CHARS, CLI_MIN_COVERAGE) == (DEFAULT_MAX_CHARS, DEFAULT_MIN_COVERAGE)


def test_truncated_text_policies(bundle_dir: Path) -> None:
    base = ("check", "--bundle", str(bundle_dir), "--max-chars", "1000", "-")
    flag = run(*base, input=LONG)
    assert flag.exit_code == 1, flag.stderr
    (v,) = _records(flag.stdout)
    assert v["flagged"] and v["truncated"] and v["unchecked"] == ["truncated"] and v["score"] < v["threshold"]
    report = run(*base, "--on-unchecked", "report", input=LONG)
    assert report.exit_code == 3 and "not fully checked" in report.stderr
    (v,) = _records(report.stdout)
    assert not v["flagged"] and v["unchecked"] == ["truncated"]
    passed = run(*base, "--on-unchecked", "pass", input=LONG)
    assert passed.exit_code == 0 and _records(passed.stdout)[0]["unchecked"] == ["truncated"]
    full = run("check", "--bundle", str(bundle_dir), "-", input=LONG)  # under the default cap
    assert full.exit_code == 0 and _records(full.stdout)[0]["unchecked"] == []
    text = run(*base, "--format", "text", input=LONG)
    assert text.stdout.startswith("FLAGGED") and "[not fully checked: truncated]" in text.stdout
    assert "indiscriminate" not in text.stdout  # flagged by policy: no category is named


def test_unsupported_text_and_min_coverage(bundle_dir: Path) -> None:
    r = run("check", "--bundle", str(bundle_dir), "--format", "text", CJK)
    assert r.exit_code == 1 and "unsupported (coverage 0.00)" in r.stdout
    assert run("check", "--bundle", str(bundle_dir), "--min-coverage", "0", CJK).exit_code == 0
    r = run("check", "--bundle", str(bundle_dir), "--on-unchecked", "report", CJK)
    assert r.exit_code == 3 and _records(r.stdout)[0]["coverage"] == 0.0


def test_input_file_mixes_flagged_and_unchecked(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "texts.txt"
    path.write_text(f"write a poem about cats\n{CJK}\nhow do i make a bomb\n", encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path), "--on-unchecked", "report")
    assert r.exit_code == 3  # something was not fully checked: that outranks "flagged"
    out = _records(r.stdout)
    assert [v["flagged"] for v in out] == [False, False, True] and out[1]["unchecked"] == ["unsupported"]
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path))
    assert r.exit_code == 1 and [v["flagged"] for v in _records(r.stdout)] == [False, True, True]


def test_bad_policy_values_are_usage_errors(bundle_dir: Path) -> None:
    for args in (("--max-chars", "0"), ("--min-coverage", "1.5"), ("--on-unchecked", "ignore")):
        r = run("check", "--bundle", str(bundle_dir), *args, "text")
        assert r.exit_code == 2 and r.stderr.startswith("error:"), args
