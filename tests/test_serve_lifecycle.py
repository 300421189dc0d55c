"""``guard-cli serve`` as a process: it refuses to listen beyond loopback without a key, answers
429 rather than queueing without bound, drains in-flight requests on SIGTERM and exits 0, runs
``--workers`` processes, and stays out of every other command's imports."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner
from optional_deps import requires
from serve_helpers import GUARD_CLI, KEY_ENV, SERVE_PACKAGES, assert_error, call, start

LONG = " ".join(f"Sentence {i} is about the weather in the park and our plans for the weekend." for i in range(220))


def _concurrently(n: int, fn) -> list:
    """``fn(i)`` for i < n, all started together; their results in order."""
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


@requires(*SERVE_PACKAGES)
def test_more_requests_than_max_pending_get_429_at_once_and_the_rest_are_answered() -> None:
    server = start("--max-pending", "1")
    try:
        answers = _concurrently(10, lambda i: call(server.url + "/v1/moderations", "POST", {"input": f"{LONG} {i}"}))
    finally:
        server.kill()
    statuses = [a[0] for a in answers]
    assert set(statuses) <= {200, 429} and 200 in statuses and 429 in statuses, statuses
    for status, headers, answer in answers:
        if status == 429:
            assert_error(answer, status, 429, "server_busy")
            assert answer["error"]["type"] == "rate_limit_error" and headers.get("retry-after") == "1"
        else:
            assert len(answer["results"]) == 1


@requires(*SERVE_PACKAGES)
def test_sigterm_drains_in_flight_requests_then_exits_0() -> None:
    from tinyguard import Guard

    server = start()
    texts = [f"{LONG} {i}" for i in range(6)]
    answers: list = [None] * len(texts)
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(
        i, call(server.url + "/v1/check", "POST", {"text": texts[i]}))) for i in range(len(texts))]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while True:  # until the server holds requests in flight
            metrics = call(server.url + "/metrics")[2]
            pending = float(next(line.split()[-1] for line in metrics.splitlines()
                                 if line.startswith("tinyguard_pending_requests ")))
            if pending >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert pending >= 2, "the requests never reached the server"
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(120)
        for t in threads:
            t.join(120)
    finally:
        server.kill()
    assert code == 0, "\n".join(server.log[-20:])
    ref = Guard.load(threads=1)
    for text, (status, _, answer) in zip(texts, answers):
        assert status == 200, answer
        assert answer["score"] == ref.check(text).score
    with pytest.raises(OSError):  # and it no longer listens
        import urllib.request
        urllib.request.urlopen(server.url + "/healthz", timeout=5)


@requires(*SERVE_PACKAGES)
def test_workers_share_the_port_and_stop_with_exit_0() -> None:
    server = start("--workers", "2")
    try:
        pids = set()
        for i in range(12):
            status, _, answer = call(server.url + "/v1/moderations", "POST", {"input": f"hello number {i}"})
            assert status == 200 and answer["results"][0]["flagged"] is False
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(120) == 0, "\n".join(server.log[-20:])
        pids = {line.split("[")[-1].rstrip("]") for line in server.log if "Started server process" in line}
    finally:
        server.kill()
    assert len(pids) == 2, server.log


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_no_bind_beyond_loopback_without_an_api_key(host: str) -> None:
    from tinyguard.cli.main import main

    r = CliRunner().invoke(main, ["serve", "--host", host], prog_name="guard-cli")
    assert r.exit_code == 2 and r.output.startswith("error: refusing to bind") and "--api-key-env" in r.output


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_addresses_count_as_loopback(host: str) -> None:
    from tinyguard.serve.settings import is_loopback

    assert is_loopback(host)


def test_an_api_key_variable_that_is_unset_is_refused() -> None:
    from tinyguard.cli.main import main

    env = {k: v for k, v in os.environ.items() if k != "TG_NOT_SET_ANYWHERE"}
    r = CliRunner(env=env).invoke(main, ["serve", "--host", "0.0.0.0", "--api-key-env", "TG_NOT_SET_ANYWHERE"],
                                  prog_name="guard-cli")
    assert r.exit_code == 2 and "TG_NOT_SET_ANYWHERE" in r.output and "unset or empty" in r.output


def test_tinyguard_and_other_commands_never_import_the_serve_extra() -> None:
    code = ("import sys, tinyguard, tinyguard.cli.main, tinyguard.serve, tinyguard.serve.command\n"
            "from click.testing import CliRunner\n"
            "r = CliRunner().invoke(tinyguard.cli.main.main, ['check', '--format', 'text', 'hello'])\n"
            "assert r.exit_code == 0, r.output\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'prometheus_client'))\n"
            "print(repr(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_missing_serve_extra_fails_at_once_with_the_install_line() -> None:
    code = ("import sys\nsys.modules['uvicorn'] = None  # as if not installed\n"
            "from tinyguard.cli.main import main\nmain(['serve'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == ("error: guard-cli serve needs the serve extra (uvicorn is missing): "
                                  "pip install 'tinyguard[serve]' (from a checkout: pip install -e '.[serve]')")
    code = code.replace("main(['serve'])", "main(['bench', '--serve', '--quick'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "pip install 'tinyguard[serve]'" in out.stderr, out.stderr


def test_settings_travel_to_workers_unchanged() -> None:
    from tinyguard.serve.settings import ServeSettings

    s = ServeSettings(port=0, models=(("default", None), ("strict", "/some/bundle")), api_key_env=KEY_ENV,
                      trusted_keys=("project",), batch_wait_ms=1.5)
    assert ServeSettings.from_json(s.to_json()) == s
    with pytest.raises(ValueError, match="unknown settings"):
        ServeSettings.from_json(json.dumps({"port": 1, "api_key": "x"}))


def test_tiers_answer_by_name_and_never_by_path() -> None:
    from tinyguard import Guard
    from tinyguard.serve.tiers import Tier, Tiers, parse_model_spec

    g = Guard.load(threads=1)
    tiers = Tiers([Tier("default", g), Tier("strict", g)])
    assert tiers.resolve("strict").name == "strict" and tiers.resolve(None).name == "default"
    for name in ("omni-moderation-latest", str(g.manifest.path), "../models/default", 7):
        assert tiers.resolve(name) is tiers.default
    assert tiers.resolve(g.model_id) is tiers.default  # the bundle's own name@version: its first tier
    assert parse_model_spec("default") == ("default", None)
    assert parse_model_spec("mine=/x/y") == ("mine", "/x/y")
    for bad in ("../up", "a/b", "no-such-tier", "x="):
        with pytest.raises(ValueError):
            parse_model_spec(bad)


def test_readme_category_table_is_the_taxonomy_table() -> None:
    """docs/server.md's OpenAI category table says what tinyguard.taxonomy.OPENAI_CATEGORIES does."""
    import re
    from pathlib import Path

    from tinyguard.taxonomy import OPENAI_CATEGORIES, OPENAI_UNMAPPED

    text = (Path(__file__).resolve().parent.parent / "docs" / "server.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z/-]+)` \| (.+) \|$", text, re.M))
    for name, ours in OPENAI_CATEGORIES:
        assert rows[name] == (", ".join(f"`{c}`" for c in ours) if ours else "none: `false`, score 0.0"), name
    unmapped = re.search(r"^\| \(no OpenAI category\) \| (.+?): in", text, re.M)
    assert unmapped and unmapped.group(1) == ", ".join(f"`{c}`" for c in OPENAI_UNMAPPED)
