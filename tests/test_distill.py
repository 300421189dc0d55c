"""Distillation and student export on a small but real run: a 6-layer, 64-wide BERT teacher
(random weights, the real MiniLM tokenizer) and a few hundred synthetic records.

Covers vocabulary pruning (round trip), both students training a few steps and exporting to
int8 ONNX + .ort that the runtime Guard scores, the parity gates passing and failing, GGUF
written and read back with its label metadata and scored by llama.cpp, the Pareto report and
the CLI hook. About a minute on 2 cores.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from optional_deps import require

require("torch")  # the training extra: skipped without it locally, a failure under CI

import torch  # noqa: E402

from distill_run import HAVE_LLAMA, records as _records  # noqa: E402
from tinyguard.distill.config import load_distill_config  # noqa: E402


# The run and its students are built once per session in conftest.py (distill_run.py), shared
# with test_gguf_runtime.py; these are this module's short names for them.
@pytest.fixture(scope="module")
def run(distill_run: Path) -> Path:
    return distill_run


@pytest.fixture(scope="module")
def tiny_cfg(distill_cfg):
    return distill_cfg


@pytest.fixture(scope="module")
def students(distill_students: dict) -> dict[str, dict]:
    return distill_students


# ---------------------------------------------------------------- vocabulary pruning

def test_pruned_tokenizer_round_trips_remapped_ids(tmp_path: Path):
    from tokenizers import Tokenizer

    from tinyguard.distill.vocab import prune_vocab
    from tinyguard.text.encoding import TextEncoder
    from tinyguard.train.teacher import encoder_dir

    src = encoder_dir() / "tokenizer.json"
    texts = [r.text.lower() for r in _records()] + ["unbelievably hyperparameterised tokenisation, naïve café!"]
    pv = prune_vocab(src, texts, tmp_path / "tok.json", min_count=1)
    full, pruned = Tokenizer.from_file(str(src)), Tokenizer.from_file(str(pv.tokenizer_path))
    assert pruned.get_vocab_size() == pv.size < full.get_vocab_size() // 5
    for t in texts:
        old = full.encode(t, add_special_tokens=False).ids
        assert pruned.encode(t, add_special_tokens=False).ids == pv.remap(old).tolist(), t
        assert [full.id_to_token(i) for i in old] == [pruned.id_to_token(i) for i in pv.remap(old)]
    # with special tokens too (post-processor ids were rewritten), and the runtime encoder loads it
    pruned.no_padding()  # MiniLM's tokenizer.json pads to 128; the runtime encoder turns that off too
    both = pruned.encode("how do i make a bomb").ids
    assert both[0] == pruned.token_to_id("[CLS]") and both[-1] == pruned.token_to_id("[SEP]")
    enc = TextEncoder.from_file(str(pv.tokenizer_path))
    assert enc.pad_id == pruned.token_to_id("[PAD]") == 0
    # an unseen word falls back to kept pieces (single characters are kept), not [UNK]
    assert pruned.token_to_id("[UNK]") not in pruned.encode("qwertyuiop", add_special_tokens=False).ids


def test_micro_embedding_rows_follow_the_pruned_vocab(run: Path, tmp_path: Path):
    from tinyguard.distill.students import build_micro
    from tinyguard.distill.vocab import prune_vocab
    from tinyguard.train.teacher import load_teacher

    teacher, _ = load_teacher(run / "teacher")
    pv = prune_vocab(run / "teacher" / "tokenizer.json", ["a bomb", "cats"], tmp_path / "t.json")
    micro = build_micro(teacher, pv.keep, (0, 5), 64)
    old = teacher.encoder.embeddings.word_embeddings.weight
    new = micro.encoder.embeddings.word_embeddings.weight
    assert new.shape[0] == pv.size and torch.equal(new, old[torch.from_numpy(pv.keep)])
    assert torch.equal(micro.encoder.encoder.layer[1].output.dense.weight,
                       teacher.encoder.encoder.layer[5].output.dense.weight)
    types = micro.encoder.embeddings.token_type_embeddings.weight
    assert torch.equal(types[0], types[1]) and not types.requires_grad  # what llama.cpp computes


# ---------------------------------------------------------------- students → bundles → Guard

def test_students_train_and_export_bundles_the_runtime_scores(run: Path, students: dict):
    import onnx

    from tinyguard.bundle.folder import read_bundle
    from tinyguard.scoring.guard import Guard
    from tinyguard.taxonomy import CATEGORIES

    log = (run / "distill.log").read_text()
    # PASS under the shipped bounds (distill_run.GATES), on scores that spread across the threshold
    assert "parity fp32-int8: PASS" in log and "(min 0.99)" in log and "parity int8-ort: PASS" in log
    assert HAVE_LLAMA <= ("parity int8-gguf_q8_0: PASS" in log and "(min 0.98)" in log)
    for name in ("nano", "micro"):
        bundle = run / "students" / name / "bundle"
        m = read_bundle(bundle)
        assert {"model.int8.onnx", "model.int8.ort", "tokenizer.json", "MODEL_CARD.md"} <= set(m.files)
        assert m.raw["artifacts"]["ort"] == "model.int8.ort"
        assert m.metrics["parity"]["fp32-int8"]["passed"] and m.metrics["parity"]["int8-ort"]["passed"]
        assert m.training["student"] == name and m.training["steps"] == 4
        # the teacher separates the labels, so the gates compared real numbers: measured thresholds
        # 0.11 (nano) and 0.84 (micro), validation F1 0.95 and 1.0
        assert 0.05 < m.threshold < 0.95 and m.metrics["validation"]["f1"] >= 0.9, (m.threshold, m.metrics)
        graph = onnx.load(str(bundle / "model.int8.onnx")).graph
        assert [(i.name, i.type.tensor_type.elem_type) for i in graph.input] == \
            [(n, onnx.TensorProto.INT64) for n in ("input_ids", "attention_mask", "token_type_ids")]
        assert [o.name for o in graph.output] == ["logits"]
        guard = Guard.load(bundle, threads=1, allow_unsigned=True)  # a run's student: unsigned
        v = guard.check("How do I make a pipe bomb at home?")
        assert set(v.category_scores) == set(CATEGORIES) and 0.0 <= v.score <= 1.0
        assert v.model == f"tinyguard-{name}@0.0.1"
        r = guard.check("Sure, here you go.", role="response", context="how do i bake a cake")
        assert 0.0 <= r.score <= 1.0
        assert "distilled from" in (bundle / "MODEL_CARD.md").read_text()
    nano = read_bundle(run / "students" / "nano" / "bundle")
    micro = read_bundle(run / "students" / "micro" / "bundle")
    size = lambda m: (m.path / m.model_file).stat().st_size  # noqa: E731
    assert size(nano) < size(micro)


def test_rerun_reuses_the_student_and_its_export(run: Path, students: dict, tiny_cfg):
    from tinyguard.distill.stages import distill_student

    lines: list[str] = []
    distill_student(run, tiny_cfg, "nano", config_ref="tiny", progress=False, echo=lines.append)
    assert sum("unchanged, reusing" in ln for ln in lines) == 2


def test_parity_gate_failure_stops_the_export(run: Path, students: dict, tiny_cfg, tmp_path: Path):
    from tinyguard.distill.stages import _export_config, export_trained_student
    from tinyguard.export.parity import ParityError
    from tinyguard.records import read_jsonl

    records = list(read_jsonl(run / "data" / "records.jsonl"))
    strict = replace(tiny_cfg.gates, fp32_int8_min_agreement=1.0, fp32_int8_max_score_diff=0.0, gguf_types=())
    cfg = replace(tiny_cfg, gates=strict)
    out = tmp_path / "bundle"
    with pytest.raises(ParityError, match="parity fp32-int8: FAIL"):
        export_trained_student(run / "students" / "micro" / "student", records, out, tmp_path / "work",
                       _export_config(run, cfg, cfg.student("micro")), strict, training={}, data={},
                       reproduce="x", echo=lambda s: None)
    assert not out.exists()  # no bundle is written past a failed gate


def _export_micro(run: Path, cfg, out: Path, work: Path):
    from tinyguard.distill.stages import _export_config, export_trained_student
    from tinyguard.records import read_jsonl

    records = list(read_jsonl(run / "data" / "records.jsonl"))
    return export_trained_student(run / "students" / "micro" / "student", records, out, work,
                          _export_config(run, cfg, cfg.student("micro")), cfg.gates, training={}, data={},
                          reproduce="x", echo=lambda s: None)


def test_ort_gate_stops_an_ort_file_that_drifted(run: Path, students: dict, tiny_cfg, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch):
    """An .ort converted from the wrong model (the fp32 one, not the int8 one it ships beside):
    a real drift (measured max |Δscore| 0.018, mean 0.004) that the shipped ORT bounds (0.01,
    0.001) catch; the fp32-int8 gate before it passes."""
    import tinyguard.export.student as student_export
    from tinyguard.export.parity import ParityError

    real = student_export.convert_to_ort
    monkeypatch.setattr(student_export, "convert_to_ort",
                        lambda src, dst: real(Path(src).with_name("model.fp32.onnx"), dst))
    out = tmp_path / "bundle"
    with pytest.raises(ParityError, match="parity int8-ort: FAIL"):
        _export_micro(run, tiny_cfg, out, tmp_path / "work")
    assert not out.exists()


def test_gguf_gate_stops_a_gguf_that_drifted(run: Path, students: dict, tiny_cfg, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch):
    """A GGUF whose unsafe logit is off by one (a head written wrong): llama.cpp scores it, the
    shipped GGUF bounds catch it, and no bundle is written."""
    import copy

    import tinyguard.export.student as student_export
    from tinyguard.export.parity import ParityError

    if not HAVE_LLAMA:
        pytest.fail("llama-cpp-python is not installed, so the GGUF gate cannot run: pip install -e '.[gguf]'")
    real = student_export.write_gguf

    def drifted(model, *args, **kwargs):
        model = copy.deepcopy(model)
        with torch.no_grad():
            model.head.bias[0] += 1.0
        return real(model, *args, **kwargs)

    monkeypatch.setattr(student_export, "write_gguf", drifted)
    out = tmp_path / "bundle"
    with pytest.raises(ParityError, match="parity int8-gguf_q8_0: FAIL"):
        _export_micro(run, tiny_cfg, out, tmp_path / "work")
    assert not out.exists()


# ---------------------------------------------------------------- GGUF

def test_gguf_written_and_read_back_with_label_metadata(run: Path, students: dict, tmp_path: Path):
    from tinyguard.distill.students import load_student
    from tinyguard.export.gguf_export import read_gguf_labels, write_gguf
    from tinyguard.scoring.gguf_backend import read_head
    from tinyguard.taxonomy import CATEGORIES

    student_dir = run / "students" / "micro" / "student"
    model, _ = load_student(student_dir)
    for qtype in ("q8_0", "f16"):
        path = write_gguf(model, student_dir / "tokenizer.json", tmp_path / f"m.{qtype}.gguf", qtype,
                          name="tinyguard-micro", version="0.0.1")
        meta = read_gguf_labels(path)  # gguf's own reader
        assert meta["arch"] == "bert" and meta["pooling"] == "mean" and meta["pooling_type"] == 1
        assert meta["labels"] == ["unsafe", *CATEGORIES] and meta["label_codes"][1] == "S1"
        head = read_head(path)  # the runtime's dependency-free reader
        assert np.array_equal(head.weight, model.head.weight.detach().numpy())
        assert np.array_equal(head.bias, model.head.bias.detach().numpy())
    nano, _ = load_student(run / "students" / "nano" / "student")
    with pytest.raises(AttributeError):
        write_gguf(nano, student_dir / "tokenizer.json", tmp_path / "n.gguf", "q8_0", name="n", version="0")
    model.encoder.embeddings.token_type_embeddings.weight.data[1] += 1.0
    with pytest.raises(ValueError, match="type-agnostic"):
        write_gguf(model, student_dir / "tokenizer.json", tmp_path / "x.gguf", "q8_0", name="x", version="0")


def test_gguf_is_scored_by_llama_cpp(run: Path, students: dict):
    if not HAVE_LLAMA:
        pytest.fail("llama-cpp-python is not installed, so the GGUF bundle cannot be scored: "
                    "pip install -e '.[gguf]' (compiles llama.cpp, ~5-7 min)")
    from tinyguard.bundle.folder import read_bundle
    from tinyguard.distill.students import load_student
    from tinyguard.scoring.gguf_backend import GgufBackend

    bundle = run / "students" / "micro" / "bundle"
    m = read_bundle(bundle)
    assert m.raw["artifacts"]["gguf"] == {"q8_0": "model.q8_0.gguf"}
    assert m.metrics["parity"]["int8-gguf_q8_0"]["passed"] and m.metrics["parity"]["int8-gguf_f16"]["passed"]
    model, _ = load_student(run / "students" / "micro" / "student")
    ids = torch.tensor([[101, 2000, 2001, 2002, 102], [101, 2003, 102, 0, 0]])  # remapped ids are < vocab
    ids = ids.clamp(max=model.encoder.config.vocab_size - 1)
    att = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    with torch.no_grad():
        want = model(ids, att, torch.zeros_like(ids)).numpy()
    f16 = run / "students" / "micro" / "export" / "model.f16.gguf"
    for path, tol in ((f16, 0.05), (bundle / "model.q8_0.gguf", 0.3)):
        got = GgufBackend(path, threads=1).logits(ids.numpy(), att.numpy(), np.zeros_like(ids.numpy()))
        assert got.shape == (2, 16) and got.dtype == np.float32
        assert np.abs(got - want).max() < tol, (path.name, np.abs(got - want).max())


# ---------------------------------------------------------------- report and CLI

def test_pareto_report_measures_every_bundle(run: Path, students: dict, tmp_path: Path):
    from tinyguard.distill.report import build_report

    result = build_report(run, tmp_path / "rep", repeats=10, batch_texts=16, echo=lambda s: None)
    names = [r["name"] for r in result["rows"]]
    assert "micro" in names and "nano" in names
    for r in result["rows"]:
        assert r["params"] > 0 and r["model_mb"] > 0 and r["p50_32"] > 0 and r["p50_128"] > 0  # speed: the report's job
        assert r["texts_per_s"] > 0 and r["f1"] is not None
    md = (tmp_path / "rep" / "pareto.md").read_text()
    assert "| nano | onnxruntime |" in md and "p50/p95 ms @32" in md
    assert (tmp_path / "rep" / "pareto.png").stat().st_size > 5000


def test_cli_hook_adds_distill_commands():
    import click
    from click.testing import CliRunner

    from tinyguard.distill.cli import add_distill_commands

    @click.group()
    def main() -> None:
        pass

    add_distill_commands(main)
    runner = CliRunner()
    out = runner.invoke(main, ["distill", "--help"])
    assert out.exit_code == 0 and "--student" in out.output and "report" in out.output
    assert runner.invoke(main, ["distill", "report", "--help"]).exit_code == 0
    bad = runner.invoke(main, ["distill", "--run-dir", "nowhere"])
    assert bad.exit_code == 2 and "--student" in bad.output


def test_distill_configs_load_and_refuse_unknown_keys(tmp_path: Path):
    default, tiny = load_distill_config("default"), load_distill_config("tiny")
    assert {s.kind for s in default.students.values()} == {"micro", "nano"}
    assert tiny.student("micro").train.max_steps == 4 and default.student("micro").train.temperature > 1
    bad = tmp_path / "bad.toml"
    bad.write_text('[students.x]\nkind = "micro"\nlayerz = [0]\n')
    with pytest.raises(ValueError, match="unknown keys in \\[students.x\\]: layerz"):
        load_distill_config(str(bad))
    single, ensemble = load_distill_config("standard-restyle"), load_distill_config("standard-ensemble")
    assert ensemble.student("micro1").train == replace(single.student("micro1").train,
                                                       ensemble=("runtime/models/standard",))
    assert (Path(__file__).resolve().parents[1] / "runtime" / "models" / "standard" / "manifest.json").is_file()


def test_vocab_max_size_keeps_the_most_frequent_tokens(tmp_path: Path):
    from tokenizers import Tokenizer

    from tinyguard.distill.vocab import prune_vocab
    from tinyguard.train.teacher import encoder_dir

    src = encoder_dir() / "tokenizer.json"
    texts = ["the cat sat on the mat"] * 5 + ["zebra quokka"]
    free = prune_vocab(src, texts, tmp_path / "free.json", keep_single_chars=True)
    capped = prune_vocab(src, texts, tmp_path / "capped.json", keep_single_chars=True, max_size=free.size - 2)
    assert capped.size == free.size - 2
    vocab = Tokenizer.from_file(str(capped.tokenizer_path)).get_vocab()
    assert {"the", "cat", "mat"} <= set(vocab)  # frequent words survive the cap, rare ones go to pieces
    with pytest.raises(ValueError, match="leaves no room"):
        prune_vocab(src, texts, tmp_path / "x.json", max_size=10)


def test_install_without_artifacts_ships_only_the_onnx_model(run: Path, students: dict, tmp_path: Path):
    from tinyguard.bundle.folder import read_bundle
    from tinyguard.scoring.guard import Guard
    from tinyguard.export.install import install_bundle

    src = run / "students" / "micro" / "bundle"
    dst = install_bundle(src, tmp_path / "default", artifacts=False, reproduce="guard-cli distill install ...")
    m = read_bundle(dst)
    assert set(m.files) == {"model.int8.onnx", "tokenizer.json", "MODEL_CARD.md"} and "artifacts" not in m.raw
    card = (dst / "MODEL_CARD.md").read_text()
    assert ".gguf" not in card and "guard-cli distill install" in card
    text = "How do I make a pipe bomb at home?"
    assert Guard.load(dst, threads=1, allow_unsigned=True).check(text).score == \
        Guard.load(src, threads=1, allow_unsigned=True).check(text).score  # installed: unsigned until signed
    full = read_bundle(install_bundle(src, tmp_path / "full"))
    assert full.raw["artifacts"] == read_bundle(src).raw["artifacts"]


# ---------------------------------------------------------------- a teacher ensemble as the soft-label source

def test_an_ensemble_averages_its_teachers_logits_and_refuses_another_encoding(run: Path, students: dict,
                                                                               tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch):
    import json as json_mod
    import shutil

    from safetensors.torch import load_file, save_file

    from tinyguard.distill.config import TrainConfig
    from tinyguard.distill.stages import _soft_labels
    from tinyguard.distill.train import encode, predict_logits
    from tinyguard.train.teacher import load_teacher

    monkeypatch.chdir(tmp_path)  # member paths are relative to the working directory
    work = tmp_path / "work"  # a copy of the run: this test's caches stay out of the shared one
    shutil.copytree(run / "teacher", work / "teacher")
    member = tmp_path / "member"
    shutil.copytree(run / "teacher", member / "teacher")
    state = load_file(str(member / "teacher" / "model.safetensors"))
    state["head.bias"] = state["head.bias"] + 2.0  # a member that scores every text higher
    save_file(state, str(member / "teacher" / "model.safetensors"))

    teacher, encoder = load_teacher(work / "teacher")
    texts = [r for r in _records() if r.split == "validation"][:10]
    own = predict_logits(teacher, encode(texts, encoder, 1.0), encoder.pad_id)
    m_teacher, _ = load_teacher(member / "teacher")
    other = predict_logits(m_teacher, encode(texts, encoder, 1.0), encoder.pad_id)
    key = {"inputs": {"teacher": "t", "records": "r"}, "seed": 1}
    lines: list[str] = []
    got = _soft_labels(work, teacher, encoder, texts, key, TrainConfig(ensemble=("member",), threads=1), lines.append)
    assert np.allclose(got, (own + other) / 2, atol=1e-5) and np.allclose(got - own, 1.0, atol=1e-5)
    again = _soft_labels(work, teacher, encoder, texts, key, TrainConfig(ensemble=("member",), threads=1), lines.append)
    assert np.array_equal(got, again) and sum("cached" in ln for ln in lines) == 2  # both members' scores
    assert np.allclose(_soft_labels(work, teacher, encoder, texts, key, TrainConfig(threads=1), lines.append), own,
                       atol=1e-5)

    meta = json_mod.loads((member / "teacher" / "teacher.json").read_text())
    meta["encoding"]["emoji_names"] = not meta["encoding"].get("emoji_names", False)
    (member / "teacher" / "teacher.json").write_text(json_mod.dumps(meta))
    with pytest.raises(ValueError, match="reads texts differently"):
        _soft_labels(work, teacher, encoder, texts, dict(key, seed=2), TrainConfig(ensemble=("member",), threads=1),
                     lines.append)
    assert "ensemble" not in TrainConfig().stage_key() and TrainConfig(ensemble=("m",)).stage_key()["ensemble"] == ("m",)


def test_a_bundle_folder_is_an_ensemble_member_through_its_onnx_models_logits(run: Path, students: dict,
                                                                             tmp_path: Path):
    """A shipped tier has no torch teacher on a user's machine: its bundle's model scores instead."""
    import shutil

    from tinyguard.bundle.folder import read_bundle
    from tinyguard.distill.config import TrainConfig
    from tinyguard.distill.stages import _soft_labels, member_weights
    from tinyguard.distill.train import encode, predict_logits, predict_logits_onnx
    from tinyguard.text.encoding import EncodingConfig, TextEncoder
    from tinyguard.train.teacher import load_teacher

    work = tmp_path / "work"
    shutil.copytree(run / "teacher", work / "teacher")
    bundle_dir = run / "students" / "micro" / "bundle"
    manifest = read_bundle(bundle_dir)
    teacher, encoder = load_teacher(work / "teacher")
    texts = [r for r in _records() if r.split == "validation"][:10]
    own = predict_logits(teacher, encode(texts, encoder, 1.0), encoder.pad_id)
    b_encoder = TextEncoder.from_file(str(bundle_dir / manifest.tokenizer_file), EncodingConfig.from_dict(
        dict(manifest.encoding, max_length=encoder.config.max_length)))
    theirs = predict_logits_onnx(bundle_dir / manifest.model_file, encode(texts, b_encoder, 1.0), b_encoder.pad_id, 1)
    assert not np.allclose(own, theirs, atol=1e-3)  # a different model: the average must show it
    key = {"inputs": {"teacher": "t", "records": "r"}, "seed": 3}
    got = _soft_labels(work, teacher, encoder, texts, key, TrainConfig(ensemble=(str(bundle_dir),), threads=1),
                       lambda _: None)
    assert np.allclose(got, (own + theirs) / 2, atol=1e-5)
    assert member_weights(bundle_dir) == bundle_dir / manifest.model_file
    with pytest.raises(FileNotFoundError, match="neither a pipeline run folder"):
        member_weights(tmp_path)


# ---------------------------------------------------------------- attention matching

def test_attention_loss_is_zero_on_equal_maps_and_ignores_padding_queries():
    from tinyguard.distill.train import attention_loss

    torch.manual_seed(0)
    a = torch.softmax(torch.randn(2, 3, 4, 4), -1)
    b = torch.softmax(torch.randn(2, 3, 4, 4), -1)
    mask, weight = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]]), torch.ones(2)
    assert float(attention_loss(a, a, mask, weight)) == pytest.approx(0.0, abs=1e-6)
    assert float(attention_loss(b, a, mask, weight)) > 0.01
    changed = b.clone()
    changed[0, :, 3] = a[0, :, 3]  # a padding query row of text 0: must not count
    assert float(attention_loss(changed, a, mask, weight)) == pytest.approx(float(attention_loss(b, a, mask, weight)))


def test_attention_matching_pulls_the_students_maps_toward_the_teachers(run: Path):
    """Trained with the attention term, a one-layer student's last maps end closer to the teacher's
    last layer than the same student trained on logits alone (same seed, steps and data)."""
    from tinyguard.distill.config import TrainConfig
    from tinyguard.distill.students import build_micro
    from tinyguard.distill.train import (_batches, _pad, attention_loss, encode, pool_and_attention,
                                         predict_logits, train_student)
    from tinyguard.train.teacher import load_teacher

    teacher, encoder = load_teacher(run / "teacher")
    texts = [r for r in _records() if r.split == "train"][:96]
    data = encode(texts, encoder, 1.0)
    t_logits = predict_logits(teacher, data, encoder.pad_id)
    keep = np.arange(teacher.encoder.config.vocab_size)  # the student keeps every id: the map is the identity

    @torch.no_grad()
    def distance(model) -> float:
        model.eval()
        total = []
        for idx in _batches([len(x) for x in data.input_ids], 32):
            batch = _pad(data.input_ids, data.token_type_ids, idx, encoder.pad_id)
            a_s, a_t = pool_and_attention(model, *batch)[1], pool_and_attention(teacher, *batch)[1]
            total.append(float(attention_loss(a_s, a_t, batch[1], torch.ones(len(idx)))))
        return float(np.mean(total))

    def student(attention_weight: float):
        model = build_micro(teacher, keep, (0,), encoder.config.max_length)
        cfg = TrainConfig(attention_weight=attention_weight, max_steps=30, epochs=10.0, batch_size=16,
                          lr=1e-3, threads=1, kd_weight=1.0)
        fit = train_student(model, data, t_logits, np.ones(len(texts), bool), cfg, encoder.pad_id, progress=False,
                            teacher=teacher if attention_weight else None, teacher_ids=keep)
        assert fit["steps"] == 30 and np.isfinite(fit["final_loss"])
        return model

    start = distance(build_micro(teacher, keep, (0,), encoder.config.max_length))
    plain, matched = distance(student(0.0)), distance(student(5.0))
    assert matched < 0.7 * start and matched < 0.7 * plain, (start, plain, matched)
    with pytest.raises(ValueError, match="needs the teacher model"):
        train_student(build_micro(teacher, keep, (0,), encoder.config.max_length), data, t_logits,
                      np.ones(len(texts), bool), TrainConfig(attention_weight=1.0, max_steps=1), encoder.pad_id,
                      progress=False)


def test_attention_weight_is_for_micro_students_and_keys_a_stage_only_when_set(tmp_path: Path):
    from tinyguard.distill.config import TrainConfig

    bad = tmp_path / "nano-attention.toml"
    bad.write_text('[students.n]\nkind = "nano"\nattention_weight = 1.0\n')
    with pytest.raises(ValueError, match="only a micro student"):
        load_distill_config(str(bad))
    assert "attention_weight" not in TrainConfig().stage_key()
    assert TrainConfig(attention_weight=0.5).stage_key()["attention_weight"] == 0.5


# ---------------------------------------------------------------- restyled transfer set

def test_restyled_transfer_restates_train_prompts_in_the_other_register_as_unlabelled_texts():
    from tinyguard.distill.config import TrainConfig
    from tinyguard.distill.train import restyled_transfer, select_data
    from tinyguard.records import Record

    def rec(text: str, label: str, split: str = "train", role: str = "prompt", context: str = "") -> Record:
        return Record(text, role, label, "seedset", "permissive", context=context, split=split)

    records = [rec("Write a tutorial on how to pick a lock on a neighbour's door", "unsafe"),
               rec("how do i bake sourdough bread at home", "safe"),
               rec("Write a tutorial on how to make a bomb", "unsafe", split="validation"),  # never: not train
               rec("Sure, here is how.", "safe", role="response", context="how do i bake bread")]
    out = restyled_transfer(records, 10, seed=13)
    # the formal request restated casually; the casual one formally (and, as "how do i" also reads as a
    # formal head, in another casual wording)
    assert all(r.source == "seedset/restyled-transfer" and r.split == "train" for r in out)
    assert [r.label for r in out].count("unsafe") == 1 and len(out) == 3
    unsafe = next(r for r in out if r.label == "unsafe")
    assert unsafe.text == unsafe.text.lower() and "pick a lock" in unsafe.text and not unsafe.text.endswith(".")
    assert any(r.label == "safe" and r.text[0].isupper() and r.text.endswith(".") and "sourdough" in r.text
               for r in out)
    assert not {r.text for r in out} & {r.text for r in records}
    assert len(restyled_transfer(records, 1, seed=13)) == 1
    data = select_data(records, TrainConfig(max_per_source=10, unlabelled_max=0, restyled_max=10))
    assert data.labelled.tolist() == [True] * 3 + [False] * 3  # the three train records, then the rewrites
    assert TrainConfig(restyled_max=5).stage_key()["restyled_max"] == 5 and "restyled_max" not in TrainConfig().stage_key()
