"""guard-cli calibrate guard-rails: too little data, or a new threshold that throws away
recall (a poisoned or mislabelled line), is refused unless --force; before/after is shown."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fixtures_bundle import build_model
from test_cli import run

from fixtures_bundle import sign_for_tests
from tinyguard.bundle.folder import load_bundle
from tinyguard.measure.calibrate import Rails, calibration, lowest_threshold


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows(n: int = 60) -> list[dict]:
    """n unsafe lines with scores from ~1.0 down to ~0.9996 (the fixture's "bomb" diluted by
    padding), and n safe lines at ~0.018."""
    unsafe = [{"text": "cats " * (40 + i) + "bomb", "label": "unsafe"} for i in range(n)]
    return unsafe + [{"text": f"write a poem about dogs {i}", "label": "safe"} for i in range(n)]


def test_one_line_is_refused_unless_forced(bundle_dir: Path, tmp_path: Path) -> None:
    data = _write(tmp_path / "tiny.jsonl", [{"text": "bomb", "label": "unsafe"}, {"text": "cats", "label": "safe"}])
    out = tmp_path / "calibrated"
    r = run("calibrate", str(data), "--bundle", str(bundle_dir), "--target-fpr", "0.01", "--out-bundle", str(out))
    assert r.exit_code == 2 and not out.exists()
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: calibration refused, nothing written: only 1 unsafe line")
    assert "(and 1 more)" in err[0] and "--force" in err[0]
    assert "before" in r.stdout and "after" in r.stdout and "FAILED" in r.stdout  # the summary is still shown
    r = run("calibrate", str(data), "--bundle", str(bundle_dir), "--target-fpr", "0.01", "--out-bundle", str(out), "--force")
    assert r.exit_code == 0, r.stderr
    assert r.stderr.count("warning: written despite a failed check (--force)") == 2
    record = load_bundle(out, allow_unsigned=True).raw["calibration"]  # unsigned: its manifest changed
    assert len(record["forced_despite"]) == 2 and "only 1 safe line" in record["forced_despite"][1]


@pytest.fixture(scope="module")
def soft_bundle(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture model with "bomb" weighing 30 instead of 1000: however a text is cut into
    windows or segments, its logit stays below 30, far from float64's sigmoid(x) == 1.0."""
    from tinyguard.bundle.folder import write_bundle

    work = tmp_path_factory.mktemp("soft")
    build_model(work / "model.int8.onnx", signal=30.0)
    m = load_bundle(bundle_dir)
    files = {name: bundle_dir / name for name in m.files} | {"model.int8.onnx": work / "model.int8.onnx"}
    return sign_for_tests(write_bundle(work / "bundle", files, {k: v for k, v in m.raw.items() if k != "files"}))


def test_poisoned_label_that_kills_recall_is_refused(soft_bundle: Path, tmp_path: Path) -> None:
    unsafe = "bomb bomb bomb bomb"  # scores 0.73..1-1e-11 whether scored whole or in pieces
    rows = [{"text": unsafe, "label": "unsafe"}] * 60 + [{"text": f"write a poem about dogs {i}", "label": "safe"}
                                                         for i in range(60)]
    rows.append({"text": unsafe, "label": "safe"})  # the poison: the unsafe text labelled safe, line 121
    data = _write(tmp_path / "poisoned.jsonl", rows)
    out = tmp_path / "calibrated"
    b = str(soft_bundle)
    r = run("calibrate", str(data), "--bundle", b, "--target-fpr", "0", "--out-bundle", str(out))
    assert r.exit_code == 2 and not out.exists(), r.output
    assert "recall on this file would fall from 1.000 to 0.000 (100% of it lost" in r.stderr
    assert "line 121 (" in r.stdout  # the summary points at the line to check
    rep = json.loads(run("calibrate", str(data), "--bundle", b, "--target-fpr", "0", "--format", "json").stdout)
    assert rep["before"]["recall"] == 1.0 and rep["after"]["recall"] == 0.0
    assert rep["high_safe"][0]["line"] == 121 and len(rep["refusals"]) == 1
    loose = run("calibrate", str(data), "--bundle", b, "--target-fpr", "0", "--max-recall-loss", "1")
    assert loose.exit_code == 0 and "checks: passed" in loose.stdout


def test_recall_loss_rule_on_known_scores(guard) -> None:
    y, lines = [1] * 10 + [0] * 10, list(range(1, 21))
    scores = [0.9] * 8 + [0.6, 0.55] + [0.1] * 9 + [0.58]  # one safe line at 0.58
    rep = calibration(guard, y, lines, scores, 0.0, rails=Rails(min_per_label=10, max_recall_loss=0.1))
    assert rep["before"]["recall"] == 1.0 and rep["after"]["recall"] == 0.9  # 0.55 is lost: exactly 10%
    assert rep["refusals"] == [] and rep["high_safe"] == [{"line": 20, "score": 0.58}]
    rep = calibration(guard, y, lines, scores, 0.0, rails=Rails(min_per_label=10, max_recall_loss=0.05))
    assert len(rep["refusals"]) == 1 and "from 1.000 to 0.900 (10% of it lost; at most 5%" in rep["refusals"][0]
    rep = calibration(guard, y, lines, scores, 0.0, rails=Rails(min_per_label=11))
    assert [r.split(";")[0] for r in rep["refusals"]] == ["only 10 unsafe line(s)", "only 10 safe line(s)"]


def test_sound_data_passes_and_writes(bundle_dir: Path, tmp_path: Path) -> None:
    data = _write(tmp_path / "good.jsonl", _rows())
    out = tmp_path / "calibrated"
    r = run("calibrate", str(data), "--bundle", str(bundle_dir), "--target-fpr", "0", "--out-bundle", str(out))
    assert r.exit_code == 0, r.output
    assert "checks: passed" in r.stdout and "wrote calibrated bundle" in r.stdout and "unsigned" in r.stdout
    m = load_bundle(out, allow_unsigned=True)
    assert 0.018 < m.threshold < 0.99 and "forced_despite" not in m.raw["calibration"]
    dry = run("calibrate", str(data), "--bundle", str(bundle_dir), "--target-fpr", "0", "--min-per-label", "61")
    assert dry.exit_code == 0 and "FAILED" in dry.stdout and "would refuse it without --force" in dry.stdout


def test_rails_and_threshold_edges() -> None:
    with pytest.raises(ValueError):
        Rails(min_per_label=0)
    with pytest.raises(ValueError):
        Rails(max_recall_loss=1.5)
    with pytest.raises(ValueError, match="score 1.0"):  # no threshold in [0, 1] can exclude a safe 1.0
        lowest_threshold(np.array([True, False]), np.array([1.0, 1.0]), 0.0)
