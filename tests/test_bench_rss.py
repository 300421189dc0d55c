"""``guard-cli bench`` measures cold-start memory on a fresh process, not on a child of itself.

On Linux a child's peak RSS starts at the peak of the process it was forked from, so a
guard-cli spawned by the benchmark reported the benchmark's peak. Here a process first grows
to over BALLAST_MB (as a benchmark does after loading a model and scoring), then measures; the
figure must be that of the measured command, far below the ballast, while a plain child of the
same process carries the ballast. The value itself is for ``guard-cli bench`` to report.
Everything runs in a subprocess, so the test process's own peak stays as it was.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

BALLAST_MB = 256

SCRIPT = textwrap.dedent(f"""
    import json, os, subprocess, sys
    from tinyguard.measure.bench import measure_cold_start, run_fresh

    ballast = b"\\x01" * ({BALLAST_MB} << 20)  # touched pages: this process's peak RSS is now > {BALLAST_MB} MB
    out = {{"pid": os.getpid()}}
    ppid_file = sys.argv[2]
    probe = [sys.executable, "-c", "import os, sys; open(sys.argv[1], 'w').write(str(os.getppid()))", ppid_file]
    fresh = run_fresh(probe)
    out["fresh"] = {{k: fresh[k] for k in ("peak_rss_mb", "returncode", "pid", "launcher_pid")}}
    out["probe_parent"] = int(open(ppid_file).read())
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # the old way: a child of this process
    _, _, usage = os.wait4(child.pid, 0)
    out["plain_child_mb"] = usage.ru_maxrss / 1024
    out["cold"] = measure_cold_start(sys.argv[1], 1)
    print(json.dumps(out))
""")


def test_cold_start_memory_is_measured_on_a_fresh_process(bundle_dir: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(bundle_dir), str(tmp_path / "ppid")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    fresh = out["fresh"]
    # the measured command is a child of the launcher, not of the measuring process
    assert fresh["returncode"] == 0 and out["probe_parent"] == fresh["launcher_pid"] != out["pid"]
    if sys.platform == "linux":  # why the launcher exists: a plain child carries its parent's peak
        assert out["plain_child_mb"] >= BALLAST_MB, out
    assert 0 < fresh["peak_rss_mb"] < BALLAST_MB / 2, out  # an empty interpreter, not the ballast
    cold = out["cold"]
    assert cold["runs"] == 1 and 0 < cold["peak_rss_mb"] < BALLAST_MB and "clean interpreter" in cold["method"]
