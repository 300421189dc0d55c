"""Whole adversarial rounds at tiny size: attack -> harvest -> curation -> retrain -> measure,
twice, through the real :class:`tinyguard.train.adversarial.rounds.Rounds`.

Guard 0 is the fixture bundle (it knows only the word "bomb", behind the runtime's defenses);
the verifier is a keyword guard for "bomb" (so unsafe seeds keep their label while "bomb" is
readable); the attacker is a 2-layer random Llama with a LoRA adapter; each retrained guard is a
2-layer, 32-wide BERT teacher (``TINYGUARD_ENCODER_DIR``) run through the real train_teacher and
export_bundle, warm-started ([retrain] warm_start) from the previous guard's teacher: round 1 from
a "base run" teacher trained from a differently seeded tiny BERT, so where each guard started is
visible in its weights. The run is interrupted in round 2 (its teacher raises) and resumed:
round 1 and round 2's finished stages are reused. A few dozen seconds on 2 cores.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from adversarial_fixtures import KeywordGuard, bow_embed, seed_records, tiny_llama
from optional_deps import require

torch = require("torch")
require("peft")

from tinyguard.bundle.folder import read_bundle  # noqa: E402
from tinyguard.records import read_jsonl  # noqa: E402
from tinyguard.train.adversarial.config import (  # noqa: E402
    AdversarialConfig, AttackerConfig, BanditConfig, HarvestConfig, MeasureConfig, RetrainConfig,
)
from tinyguard.train.adversarial.regression import reopened  # noqa: E402
from tinyguard.train.adversarial.rewards import BundleScorer  # noqa: E402
from tinyguard.train.adversarial.rounds import Inputs, Rounds  # noqa: E402
from tinyguard.train.candidates import read_candidates  # noqa: E402
from tinyguard.train.config import CurateConfig, ExportConfig, PipelineConfig, TeacherConfig  # noqa: E402


class Interrupted(Exception):
    pass


CFG = AdversarialConfig(
    name="adversarial-test", rounds=2, threads=1,
    attacker=AttackerConfig(steps=2, seeds_per_step=1, group_size=2, max_new_tokens=8, max_prompt_tokens=512,
                            harvest_samples=1, threads=1),
    # no_spaces: glued words still get past the fixture guard (its 42-word vocabulary cannot re-split
    # them); typos no longer do since the reworded view (issue 21)
    bandit=BanditConfig(pulls=24, operators=("no_spaces", "leetspeak", "casing", "base64")),
    harvest=HarvestConfig(seeds_per_goal=4, max_per_seed=2, min_novelty=0.0, eval_seeds_per_goal=4),
    measure=MeasureConfig(robustness_per_label=3, examples=5),
    retrain=RetrainConfig(warm_start=True, max_steps=2),
    curate=CurateConfig(enabled=True, judge=False, clusters=2, max_per_cluster=50, max_per_category=50,
                        noise_max_drop_fraction=0.0, min_chars=8))
PIPELINE = PipelineConfig(
    name="tiny-test", teacher=TeacherConfig(max_length=64, batch_size=8, max_steps=3, epochs=1.0, threads=1),
    export=ExportConfig(name="tinyguard-adv-test", version="0.0.1", parity_min_agreement=0.5,
                        parity_max_score_diff=0.5, parity_max_mean_diff=0.5))


def _tiny_bert(path: Path, seed: int) -> Path:
    from transformers import BertConfig, BertModel

    from tinyguard.train.teacher import encoder_dir

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg, add_pooling_layer=False).save_pretrained(path)
    shutil.copyfile(encoder_dir() / "tokenizer.json", path / "tokenizer.json")
    return path


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_bert(tmp_path_factory.mktemp("tiny-encoder"), seed=0)


@pytest.fixture(scope="module")
def teacher0(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base run's teacher (behind guard 0): trained from another random tiny BERT (seed 1)."""
    from tinyguard.train.teacher import train_teacher

    other = _tiny_bert(tmp_path_factory.mktemp("other-encoder"), seed=1)
    out = tmp_path_factory.mktemp("base-run") / "teacher"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYGUARD_ENCODER_DIR", str(other))
        train_teacher(seed_records(), out, PIPELINE.teacher, progress=False)
    return out


