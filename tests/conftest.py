"""Shared fixtures: one real bundle built per session with the real write_bundle, signed with a
test key made in a tmp folder and trusted explicitly (every load checks a signature)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import fixtures_bundle
from fixtures_bundle import build_bundle
# The `requires` marker: an optional package missing skips locally and fails under CI=true.
from optional_deps import pytest_configure, pytest_runtest_setup, require  # noqa: F401 (hooks)


@pytest.fixture(scope="session", autouse=True)
def test_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session key pair in a tmp folder; its public key is trusted through TINYGUARD_TRUSTED_KEYS
    (inherited by guard-cli subprocesses), and the user's own config file is kept out
    (XDG_CONFIG_HOME: an empty tmp folder) so a developer's trusted keys never leak into a test."""
    from tinyguard.signing import generate_key
    from tinyguard.trust import ENV_CONFIG, ENV_KEYS

    folder = tmp_path_factory.mktemp("test-keys")
    private, public = generate_key(folder / "tests.key")
    saved = {k: os.environ.get(k) for k in (ENV_KEYS, ENV_CONFIG, "XDG_CONFIG_HOME")}
    os.environ[ENV_KEYS] = str(public)
    os.environ.pop(ENV_CONFIG, None)
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    fixtures_bundle.SIGNING_KEY = private
    yield private
    fixtures_bundle.SIGNING_KEY = None
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


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
