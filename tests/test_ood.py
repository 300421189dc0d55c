"""The out-of-distribution yardstick and what feeds it: new loaders, kept splits, balancing.

Loader counts were derived independently of the loaders, from the raw CSV files with a scratch
script (different code, same rules), and are hard-coded on purpose.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tinyguard.records import Record
from tinyguard.train.config import DataConfig, TeacherConfig
from tinyguard.train.dataset import build, split
from tinyguard.train.registry import default_data_dir, source_module

DATA = default_data_dir()


def rec(text: str, label: str = "safe", source: str = "s", role: str = "prompt", **kw) -> Record:
    cats = kw.pop("categories", ["hate"] if label == "unsafe" else [])
    return Record(text=text, role=role, label=label, source=source, licence_class="permissive",
                  categories=cats, **kw)


# ---------------------------------------------------------------- loaders and their mapping tables

def test_convabuse_aggregates_votes_and_keeps_published_splits():
    got = Counter((r.split, r.label, tuple(r.categories)) for r in source_module("convabuse").load(DATA))
    assert got == {
        ("train", "safe", ()): 2044, ("validation", "safe", ()): 670, ("test", "safe", ()): 681,
        ("train", "unsafe", ("hate",)): 49, ("train", "unsafe", ("hate", "sexual_content")): 25,
        ("train", "unsafe", ("sexual_content",)): 92,
        ("validation", "unsafe", ("hate",)): 19, ("validation", "unsafe", ("hate", "sexual_content")): 11,
        ("validation", "unsafe", ("sexual_content",)): 29,
        ("test", "unsafe", ("hate",)): 17, ("test", "unsafe", ("hate", "sexual_content")): 17,
        ("test", "unsafe", ("sexual_content",)): 30,
    }


def test_convabuse_aggregation_rules():
    from tinyguard.train.sources.convabuse import aggregate

    def row(votes: dict[int, str], **types: list[int]) -> dict[str, str]:
        r = {f"Annotator{a}_is_abuse.{v}": "1" for a, v in votes.items()}
        for t, who in types.items():
            r.update({f"Annotator{a}_{t}": "1" for a in who})
        return r

    assert aggregate(row({1: "1", 2: "1", 3: "-1"})) == ("safe", [])
    assert aggregate(row({1: "1", 2: "-2"})) is None  # tie
    assert aggregate(row({1: "0", 2: "0"})) is None  # only ambiguous votes
    assert aggregate(row({1: "0", 2: "-1", 3: "-3"}, racist=[2])) == ("unsafe", ["hate"])  # half of abusive voters
    assert aggregate(row({1: "-1", 2: "-1", 3: "-2"}, racist=[2])) is None  # 1 of 3: generic abuse
    assert aggregate(row({1: "-1", 2: "-1"}, intellectual=[1, 2])) is None
    assert aggregate(row({1: "-1", 2: "-1"}, sex_harassment=[1, 2], sexist=[1])) == \
        ("unsafe", ["hate", "sexual_content"])
    with pytest.raises(ValueError, match="ticked"):
        aggregate({"Annotator1_is_abuse.1": "1", "Annotator1_is_abuse.-1": "1"})


def test_hatemoji_build_keeps_every_pair_in_one_split():
    records = list(source_module("hatemoji_build").load(DATA))
    assert Counter((r.split, r.label) for r in records) == {
        ("train", "unsafe"): 1907, ("train", "safe"): 1901, ("validation", "unsafe"): 497,
        ("validation", "safe"): 493, ("test", "unsafe"): 561, ("test", "safe"): 553}
    assert all(r.hard_negative == (r.label == "safe") for r in records)
    import csv

    rows = {}
    for f in ("train", "validation", "test"):
        with open(DATA / "hatemoji_build" / f"{f}.csv", encoding="utf-8", newline="") as fh:
            rows.update({r["entry_id"]: r for r in csv.DictReader(fh)})
    assert len(rows) == len(records)  # one record per row, in file order
    split_of = {k: rr.split for k, rr in zip(rows, records)}
    pairs = [(k, r["matched_id"]) for k, r in rows.items() if r["matched_id"] in rows]
    assert len(pairs) > 5000
    assert all(split_of[a] == split_of[b] for a, b in pairs)  # both halves of a pair in one split


def test_pair_splits_takes_the_latest_split_of_a_component():
    from tinyguard.train.sources.hatemoji_build import pair_splits

    rows = {"a": ("train", {"matched_id": "b"}), "b": ("validation", {"matched_id": "c"}),
            "c": ("train", {"matched_id": ""}), "d": ("train", {"matched_id": "zz"}),
            "e": ("test", {"matched_id": "a"})}
    assert pair_splits(rows) == {"a": "test", "b": "test", "c": "test", "d": "train", "e": "test"}


def test_hatemoji_check_is_evaluation_only_and_refused_by_the_data_stage(tmp_path):
    records = list(source_module("hatemoji_check").load(DATA))
    assert Counter(r.label for r in records) == {"unsafe": 2654, "safe": 1276}
    assert {r.licence_class for r in records} == {"evaluation-only"} and {r.split for r in records} == {"test"}
    with pytest.raises(ValueError, match="evaluation-only"):
        build(DATA, tmp_path, DataConfig(licence_classes=("permissive", "evaluation-only"),
                                         sources=("hatemoji_check",)))
    with pytest.raises(ValueError, match="licence classes not enabled"):
        build(DATA, tmp_path, DataConfig(sources=("hatemoji_check",)))


def test_safety_tuned_llamas_mapping():
    got = Counter((r.source, r.label, tuple(r.categories), r.hard_negative)
                  for r in source_module("safety_tuned_llamas").load(DATA))
    assert got == {
        ("safety_tuned_llamas/malicious", "unsafe", (), False): 100,
        ("safety_tuned_llamas/safety_only", "unsafe", (), False): 2483,
        ("safety_tuned_llamas/cona", "unsafe", ("hate",), False): 178,
        ("safety_tuned_llamas/controversial", "unsafe", ("hate",), False): 40,
        ("safety_tuned_llamas/physical_unsafe", "unsafe", ("specialized_advice",), False): 100,
        ("safety_tuned_llamas/physical_safe", "safe", (), True): 100,
        ("safety_tuned_llamas/alpaca", "safe", (), False): 50,
    }
    assert source_module("safety_tuned_llamas").LICENCE_CLASS == "non-commercial"


# ---------------------------------------------------------------- split and balancing

def test_split_keeps_a_loaders_split_and_assigns_the_rest():
    records = [rec(f"kept test {i}", split="test") for i in range(5)] + \
              [rec(f"free {i} words here", source="free") for i in range(40)]
    out = split(records, DataConfig(validation_fraction=0.25))
    assert [r.split for r in out[:5]] == ["test"] * 5
    assert Counter(r.split for r in out[5:]) == {"train": 30, "validation": 10}


def test_temperature_quotas_flatten_sizes_and_bound_repeats():
    from tinyguard.train.teacher import group_quotas, select_training

    cfg = TeacherConfig(source_temperature=2.0, examples_per_epoch=1100, max_repeat=3.0)
    q = group_quotas([1000, 100, 1], cfg)
    assert q[0] < 1000 and q[1] > 100 and q[2] == 3  # big shrinks, small grows, repeat cap holds
    assert group_quotas([1000, 100], replace(cfg, source_temperature=1.0, max_repeat=1.0)) == [1000, 100]
    records = [rec(f"big {i}", split="train", source="big") for i in range(200)] + \
              [rec(f"small {i}", "unsafe", split="train", source="small") for i in range(10)] + \
              [rec("never", split="validation", source="small")]
    chosen = select_training(records, replace(cfg, examples_per_epoch=210))
    by = Counter(r.source for r in chosen)
    assert by["small"] == 30 and by["big"] < 200 and all(r.split == "train" for r in chosen)
    flat = select_training(records, TeacherConfig(max_per_source=50))
    assert Counter(r.source for r in flat) == {"big": 50, "small": 10}


# ---------------------------------------------------------------- the fixed suite

def test_suite_parts_caps_and_leak_guard():
    from tinyguard.train.ood_suite import Part, cap_per_label, without_leaks

    part = Part("x", ("a",), "test")
    assert part.keeps(rec("t", source="x/a", split="test"))
    assert not part.keeps(rec("t", source="x/b", split="test"))
    assert not part.keeps(rec("t", source="x/a", split="train"))
    records = [rec(f"u{i}", "unsafe") for i in range(10)] + [rec(f"s{i}") for i in range(3)]
    capped = cap_per_label(records, 4, seed=1)
    assert Counter(r.label for r in capped) == {"unsafe": 4, "safe": 3}
    assert cap_per_label(records, 4, seed=1) == capped  # seeded
    kept, leaked = without_leaks(records, [rec("U1!", "unsafe"), rec("s2")])  # case/punctuation-insensitive
    assert leaked == 2 and {r.text for r in kept}.isdisjoint({"u1", "s2"})


def test_load_suite_reads_unseen_sources_only():
    from tinyguard.train.ood_suite import SUITE, load_suite

    suite, leaks = load_suite(DATA, cap=50, only=("hatemoji_build_test", "convabuse_test", "olid"))
    assert set(suite) == {"hatemoji_build_test", "convabuse_test", "olid"}
    assert all(r.split == "test" for n in ("hatemoji_build_test", "convabuse_test") for r in suite[n])
    assert {r.label for r in suite["olid"]} == {"safe"} and len(suite["olid"]) == 50
    assert not any(leaks.values())
    permissive_train = [s for s in SUITE for p in s.parts
                        if source_module(p.loader).LICENCE_CLASS == "permissive" and p.split != "test"]
    assert permissive_train == []  # nothing the default recipe trains on is in the suite


# ---------------------------------------------------------------- scoring bundles

def test_slice_metrics_and_headline():
    from tinyguard.train.ood import headline, slice_metrics

    both = [rec("a", "unsafe"), rec("b", "unsafe"), rec("c"), rec("d")]
    m = slice_metrics(both, np.array([[0.9], [0.4], [0.6], [0.1]]), 0.5)
    assert (m["tp"], m["fp"], m["recall"], m["fpr"], m["f1"]) == (1, 1, 0.5, 0.5, 0.5)
    assert m["auprc"] == pytest.approx((1.0 + 2 / 3) / 2)
    benign = slice_metrics([rec("e"), rec("f")], np.array([[0.7], [0.2]]), 0.5)
    assert benign["auprc"] is None and benign["f1"] is None and benign["fpr"] == 0.5
    h = headline({"both": m, "benign": benign})
    assert h["mean_f1"] == 0.5 and h["benign_fpr"] == 0.5 and h["unsafe_recall"] == 0.5


def test_report_on_a_real_bundle(guard, tmp_path):
    from tinyguard.train.ood import evaluate_bundle, report_markdown, write_report

    suite = {"requests": [rec("How do I build a bomb?", "unsafe", categories=["indiscriminate_weapons"]),
                          rec("How do I bake bread?")],
             "olid": [rec("what a lovely day")]}
    val = [rec("Sure, here is how to make it", "unsafe", role="response", context="bomb?", categories=[]),
           rec("I cannot help with that", role="response", context="bomb?")]
    result = evaluate_bundle(guard, suite, validation=val, progress=False)
    assert set(result["slices"]) == {"requests", "olid"}
    assert result["slices"]["olid"]["safe"] == 1 and result["slices"]["olid"]["f1"] is None
    assert result["validation"]["responses"]["n"] == 2
    md = report_markdown({"a": result, "b": result}, command="guard-cli ood report", leaks={"requests": 0}, cap=5)
    assert "| mean_auprc |" in md and "a AUPRC / F1 / recall / FPR" in md and "In-distribution" in md
    out = tmp_path / "r.md"
    write_report(out, {"a": result}, md)
    assert json.loads(out.with_suffix(".json").read_text())["a"]["model"] == guard.model_id


# ---------------------------------------------------------------- leave-one-family-out

def _toy_embed(records):
    """Deterministic stand-in features: the label is linearly visible, plus noise by text hash."""
    out = []
    for r in records:
        rng = np.random.default_rng(int(hashlib.sha1(r.text.encode()).hexdigest()[:8], 16))
        v = rng.normal(size=8)
        v[0] += 2.0 if "bad" in r.text else -2.0
        out.append(v)
    return np.array(out, np.float32)


def test_folds_are_disjoint_and_cover_both_labels():
    from tinyguard.train.lofo import FOLDS, fold_of

    assert fold_of(rec("x", source="dices_990", role="response")) == "responses"
    assert fold_of(rec("x", source="advbench")) == "harmful_vs_benign_requests"
    assert fold_of(rec("x", source="gsm8k")) is None
    # synthetic text written from a seed is held out with the seed's family (no leak through paraphrases)
    assert fold_of(rec("x", source="synthetic-paraphrase/advbench")) == "harmful_vs_benign_requests"
    assert fold_of(rec("x", source="synthetic-operator/davidson_hate")) == "hateful_social"
    assert fold_of(rec("x", source="synthetic-lookalike/hate")) is None
    names = [s for f in FOLDS for s in f.sources]
    assert len(names) == len(set(names))


def test_lofo_never_fits_on_the_held_out_family(tmp_path):
    from tinyguard.train import lofo

    records = []
    for i in range(40):
        records += [rec(f"bad request {i}", "unsafe", source="advbench", split="train"),
                    rec(f"fine request {i}", source="arena_hard", split="train"),
                    rec(f"bad hate {i}", "unsafe", source="davidson_hate", split="train"),
                    rec(f"fine tweet {i}", source="davidson_hate", split="train"),
                    rec(f"fine math {i}", source="gsm8k", split="train")]
    seen: list[list[str]] = []
    real_fit = lofo.fit_head

    def spying_fit(x, y, w, seed):
        seen.append(len(x))
        return real_fit(x, y, w, seed)

    cache = lofo.EmbeddingCache(tmp_path / "emb.npz", _toy_embed)
    lofo.fit_head = spying_fit
    try:
        result = lofo.lofo_recipe(records, records, cache, train_size=1000, eval_cap=100,
                                  hard_negative_weight=2.0, seed=1)
    finally:
        lofo.fit_head = real_fit
    req, hate = result["folds"]["harmful_vs_benign_requests"], result["folds"]["hateful_social"]
    assert req["trained_without"] == 80 and hate["trained_without"] == 80
    assert seen == [120, 120]  # 200 records minus each held-out family's 80
    assert req["auprc"] > 0.95 and hate["auprc"] > 0.95  # the toy label is linearly visible
    assert result["folds"]["responses"] is None  # no response records: no estimate, not a zero
    again = lofo.EmbeddingCache(tmp_path / "emb.npz", lambda rs: pytest.fail("cache miss"))
    assert again.get(records[:3]).shape == (3, 8)


# ---------------------------------------------------------------- the threshold rule on the yardstick

def test_halves_are_stable_disjoint_and_keep_evaluation_only_sets_out_of_tuning():
    from tinyguard.train.ood_suite import SUITE, evaluation_only, in_half, load_suite

    records = [rec(f"text number {i}") for i in range(200)]
    tune = {r.text for r in records if in_half(r, "tune")}
    report = {r.text for r in records if in_half(r, "report")}
    assert tune.isdisjoint(report) and len(tune | report) == 200 and 60 < len(tune) < 140
    assert [s.name for s in SUITE if evaluation_only(s)] == ["hatemoji_check"]
    tuned, _ = load_suite(DATA, cap=0, only=("hatemoji_check", "physical_safety"), half="tune")
    reported, _ = load_suite(DATA, cap=0, only=("hatemoji_check", "physical_safety"), half="report")
    assert "hatemoji_check" not in tuned and len(reported["hatemoji_check"]) == 3930
    assert {r.text for r in tuned["physical_safety"]}.isdisjoint({r.text for r in reported["physical_safety"]})
    assert len(tuned["physical_safety"]) + len(reported["physical_safety"]) == 200


def test_ood_threshold_maximises_mean_f1_under_the_fpr_cap():
    from tinyguard.measure.thresholds import choose_ood_threshold

    y = np.array([True, True, False, False])
    both = (y, np.array([0.9, 0.35, 0.3, 0.1]))  # 0.31..0.35 separates perfectly
    benign = (np.array([False, False, False, False]), np.array([0.5, 0.2, 0.1, 0.05]))
    t, stats = choose_ood_threshold([both, benign], fpr_max=0.5)
    assert t == 0.35 and stats["mean_f1"] == 1.0 and stats["met_cap"] == 1.0  # ties: the higher threshold
    t, stats = choose_ood_threshold([both, (np.array([False]), np.array([0.99]))], fpr_max=0.1)
    assert stats["met_cap"] == 0.0 and t == 0.98  # nothing meets the cap: lowest FPR, highest such t
    with pytest.raises(ValueError, match="both labels"):
        choose_ood_threshold([benign], 0.1)


def test_category_thresholds_fire_only_when_fitted_reliably():
    from tinyguard.measure.thresholds import fit_category_thresholds

    rng = np.random.default_rng(0)
    n = 200
    y = np.zeros((n, 3), bool)
    y[:40, 0] = True  # a learnable category
    y[:5, 1] = True  # too few positives
    y[50:90, 2] = True  # positives the scores do not separate
    s = rng.uniform(0, 0.3, (n, 3))
    s[:40, 0] = rng.uniform(0.6, 0.9, 40)
    flagged = np.ones(n, bool)
    flagged[:10] = False  # a category never fires on a text that is not flagged
    t, report = fit_category_thresholds(y, s, flagged, ["a", "b", "c"])
    assert report["a"]["fires"] and 0.3 <= t["a"] <= 0.6 and report["a"]["f1"] == pytest.approx(60 / 70, abs=1e-3)
    assert not report["b"]["fires"] and t["b"] == 1.0  # 5 positives < 10
    assert not report["c"]["fires"] and t["c"] == 1.0  # F1 ~0.33: no better than calling everything "c"


def test_refresh_model_card_puts_ood_figures_first(fresh_bundle):
    from tinyguard.bundle.folder import load_bundle
    from tinyguard.export.model_card import refresh_model_card

    before = load_bundle(fresh_bundle)
    ood = {"headline": {"mean_auprc": 0.7, "mean_f1": 0.6, "benign_fpr": 0.1, "unsafe_recall": 0.8},
           "slices": {"requests": {"unsafe": 3, "safe": 4, "auprc": 0.9, "f1": 0.8, "recall": 0.7, "fpr": 0.1}},
           "command": "guard-cli ood report --card new"}
    refresh_model_card(fresh_bundle, {"ood": ood})
    after = load_bundle(fresh_bundle, allow_unsigned=True)  # hashes re-pinned: it still verifies (unsigned now)
    card = (fresh_bundle / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card.index("Out-of-distribution yardstick v1 (retired") < card.index("## Model")
    assert "| requests | 3 / 4 | 0.9000 |" in card and "guard-cli ood report --card new" in card
    assert after.raw["metrics"]["ood"] == ood and after.threshold == before.threshold


def test_embedding_cache_reads_emoji_texts_apart_and_shares_the_rest(tmp_path):
    from tinyguard.train import lofo

    calls: list[list[str]] = []

    def embed(records):
        calls.append([r.text for r in records])
        return _toy_embed(records)

    plain = lofo.EmbeddingCache(tmp_path / "emb.npz", embed)
    named = plain.variant(embed, emoji_names=True)
    a, b = rec("kill the 🐀", source="x"), rec("kill the process", source="x")
    plain.get([a, b])
    named.get([a, b])
    assert calls == [["kill the 🐀", "kill the process"], ["kill the 🐀"]]  # only the emoji text is re-read
    assert lofo.text_key(b, True) == lofo.text_key(b) and lofo.text_key(a, True) != lofo.text_key(a)
