"""The measuring pieces of tinyguard.measure.bench that guard-cli bench and guard-cli distill report share
(what is run and counted; never how fast)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyguard.measure import bench


def test_time_ms_runs_warmup_then_timed_calls() -> None:
    calls: list[int] = []
    ms = bench.time_ms(lambda: calls.append(1), repeats=7, warmup=3)
    assert len(calls) == 10 and len(ms) == 7 and all(m >= 0 for m in ms)


def test_percentiles_match_numpy() -> None:
    ms = [float(x) for x in np.random.default_rng(0).uniform(1, 9, size=101)]
    got = bench.percentiles(ms)
    assert got["n"] == 101
    assert got["p50_ms"] == round(float(np.percentile(ms, 50)), 3)
    assert got["p95_ms"] == round(float(np.percentile(ms, 95)), 3)


def test_throughput_over_given_texts(guard) -> None:
    texts = ["what is the weather today", "tell me a story about cats", "how to build a house"]
    got = bench.measure_throughput(guard, 1, texts=texts, batch_size=1, rounds=2, warmup=1)
    assert got["texts"] == 3 and got["tokens_per_text"] is None and got["texts_per_s"] > 0
    made = bench.measure_throughput(guard, 1, 4)
    assert made["texts"] == 4 and made["tokens_per_text"] == 32


def test_files_mb_sums_sizes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x" * 1_500_000)
    b.write_bytes(b"x" * 250_000)
    assert bench.files_mb([a, b]) == 1.75 and bench.files_mb([a], digits=0) == 2.0
