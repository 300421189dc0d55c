"""The runtime never touches the network and imports stay lean and side-effect free."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner


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
    from tinyguard.cli import main

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
        import tinyguard.cli, tinyguard.guard
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
        from tinyguard.cli import main
        try:
            main(["check", "--bundle", {str(bundle_dir)!r}, "--format", "text", "hello"])
        except SystemExit as e:
            assert e.code == 0, e.code
        print("ok")
    """)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), p.stderr
