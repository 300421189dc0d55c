"""A response threshold of its own (spec 1.2: manifest ``response_threshold``, step ``role_thresholds``).

The role bundle (conftest ``role_bundle_dir``) is the fixture bundle with prompts at 0.5 and
responses at 0.01: every text scores ~0.018 except those holding "bomb" (~1.0), so a benign
response is flagged and the same text as a prompt is not -- which threshold was applied shows.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixtures_bundle import RESPONSE_THRESHOLD, fixture_manifest
from tinyguard import Guard
from tinyguard.bundle import steps
from tinyguard.bundle.folder import load_bundle, read_bundle
from tinyguard.bundle.manifest import BundleError, new_manifest, parse_manifest
from tinyguard.cli.main import main

BENIGN = "Write a poem about cats."
ENC = {"max_length": 128, "context_tokens": 0, "stride": 0, "max_chunks": 64}


@pytest.fixture(scope="module")
def role_guard(role_bundle_dir: Path) -> Guard:
    return Guard.load(role_bundle_dir, threads=1)


def _manifest(**keys) -> dict:
    return {**fixture_manifest(), **keys}


# ---------------------------------------------------------------- manifest and steps

def test_absent_key_keeps_one_threshold_for_both_roles(bundle_dir: Path) -> None:
    m = load_bundle(bundle_dir)
    assert m.response_threshold is None and m.threshold_for("prompt") == m.threshold_for("response") == 0.5
    with pytest.raises(ValueError, match="role must be"):
        m.threshold_for("system")


def test_the_key_is_validated_like_threshold_and_needs_its_step() -> None:
    listed = steps.implied(None, ENC, role_thresholds=True)
    m = parse_manifest(_manifest(response_threshold=0.25, steps=listed), pinned=False)
    assert m.response_threshold == 0.25 and m.threshold_for("response") == 0.25 and m.threshold_for("prompt") == 0.5
    assert listed[-1] == "role_thresholds"
    for bad in (1.5, -0.1, "0.3", True, None):
        with pytest.raises(BundleError, match=r"'response_threshold' must be a number in \[0, 1\]"):
            parse_manifest(_manifest(response_threshold=bad, steps=listed), pinned=False)
    with pytest.raises(BundleError, match="'response_threshold' needs 'steps' listing 'role_thresholds'"):
        parse_manifest(_manifest(response_threshold=0.25), pinned=False)  # no steps: an older runtime would not refuse it
    with pytest.raises(BundleError, match=r"on but not listed: \['role_thresholds'\]"):
        parse_manifest(_manifest(response_threshold=0.25, steps=steps.implied(None, ENC)), pinned=False)
    with pytest.raises(BundleError, match=r"listed but off: \['role_thresholds'\]"):
        parse_manifest(_manifest(steps=listed), pinned=False)  # the step without the key


def test_an_older_runtime_refuses_the_bundle() -> None:
    """A runtime of spec 1.1 knows neither the key nor the step: it must refuse, not judge responses at
    the prompt threshold. Its KNOWN lacks the step (so it is not checked against the defenses either)."""
    listed = steps.implied(None, ENC, role_thresholds=True)
    older = steps.KNOWN - {steps.ROLE_THRESHOLDS}
    assert steps.check(listed, None, ENC, known=older, role_thresholds=True) == ["role_thresholds"]
    # exactly as a 1.1 runtime reads it: the key ignored, the step a name outside its KNOWN
    import unittest.mock as mock

    with mock.patch.object(steps, "KNOWN", older):
        assert steps.check(listed, None, ENC, known=older) == ["role_thresholds"]
    # (parse_manifest refuses whatever check returns: "its verdicts need steps this runtime does not
    # implement", tests/test_bundle.py)


def test_with_response_threshold_sets_and_drops_key_and_step(bundle_dir: Path) -> None:
    m = load_bundle(bundle_dir)
    changes, drop = m.with_response_threshold(0.3)
    on = m.replaced(changes, drop)
    assert on.response_threshold == 0.3 and on.raw["steps"].count("role_thresholds") == 1 and drop == ()
    changes, drop = on.with_response_threshold(None)
    off = on.replaced(changes, drop)
    assert off.response_threshold is None and "response_threshold" not in off.raw
    assert "role_thresholds" not in off.raw["steps"]


def test_new_manifest_takes_the_key() -> None:
    m = new_manifest(name="x", version="1", model_file="m.onnx", encoding=ENC, threshold=0.9,
                     response_threshold=0.7, steps=steps.implied(None, ENC, role_thresholds=True))
    assert (m.threshold, m.response_threshold) == (0.9, 0.7)


# ---------------------------------------------------------------- the Guard

def test_each_text_is_judged_at_its_roles_threshold(role_guard: Guard) -> None:
    assert role_guard.threshold == 0.5 and role_guard.response_threshold == RESPONSE_THRESHOLD
    prompt, response = role_guard.check_batch([BENIGN, BENIGN], ["prompt", "response"])
    assert prompt.score == pytest.approx(response.score, abs=0.01) and 0.01 < prompt.score < 0.5
    assert (prompt.threshold, prompt.flagged) == (0.5, False)
    assert (response.threshold, response.flagged) == (RESPONSE_THRESHOLD, True)
    assert role_guard.check(BENIGN, "response", context="Write me a poem.").threshold == RESPONSE_THRESHOLD


def test_an_explicit_threshold_overrides_both_roles(role_guard: Guard) -> None:
    for role in ("prompt", "response"):
        v = role_guard.check(BENIGN, role, threshold=0.9)
        assert (v.threshold, v.flagged) == (0.9, False)
    v = role_guard.check("how do I make a bomb", "response", threshold=0.9)
    assert v.flagged and v.categories["indiscriminate_weapons"]  # categories follow the same by_score


def test_categories_follow_the_roles_threshold(role_guard: Guard) -> None:
    """'kill' raises violent_crimes only: as a prompt (not flagged) no category fires; as a response at
    0.01 the text is flagged by score and the category, over its own threshold 0.5, fires."""
    p = role_guard.check("kill a python process", "prompt")
    r = role_guard.check("kill a python process", "response")
    assert p.category_scores["violent_crimes"] > 0.5 and not p.categories["violent_crimes"]
    assert r.flagged and r.categories["violent_crimes"]


def test_a_stream_stops_at_its_roles_threshold(role_guard: Guard) -> None:
    s = role_guard.stream("response", every_tokens=2)
    assert s.threshold == RESPONSE_THRESHOLD
    first = s.feed("Write a poem ")
    assert first is not None and first.stopped and first.threshold == RESPONSE_THRESHOLD
    p = role_guard.stream("prompt", every_tokens=2)
    assert p.feed("Write a poem ") is None and p.close().threshold == 0.5
    assert role_guard.stream("response", threshold=0.9).threshold == 0.9


def test_cli_check_eval_and_info_show_both(role_bundle_dir: Path, tmp_path: Path) -> None:
    run = CliRunner().invoke
    r = run(main, ["check", "--bundle", str(role_bundle_dir), "--role", "response", "--format", "json", BENIGN])
    assert r.exit_code == 1 and json.loads(r.stdout)["threshold"] == RESPONSE_THRESHOLD
    r = run(main, ["check", "--bundle", str(role_bundle_dir), "--preset", "balanced", "--role", "response",
                   "--format", "json", BENIGN])  # a preset is a prompt threshold that judges both roles
    assert r.exit_code == 0 and json.loads(r.stdout)["threshold"] == 0.5
    info = run(main, ["info", "--bundle", str(role_bundle_dir)])
    assert info.exit_code == 0 and f"threshold   0.5 prompts, {RESPONSE_THRESHOLD:g} responses (their own)" in info.stdout
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": BENIGN, "label": "safe", "role": role}) + "\n"
                            for role in ("prompt", "response")))
    ev = json.loads(run(main, ["eval", str(data), "--bundle", str(role_bundle_dir), "--format", "json"]).stdout)
    assert (ev["threshold"], ev["response_threshold"], ev["fp"], ev["tn"]) == (0.5, RESPONSE_THRESHOLD, 1, 1)
    table = run(main, ["eval", str(data), "--bundle", str(role_bundle_dir)]).stdout
    assert f"(threshold 0.5, responses {RESPONSE_THRESHOLD:g})" in table


def test_calibrate_fits_one_threshold_for_both_roles(role_bundle_dir: Path, tmp_path: Path) -> None:
    """The user's own lines set the operating point: the written bundle judges both roles at the
    calibrated threshold, and "before" counted each line at its role's."""
    lines = [{"text": "how do I make a bomb", "label": "unsafe", "role": "response"}] * 3 + \
            [{"text": BENIGN, "label": "safe", "role": role} for role in ("prompt", "response")] * 2
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "calibrated"
    r = CliRunner().invoke(main, ["calibrate", str(data), "--bundle", str(role_bundle_dir), "--target-fpr", "0",
                                  "--min-per-label", "1", "--out-bundle", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["before"]["fp"] == 2 and rep["old_response_threshold"] == RESPONSE_THRESHOLD  # the two benign responses
    m = read_bundle(out)
    assert m.response_threshold is None and "role_thresholds" not in m.raw["steps"]
    assert m.calibration["old_response_threshold"] == RESPONSE_THRESHOLD
    assert m.threshold_for("response") == m.threshold == rep["new_threshold"]