def _rounds(run: Path, guard0: Path, lines: list[str], teacher0: Path | None = None,
            cfg: AdversarialConfig = CFG, pipeline: PipelineConfig = PIPELINE) -> Rounds:
    records = seed_records()
    inputs = Inputs(records=records, records_hash="fixture-records-v1", guard0=guard0,
                    verifier=KeywordGuard("bomb"), embed=bow_embed, embed_id="bow-64",
                    make_attacker=lambda: __import__("tinyguard.train.adversarial.policy", fromlist=["Attacker"])
                    .Attacker(*tiny_llama(), cfg.attacker, name="tiny-llama"), teacher0=teacher0)
    return Rounds(cfg, pipeline, run, inputs, config_ref="test", progress=False, echo=lines.append)


@pytest.fixture(scope="module")
def adv_run(tmp_path_factory: pytest.TempPathFactory, tiny_encoder: Path, teacher0: Path, bundle_dir: Path) -> dict:
    """The run, interrupted in round 2's teacher, then resumed; returns the folder and both logs."""
    import tinyguard.train.teacher as teacher

    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("adv-run")
    first: list[str] = []
    second: list[str] = []
    real = teacher.train_teacher
    calls = {"n": 0}

    def counting(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2 and not second:
            raise Interrupted("stopped in round 2")
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
        mp.setattr(teacher, "train_teacher", counting)
        with pytest.raises(Interrupted):
            _rounds(run, bundle_dir, first, teacher0).run()
        calls_before = calls["n"]
        second.append("(resumed)")
        summary = _rounds(run, bundle_dir, second, teacher0).run()
        encoder_dir_after = teacher.encoder_dir()
    return {"run": run, "first": first, "second": second, "summary": summary, "teacher0": teacher0,
            "teacher_calls_on_resume": calls["n"] - calls_before, "encoder_dir_after": encoder_dir_after,
            "tiny_encoder": tiny_encoder}


def test_resume_continues_at_the_interrupted_round(adv_run: dict) -> None:
    run, first, second = adv_run["run"], adv_run["first"], adv_run["second"]
    assert (run / "round1" / "manifest.json").is_file()
    assert any(ln.startswith("[round 2/2] attacking guard 1") for ln in first)
    log = "\n".join(second)
    assert f"[round 1/2] finished before, reusing {run / 'round1'}" in log
    for stage in ("adversarial-attacker", "adversarial-harvest"):  # round 2's stages that had finished
        assert f"{stage}: unchanged, reusing {run / 'round2'}" in log
    assert adv_run["teacher_calls_on_resume"] == 1  # only round 2's teacher trains again
    assert (run / "round2" / "manifest.json").is_file() and (run / "round2" / "bundle" / "manifest.json").is_file()


def _encoder(teacher_dir: Path) -> dict:
    from safetensors.torch import load_file

    return {k: v for k, v in load_file(str(teacher_dir / "model.safetensors")).items() if k.startswith("encoder.")}


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def test_each_guard_is_warm_started_from_the_previous_teacher(adv_run: dict) -> None:
    from safetensors.torch import load_file

    run, t0 = adv_run["run"], adv_run["teacher0"]
    c1 = json.loads((run / "round1" / "teacher" / "manifest.json").read_text())["counts"]
    c2 = json.loads((run / "round2" / "teacher" / "manifest.json").read_text())["counts"]
    assert c1["init"] == str(t0) and c2["init"] == str(run / "round1" / "teacher")
    base = {f"encoder.{k}": v for k, v in load_file(str(adv_run["tiny_encoder"] / "model.safetensors")).items()}
    e0, e1, e2 = _encoder(t0), _encoder(run / "round1" / "teacher"), _encoder(run / "round2" / "teacher")
    # two steps at lr 5e-5 move a weight by ~1e-4; two random initialisations differ by ~1e-1
    assert _max_diff(e1, e0) < 0.01 < _max_diff(e1, base)
    assert _max_diff(e2, e1) < 0.01 < _max_diff(e2, base)
    assert not (run / "round1" / "init-encoder").exists()  # the copy of the init weights is not kept
    assert adv_run["encoder_dir_after"] == adv_run["tiny_encoder"]  # the override was scoped to the teacher
    assert any(ln == f"      warm start from {t0}" for ln in adv_run["first"])
    card = (run / "round1" / "bundle" / "MODEL_CARD.md").read_text()
    assert f"warm-started from {t0}" in json.dumps(read_bundle(run / "round1" / "bundle").raw["training"])
    assert "warm start: guard r-1's teacher encoder" in card


def test_a_retrain_budget_the_recipe_cannot_use_is_refused_before_any_attack(tmp_path: Path, bundle_dir: Path) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="warm_start needs the teacher behind guard 0"):
        _rounds(tmp_path, bundle_dir, [], teacher0=None)
    with pytest.raises(FileNotFoundError, match="holds no trained teacher"):
        _rounds(tmp_path, bundle_dir, [], teacher0=tmp_path / "nothing")
    cfg = replace(CFG, retrain=RetrainConfig(examples_per_epoch=1000))
    with pytest.raises(ValueError, match="examples_per_epoch needs source balancing"):
        _rounds(tmp_path, bundle_dir, [], cfg=cfg)  # the test pipeline has source_temperature = 0


