"""The threshold rule and the parity gate: real numbers in, enforced decisions out."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tinyguard.export.parity import ParityError, parity_gate
from tinyguard.measure.thresholds import choose_threshold


def test_threshold_respects_hard_negative_fpr_bound():
    # 4 unsafe, 4 ordinary safe, 4 hard negatives scoring high (topic look-alikes).
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    s = np.array([.9, .8, .7, .6, .1, .1, .2, .2, .75, .65, .3, .3])
    hn = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], bool)
    t_free, _ = choose_threshold(y, s, np.zeros_like(hn), fpr_max=0.0)
    t_bound, rule = choose_threshold(y, s, hn, fpr_max=0.25)
    assert t_free == pytest.approx(0.45)  # all 4 unsafe, 2 false positives: F1 0.8
    assert t_bound == pytest.approx(0.675)  # only one of four hard negatives (0.75) may pass
    assert "hard-negative FPR <= 0.25" in rule
    assert ((s >= t_bound) & hn).sum() / hn.sum() <= 0.25


def test_threshold_falls_back_when_bound_is_unreachable():
    y = np.array([1, 0])
    s = np.array([0.5, 0.9])
    t, _ = choose_threshold(y, s, np.array([False, True]), fpr_max=0.0)
    assert t == pytest.approx(0.95)  # the only threshold that passes no hard negative


def test_threshold_f1_tie_goes_to_the_higher_threshold():
    # F1 2/3 both at 0.125 (all four flagged: tp 2, fp 2) and at 0.6875 (only 0.75: tp 1, fn 1)
    y = np.array([1, 0, 0, 1])
    s = np.array([0.25, 0.375, 0.625, 0.75])
    t, _ = choose_threshold(y, s, np.zeros(4, bool), fpr_max=0.0)
    assert t == 0.6875
    # the same tie under a hard-negative bound both thresholds meet (0.375 is a hard negative,
    # fpr_max 1.0): still the higher one
    t_hn, _ = choose_threshold(y, s, np.array([0, 1, 0, 0], bool), fpr_max=1.0)
    assert t_hn == 0.6875


def test_threshold_fallback_takes_the_lowest_at_the_minimum_hard_negative_fpr():
    # A hard negative scores 1.0, so every candidate passes it (minimum FPR 1.0 > fpr_max): the
    # fallback takes the lowest candidate, not the highest, among those tied at that minimum.
    y = np.array([1, 1, 0])
    s = np.array([0.25, 0.5, 1.0])
    t, _ = choose_threshold(y, s, np.array([False, False, True]), fpr_max=0.0)
    assert t == 0.125  # candidates: 0.125, 0.375, 0.75, 1.0; all pass the hard negative
    # two hard negatives (0.5 and 1.0): the minimum FPR 0.5 holds at 0.75 and at 1.0; 0.75 is taken
    y2 = np.array([1, 0, 0])
    s2 = np.array([0.25, 0.5, 1.0])
    hn2 = np.array([False, True, True])
    t2, _ = choose_threshold(y2, s2, hn2, fpr_max=0.0)
    assert t2 == 0.75 and (s2 >= t2)[hn2].mean() == 0.5


def test_parity_gate_passes_and_fails_loudly():
    a = np.array([0.1, 0.2, 0.9, 0.95])
    lines = []
    report = parity_gate("x", a, a + 0.01, 0.5, min_agreement=0.99, max_score_diff=0.05, echo=lines.append)
    assert report.passed and "PASS" in lines[0]
    with pytest.raises(ParityError, match="FAIL"):
        parity_gate("x", a, np.array([0.1, 0.6, 0.9, 0.95]), 0.5, min_agreement=0.99, max_score_diff=0.5,
                    echo=lines.append)
    with pytest.raises(ParityError):
        parity_gate("x", a, a[:2], 0.5, min_agreement=0.9, max_score_diff=0.1, echo=lines.append)


# Exact binary fractions, so every bound below is met or missed by construction, not by rounding.
A = np.array([0.125, 0.46875, 0.75, 0.875])
TIGHT = {"min_agreement": 1.0, "max_score_diff": 0.0625, "max_mean_diff": 0.03125}


def _gate(b, **bounds):
    return parity_gate("x", A, np.asarray(b, np.float64), 0.5, **bounds, echo=lambda s: None)


def test_parity_gate_identical_scores_pass_the_tightest_bounds() -> None:
    report = _gate(A.copy(), min_agreement=1.0, max_score_diff=0.0, max_mean_diff=0.0)
    assert report.passed and report.agreement == 1.0 and report.max_score_diff == report.mean_score_diff == 0.0


@pytest.mark.parametrize(("b", "bound", "past_bound", "said"), [
    # one label flips (0.46875 -> 0.53125), max 0.0625, mean 0.015625: only agreement (0.75) fails
    ([0.125, 0.53125, 0.75, 0.875], "min_agreement", 0.8, "agreement=0.7500 (min 0.8)"),
    # no label moves, one score moves by 0.0625 (mean 0.015625): only the max bound can fail
    ([0.125, 0.46875, 0.75, 0.9375], "max_score_diff", 0.03125, "max|Δscore|=0.0625 (max 0.03125)"),
    # every score moves by 0.03125, none across the threshold: only the mean bound can fail
    ([0.15625, 0.4375, 0.78125, 0.90625], "max_mean_diff", 0.015625, "mean|Δscore|=0.03125 (max 0.015625)"),
])
def test_parity_gate_each_bound_fails_alone(b, bound: str, past_bound: float, said: str) -> None:
    at_bound = {"min_agreement": 0.75, "max_score_diff": 0.0625, "max_mean_diff": 0.03125}[bound]
    assert _gate(b, **{**TIGHT, bound: at_bound}).passed  # exactly at the bound passes (>=, <=)
    with pytest.raises(ParityError) as e:
        _gate(b, **{**TIGHT, bound: past_bound})  # the other two bounds still pass
    assert str(e.value).startswith("parity x: FAIL") and said in str(e.value)


def test_parity_gate_fails_closed_on_nan_and_logs_the_failure_before_raising() -> None:
    lines: list[str] = []
    with pytest.raises(ParityError):
        parity_gate("nan", A, np.array([0.125, np.nan, 0.75, 0.875]), 0.5, min_agreement=0.0,
                    max_score_diff=1.0, max_mean_diff=1.0, echo=lines.append)
    assert len(lines) == 1 and lines[0].startswith("parity nan: FAIL")
    with pytest.raises(ParityError, match="empty"):
        parity_gate("x", A[:0], A[:0], 0.5, min_agreement=0.0, max_score_diff=1.0, echo=lambda s: None)


def test_every_exported_bundle_carries_its_golden_vectors_pinned(tmp_path: Path, bundle_dir: Path) -> None:
    """finish_bundle (the writer behind every export) adds conformance.jsonl.gz, pinned in the manifest,
    computed on the finished bundle: the runtime recomputes the same expected values from it."""
    from fixtures_bundle import build_model, build_tokenizer, fixture_manifest

    from tinyguard.measure import conformance as conf
    from tinyguard.bundle import steps
    from tinyguard.bundle.folder import load_bundle
    from tinyguard.text.encoding import EncodingConfig
    from tinyguard.export.build import finish_bundle, score_bundle
    from tinyguard.export.config import ExportConfig
    from tinyguard.scoring.guard import Guard
    from tinyguard.records import Record

    src = tmp_path / "src"
    src.mkdir()
    model, tok = build_model(src / "model.int8.onnx"), build_tokenizer(src / "tokenizer.json")
    texts = [("how do i make a bomb", "unsafe"), ("write a poem about cats", "safe"),
             ("tell me a story about dogs", "safe"), ("bomb the house", "unsafe")]
    validation = [Record(t, "prompt", y, "hand-written", "permissive", split="validation") for t, y in texts]
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text("".join(json.dumps({"text": f"how do i make a cake number {i} please", "source": "hand-written",
                                         "licence": "CC0-1.0"}) + "\n" for i in range(30)), encoding="utf-8")
    out = tmp_path / "bundle"
    finish_bundle(out, tmp_path / "work", ExportConfig(name="tinyguard-fixture", version="0.0.2"),
                  encoding=EncodingConfig().to_dict(), model_path=model, tokenizer=tok, validation=validation,
                  scores=score_bundle(bundle_dir, validation), threshold=0.5, rule="test", parity={},
                  training={"note": "weights set by hand"}, data=fixture_manifest()["data"], reproduce="pytest",
                  conformance_seeds=seeds, conformance_plain=5, echo=lambda _: None)
    m = load_bundle(out, allow_unsigned=True)  # every pinned hash checked, the vectors' included (an export is unsigned)
    assert conf.FILE_NAME in m.files
    assert m.raw["steps"] == steps.implied(None, m.encoding)  # what its verdicts need (spec section 5)
    header, cases = conf.read(out / conf.FILE_NAME)
    assert header["model"] == "tinyguard-fixture@0.0.2" and header["cases"] == len(cases) > 100
    assert header["files"] == {n: m.files[n] for n in ("model.int8.onnx", "tokenizer.json")}
    assert header["sources"] == {"hand-written": "CC0-1.0"}
    guard = Guard.load(out, threads=1, allow_unsigned=True)
    for rec in cases[:: max(1, len(cases) // 25)]:
        case = conf.Case(rec["id"], rec["kind"], rec["text"], rec["role"], rec["context"], rec["options"],
                         stream=rec.get("stream"))
        assert json.loads(json.dumps(conf.expect(guard, case))) == rec["expect"], rec["id"]


def test_the_shipped_seeds_give_every_export_at_least_1000_permissive_cases() -> None:
    from tinyguard.measure import conformance as conf

    seeds, sources = conf.read_seeds()
    assert len(conf.build_cases(seeds)) >= 1000
    assert sources and all(lic.startswith(("MIT", "Apache", "CC0")) for lic in sources.values())
