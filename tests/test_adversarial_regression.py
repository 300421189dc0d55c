"""The shipped regression suite: harvested attacks that an adversarial run's guard caught, frozen
into train/adversarial/regression.jsonl (``guard-cli adversarial --run-dir RUN --freeze BUNDLE
--out train/adversarial/regression.jsonl``), so that a later default model cannot silently
reopen them. The bundled default model must get every frozen attack right.

Until a run ships the file there is nothing to score and the test skips; once the file is
tracked by git (shipped), a checkout or install without it fails instead of skipping.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tinyguard.bundle import default_bundle_path
from tinyguard.records import read_jsonl
from tinyguard.train.adversarial.regression import SHIPPED, reopened
from tinyguard.train.adversarial.rewards import BundleScorer

REPO = Path(__file__).resolve().parents[1]


def _tracked(path: Path) -> bool:
    """Whether git tracks ``path`` in this checkout (False without git or outside a repository)."""
    try:
        rel = Path(path).resolve().relative_to(REPO)
        done = subprocess.run(["git", "ls-files", "--error-unmatch", str(rel)], cwd=REPO, capture_output=True,
                              timeout=30)
    except (ValueError, OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def test_the_bundled_default_model_reopens_no_frozen_attack() -> None:
    if not SHIPPED.is_file():
        if _tracked(SHIPPED):
            pytest.fail(f"{SHIPPED} is shipped (tracked by git) but missing from this install: the regression "
                        "suite cannot be skipped")
        pytest.skip("no regression suite shipped yet: guard-cli adversarial --run-dir RUN --freeze BUNDLE "
                    f"--out {SHIPPED.relative_to(REPO) if SHIPPED.is_relative_to(REPO) else SHIPPED} writes one")
    frozen = list(read_jsonl(SHIPPED))
    assert frozen, f"{SHIPPED} is empty: a shipped suite holds at least one attack"
    assert all(r.source.startswith("synthetic-adversarial/") for r in frozen)
    guard = BundleScorer(default_bundle_path(), threads=1)
    back = reopened(SHIPPED, guard)
    lines = [f"  {r.label} (score {s:.3f}, threshold {guard.threshold:.3f}, {r.source}): {r.text[:160]!r}"
             for r, s in back]
    assert not back, (f"{guard.name} reopens {len(back)} of {len(frozen)} frozen adversarial attacks:\n"
                      + "\n".join(lines))