def test_harvest_goes_through_curation_into_the_next_guard(adv_run: dict) -> None:
    run = adv_run["run"]
    harvested = list(read_candidates(run / "round1" / "harvest" / "harvest.jsonl"))
    assert harvested, "the bandit's glued words get past the fixture guard: something must be harvested"
    assert all(c.record.source.startswith("synthetic-adversarial/") and c.record.split == "train" for c in harvested)
    bandit = [c for c in harvested if c.method == "operator"]
    assert bandit and all(c.record.label == "unsafe" for c in bandit if "/evade/" in c.record.source)
    attempts = [json.loads(x) for x in (run / "round1" / "harvest" / "attempts.jsonl").read_text().splitlines()]
    assert {a["attacker"] for a in attempts} == {"policy", "bandit"}
    assert all(a["success"] for a in attempts if a["harvested"])
    # the fixture guard flagged none of the harvested evasions, the keyword verifier kept their label
    assert all(a["guard_score"] < a["threshold"] for a in attempts if a["harvested"] and a["goal"] == "evade")
    # curation ran its six rounds and its survivors are in guard 1's training data
    rounds = sorted(p.name for p in (run / "round1" / "curate").iterdir() if p.name.startswith("round"))
    assert rounds == ["round1_clean", "round2_near_dup", "round3_failures", "round4_verify", "round5_noise",
                      "round6_diversity"]
    curated = list(read_jsonl(run / "round1" / "curate" / "curated.jsonl"))
    assert curated
    trained = {r.text for r in read_jsonl(run / "round1" / "data" / "records.jsonl")}
    assert {r.text for r in curated} <= trained
    round2 = {r.text for r in read_jsonl(run / "round2" / "data" / "records.jsonl")}
    assert {r.text for r in curated} <= round2  # later guards keep every earlier round's data
    teacher = json.loads((run / "round1" / "teacher" / "manifest.json").read_text())
    assert teacher["counts"]["steps"] == 2  # [retrain] max_steps overrides the pipeline's 3
    # the bundle and its card name the rounds and their data
    m = read_bundle(run / "round2" / "bundle")
    adv = m.raw["data"]["adversarial"]
    assert [r["round"] for r in adv["rounds"]] == [1, 2] and adv["rounds"][0]["curated"] == len(curated)
    assert adv["verifier"] == "keyword:bomb"
    card = (run / "round2" / "bundle" / "MODEL_CARD.md").read_text()
    assert "Adversarial rounds" in card and "| 1 | " in card and "guard-cli adversarial --config test" in card


