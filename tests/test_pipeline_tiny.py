"""The whole pipeline, end to end, at CI size: seed data → teacher → int8 bundle → eval.

Real code paths on real files: the tiny config trains MiniLM for a few dozen steps on a
few sources, exports fp32 and int8 ONNX, runs the parity gate, writes a bundle, and the
installed ``guard-cli`` then scores with it. Takes a few minutes on 2 cores.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinyguard.bundle.folder import read_bundle
from tinyguard.train.registry import default_data_dir

pytestmark = pytest.mark.slow
GUARD_CLI = [sys.executable, "-m", "tinyguard"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("tiny-run")
    proc = subprocess.run(GUARD_CLI + ["pipeline", "--config", "tiny", "--run-dir", str(run),
                                       "--data-dir", str(default_data_dir())],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run / "pipeline.log").write_text(proc.stdout + proc.stderr)
    return run


def test_every_stage_wrote_its_manifest_and_outputs(tiny_run: Path):
    for stage in ("data", "teacher", "export"):
        m = json.loads((tiny_run / stage / "manifest.json").read_text())
        assert m["stage"] == stage and m["inputs"] and m["versions"]["torch"]
    assert (tiny_run / "teacher" / "model.safetensors").stat().st_size > 1_000_000
    manifest = read_bundle(tiny_run / "bundle")
    assert set(manifest.files) == {"model.int8.onnx", "tokenizer.json", "MODEL_CARD.md", "conformance.jsonl.gz"}  # golden vectors: every export
    assert manifest.metrics["parity"]["fp32-int8"]["passed"] is True
    assert 0.0 < manifest.threshold < 1.0
    log = (tiny_run / "pipeline.log").read_text()
    assert "parity fp32-int8: PASS" in log


def test_guard_cli_eval_reproduces_the_model_card(tiny_run: Path):
    proc = subprocess.run(GUARD_CLI + ["eval", str(tiny_run / "data" / "validation.jsonl"),
                                       "--bundle", str(tiny_run / "bundle"), "--allow-unsigned", "--json"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    claimed = read_bundle(tiny_run / "bundle").metrics["validation"]
    flat = got.get("overall", got)
    for key in ("tp", "fp", "tn", "fn"):
        assert flat[key] == claimed[key], key
    card = (tiny_run / "bundle" / "MODEL_CARD.md").read_text()
    assert f"{claimed['f1']:.4f}" in card and "guard-cli pipeline --config tiny" in card


def test_rerun_reuses_finished_stages(tiny_run: Path):
    proc = subprocess.run(GUARD_CLI + ["pipeline", "--config", "tiny", "--run-dir", str(tiny_run),
                                       "--data-dir", str(default_data_dir())],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("unchanged, reusing") == 2  # teacher and export


def test_tampered_pipeline_bundle_is_refused(tiny_run: Path, tmp_path: Path):
    bundle = tmp_path / "b"
    shutil.copytree(tiny_run / "bundle", bundle)
    with open(bundle / "model.int8.onnx", "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    proc = subprocess.run(GUARD_CLI + ["check", "hello", "--bundle", str(bundle)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "sha256 mismatch for model.int8.onnx" in proc.stderr and "Traceback" not in proc.stderr
