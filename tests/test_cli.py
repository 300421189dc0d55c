"""guard-cli through click's CliRunner and as the installed executable."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from fixtures_bundle import sign_for_tests

from tinyguard import __version__
from tinyguard.bundle.folder import default_bundle_path
from tinyguard.cli.main import main
from tinyguard.taxonomy import CATEGORIES

GUARD_CLI = Path(sys.executable).parent / "guard-cli"


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def _jsonl(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def _one_error_line(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_check_text_exit_codes(bundle_dir: Path) -> None:
    ok = run("check", "--bundle", str(bundle_dir), "Write a poem about cats")
    assert ok.exit_code == 0, ok.output
    (v,) = _jsonl(ok.stdout)
    assert v["flagged"] is False and v["role"] == "prompt" and set(v["categories"]) == set(CATEGORIES)
    bad = run("check", "--bundle", str(bundle_dir), "how do i make a bomb")
    assert bad.exit_code == 1
    (v,) = _jsonl(bad.stdout)
    assert v["flagged"] is True and v["categories"]["indiscriminate_weapons"] is True
    assert v["model"] == "tinyguard-fixture@0.0.1"


def test_check_stdin_is_one_text(bundle_dir: Path) -> None:
    r = run("check", "--bundle", str(bundle_dir), "-", input="tell me a story\nabout a bomb\n")
    assert r.exit_code == 1
    assert len(_jsonl(r.stdout)) == 1
    r = run("check", "--bundle", str(bundle_dir), "-", input=b"\xc3\x28 bad")
    _one_error_line(r, "stdin is not valid UTF-8")
    r = run("check", "--bundle", str(bundle_dir), "-", input="tell me about a bomb".encode("utf-16"))  # with BOM
    assert r.exit_code == 1 and _jsonl(r.stdout)[0]["flagged"] is True


def test_check_options_role_context_threshold(bundle_dir: Path) -> None:
    r = run("check", "--bundle", str(bundle_dir), "--role", "response", "--context", "how to build a bomb",
            "Sure, here it is")
    assert r.exit_code == 1 and _jsonl(r.stdout)[0]["role"] == "response"
    r = run("check", "--bundle", str(bundle_dir), "--threshold", "0.01", "Write a poem about cats")
    (v,) = _jsonl(r.stdout)
    assert r.exit_code == 1 and v["threshold"] == 0.01 and v["flagged"]


def test_input_txt_1000_lines(bundle_dir: Path, tmp_path: Path) -> None:
    lines = [f"how do i make a cake {i}" if i % 10 else f"how do i make a bomb {i}" for i in range(1000)]
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path))
    assert r.exit_code == 1, r.stderr
    out = _jsonl(r.stdout)
    assert len(out) == 1000
    assert [v["flagged"] for v in out] == [i % 10 == 0 for i in range(1000)]


def test_input_txt_blank_line_is_reported_not_fatal(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "prompts.txt"
    path.write_text("hello\n\n \t\nbomb\n", encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path))
    assert r.exit_code == 1, r.stderr  # blank lines neither stop the run nor count as unchecked
    out = _jsonl(r.stdout)
    assert out[1:3] == [{"line": 2, "skipped": "blank line"}, {"line": 3, "skipped": "blank line"}]
    assert [v["line"] for v in out] == [1, 2, 3, 4] and out[3]["flagged"] is True
    path.write_text("\n\n", encoding="utf-8")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)), "holds no texts")


def test_input_jsonl_with_role_and_context(bundle_dir: Path, tmp_path: Path) -> None:
    rows = [{"text": "Write a poem about cats"},
            {"text": "Sure, here it is", "role": "response", "context": "how do i make a bomb"},
            {"text": "Sure, here it is", "role": "response", "context": "how do i make a cake", "id": 7}]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path))
    out = _jsonl(r.stdout)
    assert r.exit_code == 1
    assert [v["role"] for v in out] == ["prompt", "response", "response"]
    assert [v["flagged"] for v in out] == [False, True, False]


def test_malformed_jsonl_line_is_named(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n{"text": oops}\n', encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--input", str(path))
    _one_error_line(r, "line 3", "invalid JSON")
    path.write_text('{"text": "a"}\n{"text": "b", "role": "system"}\n', encoding="utf-8")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)), "line 2", "role")
    path.write_text('{"text": "a"}\n["text"]\n', encoding="utf-8")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)), "line 2", "JSON object")


def test_invalid_utf8_and_missing_file(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine line\nbad \xc3\x28 line\n")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(path)), "not valid UTF-8", "line 2")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", str(tmp_path / "nope.txt")),
                    "not found")


def test_usage_and_bundle_errors_are_one_line(bundle_dir: Path, tmp_path: Path, fresh_bundle: Path) -> None:
    _one_error_line(run("check", "--bundle", str(tmp_path / "missing"), "hello"), "bundle folder not found")
    _one_error_line(run("check", "--bundle", str(bundle_dir)), "give TEXT")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--input", "x.txt", "text"), "not both")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "   "), "empty text")
    _one_error_line(run("check", "--nope"), "--nope")
    _one_error_line(run("check", "--role", "system", "hi"), "system")
    (fresh_bundle / "tokenizer.json").write_text("{}")
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "hi"), "sha256 mismatch for tokenizer.json")


def test_format_text(bundle_dir: Path, tmp_path: Path) -> None:
    r = run("check", "--bundle", str(bundle_dir), "--format", "text", "how do i make a bomb")
    assert r.exit_code == 1
    assert r.stdout.startswith("FLAGGED 1.000") and "indiscriminate_weapons" in r.stdout
    path = tmp_path / "p.txt"
    path.write_text("write a poem about cats\nbomb\n", encoding="utf-8")
    r = run("check", "--bundle", str(bundle_dir), "--format", "text", "--input", str(path))
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("line 1: ok") and lines[1].startswith("line 2: FLAGGED")


def _eval_rows() -> list[dict]:
    rows: list[dict] = []
    for k in (0, 20, 60, 110, 200, 400):  # diluted triggers: a spread of scores
        rows.append({"text": "cats " * k + "bomb", "label": "unsafe", "categories": ["indiscriminate_weapons"]})
    rows.append({"text": "how do i make a bomb", "label": 1, "categories": ["S9"]})
    rows.append({"text": "kill them", "label": True, "categories": ["violent_crimes"]})  # missed
    rows.append({"text": "unsafe but uncategorised", "label": "unsafe"})
    rows.append({"text": "Sure", "label": "unsafe", "role": "response", "context": "make a bomb"})
    for i in range(10):
        rows.append({"text": f"write a poem about dogs {i}", "label": "safe"})
    rows.append({"text": "the bath bomb smells nice", "label": "safe", "hard_negative": True})  # FP
    rows.append({"text": "kill a python process", "label": 0, "hard_negative": True})
    rows.append({"text": "how do i kill time", "label": False, "hard_negative": True})
    return rows


def test_eval_rejects_bad_labels(bundle_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text('{"text": "a", "label": "safe"}\n{"text": "b", "label": "maybe"}\n', encoding="utf-8")
    _one_error_line(run("eval", str(path), "--bundle", str(bundle_dir)), "line 2", "label")
    path.write_text('{"text": "a", "label": "unsafe", "categories": ["bombs"]}\n', encoding="utf-8")
    _one_error_line(run("eval", str(path), "--bundle", str(bundle_dir)), "line 1", "unknown categories")


def test_info_is_a_short_summary_and_json_has_everything(bundle_dir: Path) -> None:
    r = run("info", "--bundle", str(bundle_dir))
    assert r.exit_code == 0, r.stderr
    for fragment in ("tinyguard-fixture@0.0.1", "model.int8.onnx", "threshold   0.5", "strict 0.3",
                     "fire (15)", "GGUF: none", "signature   ed25519, verified against trusted key", "CC0-1.0", "every sha256 matches"):
        assert fragment in r.stdout, fragment
    assert len(r.stdout.splitlines()) <= 15 and "{" not in r.stdout
    data = json.loads(run("info", "--bundle", str(bundle_dir), "--format", "json").stdout)
    assert data["model"] == "tinyguard-fixture@0.0.1"
    assert data["sizes"]["model.int8.onnx"] == (bundle_dir / "model.int8.onnx").stat().st_size
    assert data["manifest"]["files"] == json.loads((bundle_dir / "manifest.json").read_text())["files"]
    assert data["manifest"]["encoding"]["max_length"] == 128 and data["manifest"]["taxonomy"][8]["code"] == "S9"


def test_info_names_categories_that_never_fire_and_the_ood_headline(fresh_bundle: Path) -> None:
    from tinyguard.bundle.folder import rewrite_manifest

    cats = {c: 1.0 for c in CATEGORIES} | {"violent_crimes": 0.4, "jailbreak": 0.7}
    rewrite_manifest(fresh_bundle, {
        "category_thresholds": cats,
        "metrics": {"validation": {"n": 40, "f1": 0.75, "auprc": 0.8, "fpr": 0.05},
                    "hard_negatives": {"n": 9, "fp": 1, "fpr": 1 / 9},
                    "ood": {"headline": {"mean_auprc": 0.62, "benign_fpr": 0.1}, "slices": {"a": {}, "b": {}}}}})
    out = run("info", "--bundle", str(fresh_bundle), "--allow-unsigned").stdout  # (the rewrite dropped the signature)
    assert "fire (2): violent_crimes 0.4, jailbreak 0.7" in out and "never fire (13): " in out
    assert "OOD         mean AUPRC 0.620, benign FPR 0.100  (2 held-out slices)" in out
    assert "F1 0.750, AUPRC 0.800, FPR 0.050 on 40 texts; hard-negative FPR 0.111 on 9" in out
    rewrite_manifest(fresh_bundle, {"categories_not_firing": ["jailbreak"]})  # the manifest's own list wins
    out = run("info", "--bundle", str(fresh_bundle), "--allow-unsigned").stdout
    assert "never fire (1): jailbreak" in out and "fire (14): " in out


def test_old_flag_spellings_still_work(bundle_dir: Path, tmp_path: Path) -> None:
    """--json and --out of earlier releases: hidden from --help, same results as the new flags."""
    assert run("info", "--bundle", str(bundle_dir), "--json").stdout == \
        run("info", "--bundle", str(bundle_dir), "--format", "json").stdout
    path = tmp_path / "eval.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _eval_rows()) + "\n", encoding="utf-8")
    old = json.loads(run("eval", str(path), "--bundle", str(bundle_dir), "--json").stdout)
    out = tmp_path / "metrics.json"
    new = run("eval", str(path), "--bundle", str(bundle_dir), "--format", "json", "--output", str(out))
    assert new.exit_code == 0 and new.stdout == "" and json.loads(out.read_text()) == old
    _one_error_line(run("eval", str(path), "--bundle", str(bundle_dir), "--json", "--format", "text"), "disagree")
    _one_error_line(run("eval", str(path), "--bundle", str(bundle_dir), "--output", str(tmp_path / "no" / "m.json")),
                    "output folder does not exist")  # before any scoring
    for command in ("eval", "info", "robustness", "bench", "calibrate"):
        text = run(command, "--help").stdout
        assert "--format [text|json]" in text and "--output FILE" in text, command
        assert "--json" not in text and "--out " not in text and "--out," not in text, command


def test_version_and_help() -> None:
    r = run("--version")
    default = json.loads((default_bundle_path() / "manifest.json").read_text(encoding="utf-8"))
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == f"guard-cli (tinyguard) {__version__}"
    assert r.stdout.splitlines()[1].startswith(f"default model: {default['name']} {default['version']} (")
    r = run("check", "--help")
    assert r.exit_code == 0 and "Examples" in r.stdout and "--input" in r.stdout


def test_installed_executable(bundle_dir: Path, tmp_path: Path) -> None:
    assert GUARD_CLI.is_file(), f"guard-cli is not installed next to {sys.executable}"
    path = tmp_path / "many.txt"
    path.write_text("".join(f"write a poem about cats {i}\n" for i in range(1000)), encoding="utf-8")
    p = subprocess.run([str(GUARD_CLI), "check", "--bundle", str(bundle_dir), "--input", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert len(out) == 1000 and all(json.loads(line)["flagged"] is False for line in out)

    p = subprocess.run([str(GUARD_CLI), "check", "--bundle", str(bundle_dir), "-"], input="a bomb",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and json.loads(p.stdout)["flagged"] is True

    p = subprocess.run([str(GUARD_CLI), "check", "--bundle", str(tmp_path / "missing"), "hi"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("error: ") and "Traceback" not in p.stderr


def test_input_latency_is_each_texts_own(bundle_dir: Path, tmp_path: Path) -> None:
    """latency_ms of an --input line is that text's time, not the batch's time shared out evenly."""
    path = tmp_path / "mixed.txt"
    long = " ".join(["write a poem about cats and dogs today."] * 400)  # many windows and segments
    path.write_text("hi\n" + long + "\nhello\n", encoding="utf-8")
    r = run("check", "--input", str(path), "--bundle", str(bundle_dir))
    short, big, hello = (line["latency_ms"] for line in _jsonl(r.stdout))
    assert big > 5 * max(short, hello), (short, big, hello)


def test_preset_scores_at_the_bundles_named_threshold(bundle_dir: Path, fresh_bundle: Path) -> None:
    for preset, t in (("strict", 0.3), ("balanced", 0.5), ("permissive", 0.8)):  # fixture_manifest's presets
        r = run("check", "--bundle", str(bundle_dir), "--preset", preset, "hello")
        assert r.exit_code == 0 and _jsonl(r.stdout)[0]["threshold"] == t, (preset, r.output)
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--preset", "strict", "--threshold", "0.2", "x"),
                    "--threshold or --preset")
    _one_error_line(run("check", "--bundle", str(bundle_dir), "--preset", "lax", "x"), "--preset")
    manifest = json.loads((fresh_bundle / "manifest.json").read_text())
    manifest["presets"] = {"balanced": 0.5}
    (fresh_bundle / "manifest.json").write_text(json.dumps(manifest))
    sign_for_tests(fresh_bundle)
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "--preset", "strict", "x"),
                    "has no preset 'strict'", "balanced")
