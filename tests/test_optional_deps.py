"""A missing optional dependency skips a test on a developer's machine and fails it under CI.

Runs a small suite of its own in a fresh pytest process (the real hooks, loaded with
``-p optional_deps``), once without ``CI`` and once with ``CI=true``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ABSENT = "tinyguard_no_such_package"
SUITE = {
    "test_uses.py": f'''
import pytest
from optional_deps import require, requires

def test_require_returns_the_module():
    assert require("json").dumps([1]) == "[1]"

def test_require_missing():
    require("{ABSENT}")

@requires("{ABSENT}")
def test_marker_missing():
    pass

@requires("json", "{ABSENT}")
def test_marker_one_of_two_missing():
    pass

@requires("json")
def test_marker_present():
    pass
''',
    "test_module_level.py": f'''
from optional_deps import require
require("{ABSENT}")

def test_never_collected():
    pass
''',
}


def _run(tmp_path: Path, ci: str | None, *files: str) -> tuple[int, str]:
    for name, text in SUITE.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if ci is not None:
        env["CI"] = ci
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "optional_deps", "-p", "no:cacheprovider",
                           "-q", "-rA", "--rootdir", str(tmp_path), *(str(tmp_path / f) for f in files)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def _summary(out: str) -> dict[str, int]:
    last = [ln for ln in out.splitlines() if re.search(r"\d+ (passed|failed|skipped|error)", ln)][-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|error)", last)}


@pytest.mark.parametrize("ci", [None, "false"])
def test_missing_optional_dependency_skips_outside_ci(tmp_path: Path, ci: str | None) -> None:
    code, out = _run(tmp_path, ci, *SUITE)
    assert code == 0, out
    assert _summary(out) == {"passed": 2, "skipped": 4}, out  # 3 tests + the module-level require
    assert f"optional dependency '{ABSENT}' is missing" in out


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_optional_dependency_fails_under_ci(tmp_path: Path, ci: str) -> None:
    code, out = _run(tmp_path, ci, "test_uses.py")
    # require() in a test body fails it; a `requires` marker fails its setup (reported as an error)
    assert code == 1 and _summary(out) == {"passed": 2, "failed": 1, "error": 2}, out
    assert out.count("CI=true, so this is a failure, not a skip") >= 3
    code, out = _run(tmp_path, ci, "test_module_level.py")  # at import: a collection error stops the run
    assert code == 2 and _summary(out) == {"error": 1}, out
    assert "During handling" not in out  # one clear line, not a chained traceback


def test_no_test_file_skips_on_a_package_by_hand() -> None:
    """Every optional package goes through optional_deps, so CI cannot lose a test to a skip."""
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name in ("optional_deps.py", Path(__file__).name):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"importorskip|skipif\(.*find_spec|find_spec\(.*\)\s+is None.*skip", line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, "use optional_deps.require / requires:\n" + "\n".join(offenders)
