#!/usr/bin/env bash
# The runtime's own test path, for real: a second venv (.venv-runtime) with only the runtime and the
# dev extra (no torch, onnx, sklearn or llama.cpp), then the tests marked runtime (tests/runtime_tests.py).
# Part of README's test command, so `.ci/run` runs it on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-runtime
.venv-runtime/bin/python -m pip install --quiet -e '.[dev]'
.venv-runtime/bin/python -m pytest -m runtime