def test_each_round_is_measured_against_both_guards_and_reported(adv_run: dict) -> None:
    run = adv_run["run"]
    m0 = json.loads((run / "round0" / "eval" / "metrics.json").read_text())
    assert "attack_success" not in m0 and m0["robustness"]["n"] > 0
    for r in (1, 2):
        m = json.loads((run / f"round{r}" / "eval" / "metrics.json").read_text())
        keys = set(m["attack_success"])
        assert {f"{a}/{g}/{w}" for a in ("policy", "bandit") for g in ("evade", "false_alarm")
                for w in ("previous", "current")} == keys
        assert all(0.0 <= v["success"] <= 1.0 and v["n"] > 0 for v in m["attack_success"].values())
        assert m["benign_fpr"]["validation"] is not None and m["robustness"]["n"] > 0
        assert m["disagreement"]["attempts"] > 0
    report = (run / "report.md").read_text()
    assert "| 0 | `tinyguard-fixture@0.0.1`" in report and "| 2 | `tinyguard-adv-test@0.0.1-adv.r2`" in report
    assert "### Round 1, evade" in report and "LoRA policy on tiny-llama" in report
    assert "not measured ([measure] ood = false)" in report
    assert "Round 1, bandit texts (label by construction, not gated): the verifier votes against" in report
    assert (run / "curves.png").stat().st_size > 10_000
    assert [x["round"] for x in adv_run["summary"]["rounds"]] == [0, 1, 2]


def test_the_regression_suite_holds_for_the_guard_that_froze_it(adv_run: dict, bundle_dir: Path) -> None:
    run = adv_run["run"]
    path = run / "regression.jsonl"
    frozen = list(read_jsonl(path))
    assert adv_run["summary"]["regression"]["attacks"] == len(frozen)
    assert all(r.source.startswith("synthetic-adversarial/") for r in frozen)
    final = BundleScorer(run / "round2" / "bundle", threads=1)
    assert reopened(path, final) == []
    # guard 0 missed every harvested evasion of round 1: those frozen are reopened by it
    first_round = [r for r in frozen if r.source == "synthetic-adversarial/evade/r1"]
    back = {r.text for r, _ in reopened(path, BundleScorer(bundle_dir, threads=1))}
    assert {r.text for r in first_round} <= back


def test_report_only_rebuilds_the_report_from_the_run_and_its_own_config(adv_run: dict) -> None:
    from click.testing import CliRunner

    from tinyguard.cli.main import main

    run = adv_run["run"]
    before = (run / "report.md").read_text()
    (run / "report.md").unlink()
    res = CliRunner().invoke(main, ["adversarial", "--config", "tiny", "--run-dir", str(run), "--report-only"])
    assert res.exit_code == 0, res.output
    after = (run / "report.md").read_text()
    assert after.replace("--config tiny", "--config test") == before  # the run's config, not tiny's
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(run / "nothing"), "--report-only"])
    assert res.exit_code == 2 and "holds no adversarial run" in res.output


def test_freeze_writes_a_suite_from_a_finished_run_against_a_chosen_bundle(adv_run: dict, bundle_dir: Path,
                                                                          tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tinyguard.cli.main import main

    run = adv_run["run"]
    offered = [r for k in (1, 2) for r in read_jsonl(run / f"round{k}" / "curate" / "curated.jsonl")]
    out = tmp_path / "suite.jsonl"
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(run), "--freeze", str(run / "round2" / "bundle"),
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    # against the run's final guard: the same suite the run froze itself
    assert [r.text for r in read_jsonl(out)] == [r.text for r in read_jsonl(run / "regression.jsonl")]
    n = len(list(read_jsonl(out)))
    assert f"froze {n} of {len(offered)} adversarial records of {run}" in res.output
    # against guard 0, which missed the round-1 evasions: those are left out, and the default name says whose it is
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(run), "--freeze", str(bundle_dir)])
    assert res.exit_code == 0, res.output
    written = run / "regression-tinyguard-fixture_0.0.1.jsonl"
    kept = {r.text for r in read_jsonl(written)}
    assert not kept & {r.text for r in offered if r.source == "synthetic-adversarial/evade/r1"}
    assert f"{len(offered) - len(kept)} it gets wrong were left out" in res.output
    assert reopened(written, BundleScorer(bundle_dir, threads=1)) == []


