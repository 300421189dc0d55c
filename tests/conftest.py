"""Shared fixtures: one real bundle built per session with the real write_bundle, signed with a
test key made in a tmp folder and trusted explicitly (every load checks a signature); the
``runtime`` marker (``python -m pytest -m runtime`` runs the tests that need only ``.[dev]``;
which they are is read from their imports: ``runtime_tests.py``), and a private home for the
session that every test must leave empty (``private_home.py``)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import fixtures_bundle
import private_home
from fixtures_bundle import build_bundle, build_role_bundle
# The `requires` marker: an optional package missing skips locally and fails under CI=true.
from optional_deps import pytest_configure as _optional_deps_configure
from optional_deps import pytest_runtest_setup, require  # noqa: F401 (hook)
from private_home import home_stays_empty  # noqa: F401 (autouse fixture)
from runtime_tests import is_runtime_module, needs_more


def pytest_configure(config: pytest.Config) -> None:
    private_home.enter()
    _optional_deps_configure(config)
    config.addinivalue_line("markers", "runtime: needs only the runtime and the dev extra (set from the "
                                       "test's imports, tests/runtime_tests.py); `pytest -m runtime`")


def pytest_unconfigure(config: pytest.Config) -> None:
    private_home.leave()


def _runtime_selected(config: pytest.Config) -> bool:
    """Whether ``-m`` asks for runtime tests (``runtime``, ``runtime and not slow``, ...)."""
    expr = config.getoption("markexpr") or ""
    return bool(re.search(r"(?<!not )\bruntime\b", expr))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m runtime``, other test modules are not even imported: their imports (sklearn,
    torch, ...) are not installed where the runtime path runs."""
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_") and _runtime_selected(config):
        return True if not is_runtime_module(collection_path.stem) else None
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of runtime modules ``runtime``, unless a ``requires`` marker names more."""
    for item in items:
        path = Path(str(item.fspath))
        if not is_runtime_module(path.stem):
            continue
        if any(needs_more(list(m.args)) for m in item.iter_markers("requires")):
            continue
        item.add_marker(pytest.mark.runtime)


@pytest.fixture(scope="session", autouse=True)
def test_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session key pair in a tmp folder; its public key is trusted through TINYGUARD_TRUSTED_KEYS
    (inherited by guard-cli subprocesses), and the user's own config file is kept out
    (XDG_CONFIG_HOME: an empty tmp folder) so a developer's trusted keys never leak into a test."""
    from tinyguard.signing import generate_key
    from tinyguard.bundle.trust import ENV_CONFIG, ENV_KEYS

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


@pytest.fixture(scope="session")
def role_bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture bundle whose responses have a threshold of their own (spec 1.2); read-only."""
    return build_role_bundle(tmp_path_factory.mktemp("bundles") / "roles")


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
