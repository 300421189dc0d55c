"""Shared fixtures: one real bundle built per session with the real write_bundle."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures_bundle import build_bundle
# The `requires` marker: an optional package missing skips locally and fails under CI=true.
from optional_deps import pytest_configure, pytest_runtest_setup, require  # noqa: F401 (hooks)


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture bundle; treat as read-only (use ``fresh_bundle`` to tamper)."""
    return build_bundle(tmp_path_factory.mktemp("bundles") / "fixture")


@pytest.fixture()
def fresh_bundle(bundle_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the fixture bundle that a test may modify."""
    return Path(shutil.copytree(bundle_dir, tmp_path / "bundle"))


@pytest.fixture(scope="session")
def guard(bundle_dir: Path):
    from tinyguard import Guard

    return Guard.load(bundle_dir, threads=1)


# ---------------------------------------------------------------- one tiny distillation run per session
# Shared by test_distill.py and test_gguf_runtime.py (helpers in distill_run.py); needs torch.

@pytest.fixture(scope="session")
def distill_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pipeline-shaped run folder (random 6x64 BERT teacher, synthetic records)."""
    require("torch")
    from distill_run import make_run

    return make_run(tmp_path_factory.mktemp("distill-run"))


@pytest.fixture(scope="session")
def distill_cfg():
    """The ``tiny`` distill config under the shipped parity bounds (GGUF q8_0 and f16 when llama_cpp is installed)."""
    require("torch")
    from dataclasses import replace

    from distill_run import GATES

    from tinyguard.distill.config import load_distill_config

    return replace(load_distill_config("tiny"), gates=GATES)


@pytest.fixture(scope="session")
def distill_students(distill_run: Path, distill_cfg) -> dict[str, dict]:
    """nano and micro distilled into ``distill_run/students/NAME/bundle``, once per session."""
    from distill_run import distill_students as run_distill

    return run_distill(distill_run, distill_cfg)
