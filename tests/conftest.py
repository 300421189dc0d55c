"""Shared fixtures: one real bundle built per session with the real write_bundle."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures_bundle import build_bundle


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