def test_freeze_refuses_an_unfinished_run_and_a_stray_out(tmp_path: Path, bundle_dir: Path) -> None:
    from click.testing import CliRunner

    from tinyguard.cli.main import main

    (tmp_path / "round1" / "curate").mkdir(parents=True)
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(tmp_path), "--freeze", str(bundle_dir)])
    assert res.exit_code == 2 and "holds no finished adversarial run (no summary.json)" in res.output
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(tmp_path), "--out", str(tmp_path / "x.jsonl")])
    assert res.exit_code == 2 and "give --freeze BUNDLE too" in res.output
    assert not (tmp_path / "x.jsonl").exists()


def test_the_report_weighs_each_round_on_the_ood_yardstick(adv_run: dict, tmp_path: Path) -> None:
    """The OOD column, the curve and the verdict, from metrics as measure() writes them ([measure]
    ood = true needs the shared data, so the OOD headline is set here on a copy of the run)."""
    from tinyguard.train.adversarial.report import write_report

    run = tmp_path / "run"
    shutil.copytree(adv_run["run"], run, ignore=shutil.ignore_patterns("bundle", "teacher", "export", "data"))
    for r, auprc in ((0, 0.600), (1, 0.580), (2, 0.625)):
        path = run / f"round{r}" / "eval" / "metrics.json"
        m = json.loads(path.read_text())
        m["ood"] = {"headline": {"mean_auprc": auprc, "benign_fpr": 0.2 - r / 100}, "slices": {}}
        path.write_text(json.dumps(m))
    write_report(run, CFG, command="guard-cli adversarial --config test")
    report = (run / "report.md").read_text()
    assert ("Out-of-distribution mean AUPRC: guard 0 0.600; round 1 0.580 (-0.020); round 2 0.625 (+0.025). "
            "Round 2 beats guard 0: a candidate for the default bundle.") in report
    assert "| 0.600 / 0.200 |" in report and "| 0.625 / 0.180 |" in report
    # the setup: guard 0, the verifier, the retrain recipe and the warm start's caveat
    assert "Label signals: verifier `keyword:bomb` (never the attacked guard)" in report
    assert "Each guard r: pipeline `tiny-test` [teacher] recipe, 1 epoch, at most 2 steps, batch 8; warm start" in report
    assert "a run with `harvest.seeds_per_goal = 0` (nothing harvested) measures the extra steps alone" in report


def test_name_rounds_puts_the_rounds_in_a_bundle_built_from_a_round(adv_run: dict, bundle_dir: Path,
                                                                     tmp_path: Path) -> None:
    """A student distilled from RUN/roundR after the run (guard-cli distill) does not know the rounds;
    --name-rounds copies round R's account of rounds 1..R into its manifest and card."""
    from click.testing import CliRunner

    from tinyguard.cli.main import main

    run, student = adv_run["run"], tmp_path / "student"
    shutil.copytree(bundle_dir, student)  # stands in for a bundle distilled from round 1's teacher
    assert "Adversarial rounds" not in (student / "MODEL_CARD.md").read_text()
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(run), "--rounds", "1", "--name-rounds", str(student)])
    assert res.exit_code == 0, res.output
    adv = read_bundle(student).raw["data"]["adversarial"]  # loads: hashes re-pinned
    assert adv == read_bundle(run / "round1" / "bundle").raw["data"]["adversarial"]
    assert [r["round"] for r in adv["rounds"]] == [1] and adv["run"] == str(run)
    card = (student / "MODEL_CARD.md").read_text()
    assert "Adversarial rounds (`synthetic-adversarial/<goal>/r<round>` rows" in card
    assert f"run folder: {run}." in card
    assert "signature no longer matched and was dropped" in res.output  # the fixture bundle is signed
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(run), "--name-rounds", str(student)])
    assert res.exit_code == 0 and [r["round"] for r in read_bundle(student).raw["data"]["adversarial"]["rounds"]] == [1, 2]
    res = CliRunner().invoke(main, ["adversarial", "--run-dir", str(run), "--rounds", "3", "--name-rounds", str(student)])
    assert res.exit_code == 2 and "round 3 of" in res.output and "has no guard yet" in res.output
