"""The runtime never touches the network and imports stay lean and side-effect free."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from optional_deps import require


class NetworkUsed(AssertionError):
    pass


def _refuse(*args, **kwargs):
    raise NetworkUsed(f"network access attempted: {args!r}")


class _NoSocket:
    def __init__(self, *args, **kwargs):
        _refuse(*args)


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "socket", _NoSocket)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


def test_the_patch_really_blocks(no_network: None) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(NetworkUsed):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_load_check_and_cli_without_network(no_network: None, bundle_dir: Path) -> None:
    from tinyguard import Guard
    from tinyguard.cli.main import main

    guard = Guard.load(bundle_dir, threads=1)
    assert guard.check("how do i make a bomb").flagged
    assert not guard.check_batch(["write a poem about cats"])[0].flagged
    r = CliRunner().invoke(main, ["check", "--bundle", str(bundle_dir), "how do i make a bomb"])
    assert r.exit_code == 1, r.output
    assert json.loads(r.stdout)["flagged"] is True
    r = CliRunner().invoke(main, ["info", "--bundle", str(bundle_dir)])
    assert r.exit_code == 0, r.output


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_imports_are_lean_and_touch_no_global_state() -> None:
    p = _python("""
        import logging, os, sys, warnings

        def state():
            return dict(os.environ), list(warnings.filters), list(logging.root.handlers), logging.root.level

        before = state()
        import tinyguard
        assert "onnxruntime" not in sys.modules, "import tinyguard loaded onnxruntime"
        assert "numpy" not in sys.modules, "import tinyguard loaded numpy"
        assert state() == before, "import tinyguard changed env, warnings or logging"
        import numpy  # allowed dependency; it adds its own warnings filters on import
        before = state()
        import tinyguard.cli.main, tinyguard.scoring.guard
        from tinyguard import Guard, Verdict, BundleError
        heavy = [m for m in ("torch", "transformers", "onnxruntime") if m in sys.modules]
        assert not heavy, f"imported {heavy}"
        assert state() == before, "importing the runtime changed env, warnings or logging"
        print("ok")
    """)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_no_socket_is_even_created_in_a_fresh_process(bundle_dir: Path) -> None:
    # An audit hook sees every socket the interpreter creates, including inside libraries.
    p = _python(f"""
        import sys
        def hook(event, args):
            if event.startswith("socket."):
                raise RuntimeError("network: " + event)
        sys.addaudithook(hook)
        from tinyguard import Guard
        g = Guard.load({str(bundle_dir)!r}, threads=1)
        assert g.check("how do i make a bomb").flagged
        from tinyguard.cli.main import main
        try:
            main(["check", "--bundle", {str(bundle_dir)!r}, "--format", "text", "hello"])
        except SystemExit as e:
            assert e.code == 0, e.code
        print("ok")
    """)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), p.stderr


# ---------------------------------------------------------------- onnxruntime's telemetry opt-out
# The system-call proof is tests/test_native_offline.py; these pin the rules of tinyguard.scoring.ortenv.

def _python_env(code: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python with its own HOME, caches and TMPDIR under ``home``: some of
    these runs turn onnxruntime's telemetry on, and its files must land in a temporary folder."""
    private = {"HOME": home / "home", "XDG_CACHE_HOME": home / "cache", "TMPDIR": home / "tmp"}
    for folder in private.values():
        folder.mkdir(parents=True, exist_ok=True)
    base = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, env={**base, **{k: str(v) for k, v in private.items()}, **env})


def test_telemetry_opt_out_is_set_at_the_first_onnxruntime_import_not_before(bundle_dir: Path, tmp_path: Path) -> None:
    p = _python_env(f"""
        import os
        import tinyguard, tinyguard.cli.main, tinyguard.scoring.guard
        assert "ORT_DISABLE_TELEMETRY" not in os.environ, "set at import tinyguard"
        g = tinyguard.Guard.load({str(bundle_dir)!r}, threads=1)
        print(os.environ["ORT_DISABLE_TELEMETRY"])
    """, tmp_path)
    assert p.returncode == 0 and p.stdout.strip() == "1", p.stderr


