"""Training learns, and its losses compute what their docstrings say.

* ``guard_loss``, ``category_pos_weights`` (train/teacher.py) and ``distill_loss``
  (distill/train.py) against values worked out by hand (ln 2 and ln 3 arithmetic): masking of
  unknown categories, pos_weight, per-category pos_weight, per-example weights, temperature,
  the KD/hard mix and which rows count as labelled.
* The teacher loop (``train_teacher``, through accelerate, on a 2-layer 32-wide BERT put where
  ``TINYGUARD_ENCODER_DIR`` points) and the student loop (``train_student`` on a nano student)
  run a few dozen real steps on a separable fixture: a keyword decides the label, and held-out
  texts put the same keywords in sentence frames training never saw. The loss must fall and the
  held-out metrics must move from chance to separating. A few seconds each on 2 cores.
"""
from __future__ import annotations

import copy
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from optional_deps import require

torch = require("torch")  # the training extra: skipped without it locally, a failure under CI

from tinyguard.distill.config import TrainConfig  # noqa: E402
from tinyguard.distill.train import agreement, distill_loss, predict_logits, train_student  # noqa: E402
from tinyguard.measure.metrics import average_precision  # noqa: E402
from tinyguard.records import Record  # noqa: E402
from tinyguard.taxonomy import CATEGORIES  # noqa: E402
from tinyguard.text.encoding import EncodingConfig, TextEncoder  # noqa: E402
from tinyguard.train.config import TeacherConfig  # noqa: E402
from tinyguard.train.teacher import (  # noqa: E402
    category_pos_weights, encode_records, encoder_dir, guard_loss, load_teacher, train_teacher,
)

LN2, LN3 = math.log(2.0), math.log(3.0)


def _t(rows) -> "torch.Tensor":
    return torch.tensor(rows, dtype=torch.float32)


# ---------------------------------------------------------------- guard_loss

# Logit 0 is p = 1/2 and logit ln 3 is p = 3/4, so every BCE term below is a multiple of ln 2:
# -ln(1/2) = ln 2 (either label at logit 0) and -ln(1 - 3/4) = 2 ln 2 (label 0 at logit ln 3).
LOGITS = [[0.0, 0.0, LN3],   # unsafe, category 1 present, category 2 absent
          [LN3, 0.0, 0.0]]   # safe, but categories unknown (masked)
Y = [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
MASK = [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
WEIGHT = [1.0, 3.0]


def test_guard_loss_by_hand() -> None:
    # row 0: binary pos_weight 2 * ln 2 = 2 ln 2; categories mean(ln 2, 2 ln 2) = 1.5 ln 2
    #        -> 2 ln 2 + 0.5 * 1.5 ln 2 = 2.75 ln 2
    # row 1: binary 2 ln 2 (label 0: pos_weight does not apply); categories all masked -> 0
    # weighted mean: (1 * 2.75 ln 2 + 3 * 2 ln 2) / 4 = 2.1875 ln 2
    loss = guard_loss(_t(LOGITS), _t(Y), _t(MASK), _t(WEIGHT), pos_weight=2.0, category_weight=0.5)
    assert float(loss) == pytest.approx(2.1875 * LN2, rel=1e-6)
    # equal weights: (2.75 + 2) / 2 ln 2
    even = guard_loss(_t(LOGITS), _t(Y), _t(MASK), _t([1.0, 1.0]), pos_weight=2.0, category_weight=0.5)
    assert float(even) == pytest.approx(2.375 * LN2, rel=1e-6)
    # pos_weight 1, no category term: (ln 2 + 3 * 2 ln 2) / 4 = 1.75 ln 2
    plain = guard_loss(_t(LOGITS), _t(Y), _t(MASK), _t(WEIGHT), pos_weight=1.0, category_weight=0.0)
    assert float(plain) == pytest.approx(1.75 * LN2, rel=1e-6)


def test_guard_loss_category_pos_weight_applies_to_positives_only() -> None:
    # category pos weights (4, 1): row 0's present category 1 costs 4 ln 2, its absent category 2
    # still 2 ln 2 -> mean 3 ln 2; row 0 = 2 ln 2 + 0.5 * 3 ln 2 = 3.5 ln 2; row 1 unchanged (masked)
    # -> (3.5 + 3 * 2) / 4 ln 2 = 2.375 ln 2
    loss = guard_loss(_t(LOGITS), _t(Y), _t(MASK), _t(WEIGHT), 2.0, 0.5, category_pos_weight=_t([4.0, 1.0]))
    assert float(loss) == pytest.approx(2.375 * LN2, rel=1e-6)


def test_guard_loss_ignores_masked_categories_entirely() -> None:
    logits = _t(LOGITS).requires_grad_(True)
    loss = guard_loss(logits, _t(Y), _t(MASK), _t(WEIGHT), 2.0, 0.5)
    loss.backward()
    assert torch.all(logits.grad[1, 1:] == 0) and torch.all(logits.grad[0] != 0)
    moved = _t(LOGITS)
    moved[1, 1:] = torch.tensor([9.0, -9.0])  # whatever the model says about unknown categories
    assert float(guard_loss(moved, _t(Y), _t(MASK), _t(WEIGHT), 2.0, 0.5)) == pytest.approx(float(loss.detach()))


# ---------------------------------------------------------------- category_pos_weights

def test_category_pos_weights_by_hand() -> None:
    # columns: unsafe (ignored), A, B, C; the last two rows have unknown categories (masked)
    y = np.array([[1, 1, 0, 1], [1, 1, 0, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 0, 0, 1],
                  [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0],
                  [1, 1, 1, 1], [1, 1, 1, 1]], np.float32)
    mask = np.ones_like(y)
    mask[-2:, 1:] = 0
    w = category_pos_weights(y, mask, cap=4.0)
    # A: 2 positives, 7 negatives -> 3.5; B: no positive -> 9 / max(0, 1) = 9, capped at 4;
    # C: 5 positives, 4 negatives -> 0.8, raised to 1 (a common category is never down-weighted)
    assert w.dtype == np.float32 and w.tolist() == pytest.approx([3.5, 4.0, 1.0])
    assert category_pos_weights(y, np.ones_like(y), cap=100.0)[0] == pytest.approx(7 / 4)  # unmasked: 4 pos


# ---------------------------------------------------------------- distill_loss

def _bce(x: float, p: float) -> float:
    """BCE of logit ``x`` against probability ``p``, from the formula (no torch)."""
    q = 1.0 / (1.0 + math.exp(-x))
    return -(p * math.log(q) + (1.0 - p) * math.log(1.0 - q))


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_distill_loss_kd_part_by_hand() -> None:
    cfg = TrainConfig(temperature=2.0, kd_weight=1.0, category_weight=0.5)
    s, t = _t([[2 * LN3, 0.0, 0.0]]), _t([[2 * LN3, 0.0, 4.0]])
    zeros = _t([[0.0, 0.0, 0.0]])
    # T² · [BCE(s0/T, σ(t0/T)) + λ · mean_c BCE(s_c/T, σ(t_c/T))], with s0/T = t0/T = ln 3 (p 3/4)
    want = 4 * (_bce(LN3, 0.75) + 0.5 * (_bce(0.0, 0.5) + _bce(0.0, _sig(2.0))) / 2)
    got = distill_loss(s, t, zeros, zeros, _t([1.0]), torch.tensor([False]), cfg, pos_weight=1.0)
    assert float(got) == pytest.approx(want, rel=1e-6)
    # at logit 0 every BCE is ln 2 whatever the teacher says: T² ln 2 (1 + λ)
    flat = distill_loss(zeros, t, zeros, zeros, _t([1.0]), torch.tensor([False]), cfg, pos_weight=1.0)
    assert float(flat) == pytest.approx(4 * LN2 * 1.5, rel=1e-6)


def test_distill_loss_temperature_softens_and_rescales() -> None:
    s, t = _t([[1.0, 0.0]]), _t([[3.0, 0.0]])
    zeros = _t([[0.0, 0.0]])
    for temp in (1.0, 2.0, 4.0):
        cfg = TrainConfig(temperature=temp, kd_weight=1.0, category_weight=0.0)
        want = temp * temp * _bce(1.0 / temp, _sig(3.0 / temp))
        got = distill_loss(s, t, zeros, zeros, _t([1.0]), torch.tensor([False]), cfg, pos_weight=1.0)
        assert float(got) == pytest.approx(want, rel=1e-6), temp


def test_distill_loss_mixes_hard_labels_of_labelled_rows_only() -> None:
    cfg = TrainConfig(temperature=1.0, kd_weight=0.25, category_weight=0.0)
    s = _t([[0.0, 0.0], [LN3, 0.0]])
    t = _t([[0.0, 0.0], [0.0, 0.0]])  # teacher p 1/2 everywhere: every KD term is BCE(s, 1/2)
    y = _t([[1.0, 0.0], [0.0, 0.0]])
    mask = _t([[1.0, 1.0], [1.0, 1.0]])
    weight = _t([1.0, 3.0])
    labelled = torch.tensor([True, False])
    kd = (1 * _bce(0.0, 0.5) + 3 * _bce(LN3, 0.5)) / 4  # weighted over both rows
    hard = 2.0 * LN2  # row 0 alone: label 1 at logit 0 with pos_weight 2
    got = distill_loss(s, t, y, mask, weight, labelled, cfg, pos_weight=2.0)
    assert float(got) == pytest.approx(0.25 * kd + 0.75 * hard, rel=1e-6)
    y_other = y.clone()
    y_other[1, 0] = 1.0  # the unlabelled row's label is not used
    assert float(distill_loss(s, t, y_other, mask, weight, labelled, cfg, 2.0)) == pytest.approx(float(got))
    # no labelled row, or kd_weight 1: the KD term alone
    none = torch.tensor([False, False])
    assert float(distill_loss(s, t, y, mask, weight, none, cfg, 2.0)) == pytest.approx(kd, rel=1e-6)
    assert float(distill_loss(s, t, y, mask, weight, labelled, replace(cfg, kd_weight=1.0), 2.0)) == \
        pytest.approx(kd, rel=1e-6)


# ---------------------------------------------------------------- a separable fixture

UNSAFE = ["bomb", "explosive", "poison", "weapon"]
SAFE = ["cake", "poem", "garden", "music"]
FRAMES = ["tell me about the {}", "how do i get a {} today", "i need a {} for my friend",
          "write something on a {}", "where can i find a {}", "explain the {} to me"]
TRAIN_FRAMES, HELD_OUT_FRAMES = FRAMES[:4], FRAMES[4:]
WEAPONS = {"bomb", "explosive"}  # these carry a category; the other unsafe words' categories are unknown


def _records(frames: list[str], split: str) -> list[Record]:
    out = []
    for w in UNSAFE:
        cats = ["indiscriminate_weapons"] if w in WEAPONS else []
        out += [Record(f.format(w), "prompt", "unsafe", "synthetic_unsafe", "permissive", cats, split=split)
                for f in frames]
    out += [Record(f.format(w), "prompt", "safe", "synthetic_safe", "permissive", split=split)
            for w in SAFE for f in frames]
    return out


TRAIN, HELD_OUT = _records(TRAIN_FRAMES, "train"), _records(HELD_OUT_FRAMES, "validation")


def _held_out_metrics(logits: np.ndarray, data) -> dict[str, float]:
    y = data.y[:, 0]
    p = 1.0 / (1.0 + np.exp(-logits[:, 0].astype(np.float64)))
    loss = guard_loss(torch.from_numpy(logits), torch.from_numpy(data.y), torch.from_numpy(data.mask),
                      torch.ones(len(y)), 1.0, 0.5)
    return {"loss": float(loss), "auprc": float(average_precision(y, p)), "accuracy": float(((p >= 0.5) == (y > 0)).mean())}


# ---------------------------------------------------------------- the teacher loop

@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT (random weights) and the real MiniLM tokenizer, laid out as the
    encoder folder train_teacher loads (model.safetensors + config.json + tokenizer.json)."""
    from transformers import BertConfig, BertModel

    path = tmp_path_factory.mktemp("tiny-encoder")
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg, add_pooling_layer=False).save_pretrained(path)
    shutil.copyfile(encoder_dir() / "tokenizer.json", path / "tokenizer.json")
    assert (path / "model.safetensors").is_file()
    return path


def test_teacher_training_lowers_the_loss_and_separates_held_out_texts(tiny_encoder: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
    base = TeacherConfig(max_length=32, batch_size=8, epochs=100, warmup_fraction=0.0, dropout=0.0, seed=3,
                         threads=1, category_pos_weight_cap=10.0)
    # the same code path with learning rates 0 saves the initial weights: "before"
    start = train_teacher(TRAIN, tmp_path / "before", replace(base, max_steps=1, lr=0.0, head_lr=0.0,
                                                              weight_decay=0.0), progress=False)
    info = train_teacher(TRAIN, tmp_path / "after", replace(base, max_steps=40, lr=3e-3, head_lr=3e-2),
                         progress=False)
    assert start["steps"] == 1 and info["steps"] == 40 and info["train_records"] == len(TRAIN)

    def measure(folder: Path, records: list[Record]) -> tuple[dict[str, float], np.ndarray]:
        model, encoder = load_teacher(folder)
        data = encode_records(records, encoder, 1.0)
        logits = predict_logits(model, data, encoder.pad_id)
        return _held_out_metrics(logits, data), logits

    train_before, _ = measure(tmp_path / "before", TRAIN)
    train_after, _ = measure(tmp_path / "after", TRAIN)
    before, _ = measure(tmp_path / "before", HELD_OUT)
    after, logits = measure(tmp_path / "after", HELD_OUT)
    # measured (torch 2.13, 2 cores): train loss 0.73 -> 0.01; held-out loss 0.73 -> 0.04,
    # AUPRC 0.69 -> 1.0, accuracy 0.5 -> 1.0
    assert train_after["loss"] < 0.3 * train_before["loss"], (train_before, train_after)
    assert after["loss"] < 0.3 * before["loss"], (before, after)
    assert before["accuracy"] <= 0.75 and after["accuracy"] >= 0.95, (before, after)
    assert after["auprc"] >= 0.95 and after["auprc"] > before["auprc"], (before, after)
    # the category head learned where categories were known: weapons words score the category
    col = 1 + CATEGORIES.index("indiscriminate_weapons")
    weapons = np.array([any(w in r.text for w in WEAPONS) for r in HELD_OUT])
    safe = np.array([r.label == "safe" for r in HELD_OUT])
    assert logits[weapons, col].min() > logits[safe, col].max()


# ---------------------------------------------------------------- the student loop

def test_student_training_follows_the_teacher_on_held_out_texts() -> None:
    from tinyguard.distill.students import NanoStudent

    encoder = TextEncoder.from_file(str(encoder_dir() / "tokenizer.json"), EncodingConfig(max_length=32))
    train, held = encode_records(TRAIN, encoder, 1.0), encode_records(HELD_OUT, encoder, 1.0)

    def teacher(data) -> np.ndarray:  # a confident teacher: +3 for unsafe texts, -3 otherwise
        t = np.full(data.y.shape, -3.0, np.float32)
        t[:, 0] = np.where(data.y[:, 0] > 0, 3.0, -3.0)
        return t

    cfg = TrainConfig(batch_size=8, max_steps=60, epochs=100, lr=0.1, warmup_fraction=0.0, weight_decay=0.0,
                      threads=1, temperature=2.0, kd_weight=0.8, seed=5)
    torch.manual_seed(0)
    model = NanoStudent(encoder.tokenizer.get_vocab_size(), 16)
    before_logits = predict_logits(copy.deepcopy(model), held, encoder.pad_id)
    labelled = np.arange(len(TRAIN)) % 2 == 0  # half the rows teach through hard labels too
    info = train_student(model, train, teacher(train), labelled, cfg, encoder.pad_id, progress=False)
    after_logits = predict_logits(model, held, encoder.pad_id)

    def kd(logits: np.ndarray) -> float:
        n = len(logits)
        return float(distill_loss(torch.from_numpy(logits), torch.from_numpy(teacher(held)), torch.from_numpy(held.y),
                                  torch.from_numpy(held.mask), torch.ones(n), torch.zeros(n, dtype=torch.bool),
                                  cfg, 1.0))

    before, after = agreement(before_logits, teacher(held)), agreement(after_logits, teacher(held))
    # measured: held-out KD loss 4.14 -> 2.93 (its floor, the teacher's own entropy, is 2.84);
    # agreement 0.5 -> 1.0; mean |Δscore| 0.45 -> 0.05; AUPRC 0.66 -> 1.0
    assert info["steps"] == 60 and info["final_loss"] < info["first_loss"]
    assert kd(after_logits) < kd(before_logits) - 0.5
    assert before["label_agreement@0.5"] <= 0.75 and after["label_agreement@0.5"] >= 0.95, (before, after)
    assert after["mean_abs_score_diff"] < 0.5 * before["mean_abs_score_diff"], (before, after)
    assert _held_out_metrics(after_logits, held)["auprc"] >= 0.95


def test_frozen_lower_layers_keep_their_weights_and_the_rest_still_learns(tiny_encoder: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from safetensors.torch import load_file

    monkeypatch.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
    cfg = TeacherConfig(max_length=32, batch_size=8, epochs=100, warmup_fraction=0.0, dropout=0.0, seed=3,
                        threads=1, max_steps=10, lr=3e-3, head_lr=3e-2, freeze_layers=1)
    train_teacher(TRAIN, tmp_path / "t", cfg, progress=False)
    before = load_file(str(tiny_encoder / "model.safetensors"))
    after = {k.removeprefix("encoder."): v for k, v in load_file(str(tmp_path / "t" / "model.safetensors")).items()}
    frozen = [k for k in before if k.startswith(("embeddings.", "encoder.layer.0."))]
    tuned = [k for k in before if k.startswith("encoder.layer.1.")]
    assert frozen and tuned
    assert all(torch.equal(before[k], after[k]) for k in frozen)
    assert any(not torch.equal(before[k], after[k]) for k in tuned)
    with pytest.raises(ValueError, match="freeze_layers=3, but the encoder has 2 layers"):
        train_teacher(TRAIN, tmp_path / "bad", replace(cfg, freeze_layers=3), progress=False)


def test_frozen_head_teacher_separates_held_out_texts(tiny_encoder: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tinyguard.train.frozen_head import build_frozen_teacher

    monkeypatch.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
    cfg = TeacherConfig(max_length=32, seed=3, threads=1)
    info = build_frozen_teacher(TRAIN, cfg, tmp_path / "frozen", sample=0, threads=1)
    assert info["train_records"] == len(TRAIN) and info["category_positives"]["indiscriminate_weapons"] == 8
    model, encoder = load_teacher(tmp_path / "frozen")  # the teacher folder format: export and distill read it
    data = encode_records(HELD_OUT, encoder, 1.0)
    m = _held_out_metrics(predict_logits(model, data, encoder.pad_id), data)
    assert m["auprc"] >= 0.9, m  # random frozen features, linear head: the keywords still separate



def test_frozen_head_teacher_only_writes_an_ensemble_member_and_no_bundle(tiny_encoder: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tinyguard.distill.stages import member_weights
    from tinyguard.records import write_jsonl
    from tinyguard.train.frozen_head import main

    monkeypatch.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
    (tmp_path / "run" / "data").mkdir(parents=True)
    write_jsonl(TRAIN + HELD_OUT, tmp_path / "run" / "data" / "records.jsonl")
    main(["--config", "tiny", "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "member"),
          "--sample", "0", "--teacher-only"])
    assert member_weights(tmp_path / "member") == tmp_path / "member" / "teacher" / "model.safetensors"
    assert not (tmp_path / "member" / "bundle").exists() and not (tmp_path / "member" / "export").exists()


# ---------------------------------------------------------------- hidden-state matching

def test_hidden_loss_by_hand() -> None:
    from tinyguard.distill.train import hidden_loss

    ps = _t([[1.0, 0.0], [0.0, 0.0]])
    pt = _t([[0.0, 0.0], [0.0, 2.0]])
    # per row: mean over dims of the squared difference / scale -> [0.5, 2.0] / 0.5 = [1, 4]; weights 3 and 1
    got = hidden_loss(ps, pt, _t([3.0, 1.0]), scale=0.5)
    assert float(got) == pytest.approx((3 * 1.0 + 1 * 4.0) / 4, rel=1e-6)
    assert float(hidden_loss(pt, pt, _t([1.0, 1.0]), 0.5)) == 0.0


def test_micro_student_matching_hidden_states_moves_its_vectors_to_the_teachers(tiny_encoder: Path) -> None:
    """A one-layer micro student of a two-layer teacher: with ``hidden_weight`` its pooled vectors
    come closer to the teacher's than the logits-only recipe brings them, from the same start."""
    from tinyguard.distill.students import build_micro
    from tinyguard.distill.train import predict_logits_pooled
    from tinyguard.train.teacher import GuardModel

    torch.manual_seed(1)
    teacher = GuardModel.from_encoder(tiny_encoder, dropout=0.0).eval()
    encoder = TextEncoder.from_file(str(tiny_encoder / "tokenizer.json"), EncodingConfig(max_length=32))
    train, held = encode_records(TRAIN, encoder, 1.0), encode_records(HELD_OUT, encoder, 1.0)
    t_logits, t_pooled = predict_logits_pooled(teacher, train, encoder.pad_id)
    _, t_held = predict_logits_pooled(teacher, held, encoder.pad_id)
    assert t_pooled.shape == (len(TRAIN), 32) and np.allclose(t_logits, predict_logits(teacher, train, encoder.pad_id),
                                                              atol=1e-5)
    keep = np.arange(encoder.tokenizer.get_vocab_size())
    cfg = TrainConfig(batch_size=8, max_steps=40, epochs=100, lr=3e-3, warmup_fraction=0.0, weight_decay=0.0,
                      threads=1, temperature=2.0, kd_weight=1.0, seed=5)
    labelled = np.zeros(len(TRAIN), bool)

    def held_mse(hidden_weight: float) -> float:
        student = build_micro(teacher, keep, (0,), 32)
        student.dropout.p = 0.0
        train_student(student, train, t_logits, labelled, replace(cfg, hidden_weight=hidden_weight),
                      encoder.pad_id, progress=False, teacher_pooled=t_pooled)
        _, s_held = predict_logits_pooled(student, held, encoder.pad_id)
        return float(((s_held - t_held) ** 2).mean())

    logits_only, matched = held_mse(0.0), held_mse(1.0)
    assert matched < 0.7 * logits_only, (matched, logits_only)
    student = build_micro(teacher, keep, (0,), 32)
    with pytest.raises(ValueError, match="pooled vectors"):
        train_student(student, train, t_logits, labelled, replace(cfg, hidden_weight=1.0), encoder.pad_id,
                      progress=False)


def test_hidden_weight_is_for_micro_students_only(tmp_path: Path) -> None:
    from tinyguard.distill.config import load_distill_config

    path = tmp_path / "d.toml"
    path.write_text('name = "x"\n[students.n]\nkind = "nano"\nhidden_weight = 1.0\n', encoding="utf-8")
    with pytest.raises(ValueError, match="only a micro student"):
        load_distill_config(str(path))
    path.write_text('name = "x"\n[students.m]\nkind = "micro"\nhidden_weight = -1.0\n', encoding="utf-8")
    with pytest.raises(ValueError, match="hidden_weight must be >= 0"):
        load_distill_config(str(path))
    path.write_text('name = "x"\n[students.m]\nkind = "micro"\nhidden_weight = 0.5\n', encoding="utf-8")
    assert load_distill_config(str(path)).student("m").train.hidden_weight == 0.5


def test_teacher_with_group_dro_trains_and_reports_its_groups(tiny_encoder: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
    cfg = TeacherConfig(max_length=32, batch_size=8, epochs=100, warmup_fraction=0.0, dropout=0.0, seed=3,
                        threads=1, max_steps=40, lr=3e-3, head_lr=3e-2, group_dro_eta=2.0)
    info = train_teacher(TRAIN, tmp_path / "t", cfg, progress=False)
    groups = info["group_dro"]
    assert info["steps"] == 40 and set(groups) == {f"{r.source.split('/')[0]}/{r.label}" for r in TRAIN}
    weights = [g["weight"] for g in groups.values()]
    assert weights == sorted(weights, reverse=True) and np.mean(weights) == pytest.approx(1.0, abs=0.01)
    model, encoder = load_teacher(tmp_path / "t")
    logits = predict_logits(model, encode_records(HELD_OUT, encoder, 1.0), encoder.pad_id)
    assert _held_out_metrics(logits, encode_records(HELD_OUT, encoder, 1.0))["auprc"] >= 0.9
    assert "group_dro_eta" not in replace(cfg, group_dro_eta=0.0).stage_key()  # older runs keep their keys


def test_teacher_with_a_source_adversary_still_learns_and_reports_what_sources_give_away(
        tiny_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
    # two sources within each label: half of each label's records come from a "formal" source
    train = [replace(r, source=f"{r.source}_formal" if i % 2 else r.source) for i, r in enumerate(TRAIN)]
    cfg = TeacherConfig(max_length=32, batch_size=8, epochs=100, warmup_fraction=0.0, dropout=0.0, seed=3,
                        threads=1, max_steps=40, lr=3e-3, head_lr=3e-2, source_adversary_weight=0.5)
    info = train_teacher(train, tmp_path / "t", cfg, progress=False)
    adv = info["source_adversary"]
    assert info["steps"] == 40 and adv["sources"] == 4
    assert adv["majority_given_label"] == pytest.approx(0.5) and 0.0 <= adv["final_accuracy"] <= 1.0
    model, encoder = load_teacher(tmp_path / "t")  # the adversary is training-only: not saved
    assert not any(k.startswith("adversary") for k in model.state_dict())
    logits = predict_logits(model, encode_records(HELD_OUT, encoder, 1.0), encoder.pad_id)
    assert _held_out_metrics(logits, encode_records(HELD_OUT, encoder, 1.0))["auprc"] >= 0.9
    assert "source_adversary_weight" not in replace(cfg, source_adversary_weight=0.0).stage_key()
    with pytest.raises(ValueError, match="source_adversary_weight must be >= 0"):
        train_teacher(train, tmp_path / "u", replace(cfg, source_adversary_weight=-1.0), progress=False)


def test_teacher_with_consistency_pulls_each_pairs_scores_together(tiny_encoder: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYGUARD_ENCODER_DIR", str(tiny_encoder))
    # each seed restated with a register marker that carries no label ("yo ... lol")
    restyled = [replace(r, text=f"yo {r.text} lol", source="synthetic-restyle/casual") for r in TRAIN]
    pairs = list(zip(TRAIN, restyled))
    cfg = TeacherConfig(max_length=32, batch_size=8, epochs=100, warmup_fraction=0.0, dropout=0.0, seed=3,
                        threads=1, max_steps=40, lr=3e-3, head_lr=3e-2)

    def pair_gap(folder: str, c: TeacherConfig) -> tuple[float, dict]:
        info = train_teacher(TRAIN + restyled, tmp_path / folder, c, progress=False, pairs=pairs)
        model, encoder = load_teacher(tmp_path / folder)
        a = predict_logits(model, encode_records(HELD_OUT, encoder, 1.0), encoder.pad_id)[:, 0]
        b = predict_logits(model, encode_records([replace(r, text=f"yo {r.text} lol") for r in HELD_OUT], encoder, 1.0),
                           encoder.pad_id)[:, 0]
        gap = float(np.mean(np.abs(1 / (1 + np.exp(-a)) - 1 / (1 + np.exp(-b)))))
        return gap, info

    plain, _ = pair_gap("plain", cfg)
    held, info = pair_gap("consistent", replace(cfg, consistency_weight=5.0, consistency_pairs=8))
    assert info["consistency_pairs"] == len(pairs) and info["steps"] == 40
    assert held < 0.9 * plain  # held-out texts in the two phrasings score closer (measured 0.047 vs 0.061)
    assert "consistency_weight" not in cfg.stage_key()
    with pytest.raises(ValueError, match="needs counterfactual pairs"):
        train_teacher(TRAIN, tmp_path / "none", replace(cfg, consistency_weight=1.0), progress=False)