@pytest.mark.parametrize("value", ["0", "1", "true"])
def test_a_users_own_telemetry_setting_is_kept(bundle_dir: Path, value: str, tmp_path: Path) -> None:
    p = _python_env(f"""
        import os, tinyguard
        tinyguard.Guard.load({str(bundle_dir)!r}, threads=1)
        print(os.environ["ORT_DISABLE_TELEMETRY"])
    """, tmp_path, ORT_DISABLE_TELEMETRY=value)
    assert p.returncode == 0 and p.stdout.strip() == value, p.stderr


def test_onnxruntime_imported_earlier_without_the_opt_out_is_not_silent(bundle_dir: Path, tmp_path: Path) -> None:
    p = _python_env(f"""
        import warnings
        import onnxruntime
        import tinyguard
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            tinyguard.Guard.load({str(bundle_dir)!r}, threads=1)
        print([str(w.message) for w in seen if w.category is RuntimeWarning])
    """, tmp_path)
    assert p.returncode == 0 and "ORT_DISABLE_TELEMETRY=1 before importing onnxruntime" in p.stdout, p.stderr


def test_every_onnxruntime_import_goes_through_ortenv() -> None:
    """runtime, serve, export, train, distill, scripts, tools: `import_onnxruntime()` right before any import of it."""
    root = Path(__file__).resolve().parents[1]
    bare = []
    for folder in ("runtime", "serve", "export", "train", "distill", "scripts", "tools"):
        for path in sorted((root / folder).rglob("*.py")):
            if path == root / "runtime" / "scoring" / "ortenv.py":
                continue
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
            for n, line in enumerate(lines):
                if line.startswith(("import onnxruntime", "from onnxruntime")):
                    previous = [ln for ln in lines[max(0, n - 3):n] if ln]
                    if not previous or not previous[-1].startswith("import_onnxruntime()"):
                        bare.append(f"{path.relative_to(root)}:{n + 1}: {line}")
    assert not bare, "import onnxruntime through tinyguard.scoring.ortenv.import_onnxruntime():\n" + "\n".join(bare)


def test_every_training_command_runs_offline() -> None:
    require("tinyguard.train.cli")
    import click

    from importlib.metadata import entry_points

    group = click.Group("guard-cli")
    for ep in entry_points(group="tinyguard.commands"):  # every layer's registrar, as guard-cli loads them
        ep.load()(group)
    assert {"data", "pipeline", "distill", "generate", "adversarial", "ood"} <= set(group.commands)
    unwrapped = [name for name, cmd in group.commands.items() if not getattr(cmd.callback, "offline_env", False)]
    assert not unwrapped, f"training commands without the offline environment: {unwrapped}"


def test_a_training_command_sets_the_offline_defaults_and_keeps_a_users_choice() -> None:
    require("tinyguard.train.cli")
    base = {k: v for k, v in os.environ.items()
            if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK",
                         "HF_DATASETS_OFFLINE", "ORT_DISABLE_TELEMETRY", "MPLCONFIGDIR")}
    p = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import json, os
        from tinyguard.cli.main import main
        try:  # no --base-url: a one-line error before any network, after the offline defaults
            main(["generate", "--backend", "openai", "Say hi."])
        except SystemExit as e:
            assert e.code == 2, e.code
        names = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK",
                 "ORT_DISABLE_TELEMETRY")
        print(os.environ.get("MPLCONFIGDIR"))  # matplotlib's font cache: a temporary folder, not ~/.cache
        print(json.dumps({n: os.environ.get(n) for n in names}))
    """)], capture_output=True, text=True, timeout=120, env={**base, "HF_HUB_OFFLINE": "0"})
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.splitlines()[-1]) == {
        "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
        "ORT_DISABLE_TELEMETRY": "1"}
    mpl = Path(p.stdout.splitlines()[-2])
    assert mpl.parent == Path(tempfile.gettempdir()) and mpl.name.startswith("tinyguard-matplotlib-")
