"""tinyguard.measure.metrics agrees with sklearn and stays defined on edge cases."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import (average_precision_score, confusion_matrix, f1_score, precision_score,
                             recall_score)
from test_cli import _eval_rows, run

from fixtures_bundle import sign_for_tests
from tinyguard import Guard
from tinyguard.measure.metrics import average_precision, binary_metrics, category_metrics, label_balanced_weights


def _sklearn(y: np.ndarray, s: np.ndarray, t: float) -> dict:
    pred = s >= t
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "precision": precision_score(y, pred, zero_division=0),
            "recall": recall_score(y, pred, zero_division=0),
            "f1": f1_score(y, pred, zero_division=0),
            "fpr": fp / (fp + tn), "auprc": average_precision_score(y, s)}


@pytest.mark.parametrize("seed", range(12))
def test_matches_sklearn_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1  # both classes present
    s = rng.random(n)
    if seed % 3 == 0:
        s = np.round(s, 1)  # many ties: average precision must group them like sklearn
    t = float(rng.choice([0.3, 0.5, 0.7]))
    got = binary_metrics(y, s, t)
    want = _sklearn(y, s, t)
    for key in ("tp", "fp", "tn", "fn"):
        assert got[key] == want[key], key
    for key in ("recall", "f1", "fpr", "auprc"):
        assert got[key] == pytest.approx(want[key], abs=1e-12), key
    if got["tp"] + got["fp"]:
        assert got["precision"] == pytest.approx(want["precision"], abs=1e-12)
    assert got["n"] == n and got["positives"] == int(y.sum()) and got["threshold"] == t


@pytest.mark.parametrize("scores", [[0.5, 0.5, 0.5, 0.5], [1.0, 0.0, 1.0, 0.0], [0.9, 0.8, 0.1, 0.2]])
def test_average_precision_on_ties_and_perfect_rankings(scores: list[float]) -> None:
    y = [1, 0, 1, 0]
    assert average_precision(y, scores) == pytest.approx(average_precision_score(y, scores), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_weighted_average_precision_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    s = np.round(rng.random(n), 1 + seed % 2)  # ties too
    w = rng.random(n) * 3
    assert average_precision(y, s, w) == pytest.approx(average_precision_score(y, s, sample_weight=w), abs=1e-12)
    balanced = label_balanced_weights(y)
    assert balanced[y == 1].sum() == pytest.approx(0.5) and balanced[y == 0].sum() == pytest.approx(0.5)


def test_label_balanced_average_precision_by_hand() -> None:
    y = [1, 0, 1, 0, 0, 0]
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    # unweighted: P = 1 at the first positive, 2/3 at the second -> (1 + 2/3) / 2
    assert average_precision(y, s) == pytest.approx((1 + 2 / 3) / 2)
    # each positive weighs 1/4, each negative 1/8: at the second positive TPR 1, FPR 1/4 -> P = 1 / 1.25
    assert list(label_balanced_weights(y)) == [0.25, 0.125, 0.25, 0.125, 0.125, 0.125]
    assert average_precision(y, s, label_balanced_weights(y)) == pytest.approx((1 + 0.8) / 2)


def test_label_balanced_average_precision_ignores_the_label_mix() -> None:
    rng = np.random.default_rng(7)
    pos, neg = rng.beta(3, 2, 20000), rng.beta(2, 3, 20000)
    y_bal = np.r_[np.ones(4000, int), np.zeros(4000, int)]
    balanced = np.r_[pos[:4000], neg[:4000]]
    y_skew = np.r_[np.ones(16000, int), np.zeros(4000, int)]  # 4:1, as a family of mostly unsafe slices
    skewed = np.r_[pos[4000:], neg[4000:8000]]
    raw_gap = average_precision(y_skew, skewed) - average_precision(y_bal, balanced)
    assert raw_gap > 0.1  # plain AP rewards the skew
    neutral = [average_precision(y, s, label_balanced_weights(y)) for y, s in ((y_bal, balanced), (y_skew, skewed))]
    assert neutral[0] == pytest.approx(neutral[1], abs=0.01)
    # exactly: repeating every positive of a set three times leaves the balanced figure unchanged
    y3 = np.r_[np.repeat(y_bal[y_bal == 1], 3), y_bal[y_bal == 0]]
    s3 = np.r_[np.repeat(balanced[y_bal == 1], 3), balanced[y_bal == 0]]
    assert average_precision(y3, s3, label_balanced_weights(y3)) == pytest.approx(neutral[0], abs=1e-12)
    assert average_precision(y3, s3) > average_precision(y_bal, balanced) + 0.1


def test_bad_weights_raise() -> None:
    with pytest.raises(ValueError, match="sample_weight"):
        average_precision([0, 1], [0.1, 0.2], [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        average_precision([0, 1], [0.1, 0.2], [1.0, -1.0])
    assert average_precision([0, 1], [0.1, 0.2], [1.0, 0.0]) is None  # positives weigh nothing


def test_no_positives_is_none_not_a_crash() -> None:
    m = binary_metrics([0, 0, 0], [0.1, 0.7, 0.2], 0.5)
    assert m["recall"] is None and m["auprc"] is None
    assert m["positives"] == 0 and m["fp"] == 1 and m["fpr"] == pytest.approx(1 / 3)
    assert m["precision"] == 0.0 and m["f1"] == 0.0


def test_nothing_predicted_positive() -> None:
    m = binary_metrics([1, 0, 1], [0.1, 0.2, 0.3], 0.5)
    assert m["precision"] is None  # undefined, not 0
    assert m["recall"] == 0.0 and m["f1"] == 0.0 and m["fpr"] == 0.0
    assert m["auprc"] == pytest.approx(average_precision_score([1, 0, 1], [0.1, 0.2, 0.3]))


def test_only_positives_and_empty_input() -> None:
    m = binary_metrics([True, True], [0.9, 0.1], 0.5)
    assert m["fpr"] is None and m["recall"] == 0.5 and m["precision"] == 1.0 and m["auprc"] == 1.0
    empty = binary_metrics([], [], 0.5)
    assert empty["n"] == 0 and all(empty[k] is None for k in ("precision", "recall", "f1", "fpr", "auprc"))


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="0/1"):
        binary_metrics([0, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="items"):
        binary_metrics([0, 1], [0.1], 0.5)
    with pytest.raises(ValueError, match="finite"):
        binary_metrics([0, 1], [0.1, float("nan")], 0.5)


def test_category_metrics_skips_columns_without_positives() -> None:
    rng = np.random.default_rng(0)
    y = np.zeros((50, 3), dtype=int)
    y[:20, 0] = 1
    y[rng.choice(50, 5, replace=False), 2] = 1
    s = rng.random((50, 3))
    out = category_metrics(y, s, {"a": 0.5, "b": 0.5, "c": 0.2}, ["a", "b", "c"])
    assert list(out) == ["a", "c"]
    assert out["c"]["threshold"] == 0.2
    assert out["a"]["auprc"] == pytest.approx(average_precision_score(y[:, 0], s[:, 0]))
    assert out["c"] == binary_metrics(y[:, 2], s[:, 2], 0.2)
    assert category_metrics(y, s, 0.5, ["a", "b", "c"])["a"] == binary_metrics(y[:, 0], s[:, 0], 0.5)
    with pytest.raises(ValueError):
        category_metrics(y, s, [0.5, 0.5], ["a", "b", "c"])


def _records() -> list:
    from tinyguard.records import Record

    rows = [("unsafe", ["violent_crimes"], False), ("unsafe", [], False), ("unsafe", ["hate", "violent_crimes"], False),
            ("safe", [], True), ("safe", [], True), ("safe", [], False), ("unsafe", ["hate"], False)]
    return [Record(f"t{i}", "prompt", label, "s", "permissive", cats, hard_negative=hn)
            for i, (label, cats, hn) in enumerate(rows)]


def test_guard_metrics_rows_and_per_category_thresholds() -> None:
    """Category rows: known rows only (not the uncategorised unsafe one), each category at its own
    threshold, a name missing from the mapping at the binary threshold; hard negatives: safe ones."""
    from tinyguard.measure.metrics import guard_metrics, labels_of
    from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS

    records = _records()
    rng = np.random.default_rng(3)
    s = rng.random((len(records), N_OUTPUTS))
    vc, hate = 1 + CATEGORIES.index("violent_crimes"), 1 + CATEGORIES.index("hate")
    got = guard_metrics(labels_of(records), s, 0.5, {"violent_crimes": 0.2})  # hate: 0.5
    y = np.array([r.label == "unsafe" for r in records])
    assert got["validation"] == binary_metrics(y, s[:, 0], 0.5)
    assert got["hard_negatives"] == {"n": 2, "fp": int((s[[3, 4], 0] >= 0.5).sum()),
                                     "fpr": float((s[[3, 4], 0] >= 0.5).mean())}
    known = [0, 2, 3, 4, 5, 6]
    assert set(got["categories"]) == {"violent_crimes", "hate"}
    assert got["categories"]["violent_crimes"] == binary_metrics([1, 1, 0, 0, 0, 0], s[known, vc], 0.2)
    assert got["categories"]["hate"] == binary_metrics([0, 1, 0, 0, 0, 1], s[known, hate], 0.5)
    assert guard_metrics(labels_of(records), s, 0.5, 0.3)["categories"]["hate"]["threshold"] == 0.3
    with pytest.raises(ValueError, match="scores"):
        guard_metrics(labels_of(records), s[:, :3], 0.5, 0.5)


def test_eval_and_the_export_compute_the_same_figures(fresh_bundle, tmp_path) -> None:
    """`guard-cli eval` and the export's model-card metrics, on one file with category thresholds
    that differ: the same numbers (one function, thresholds applied the same way)."""
    import json

    from click.testing import CliRunner

    from tinyguard import Guard
    from tinyguard.bundle.folder import rewrite_manifest
    from tinyguard.cli.main import main
    from tinyguard.export.build import score_guard, validation_metrics
    from tinyguard.records import Record
    from tinyguard.taxonomy import CATEGORIES

    cat_t = {c: 0.5 for c in CATEGORIES} | {"indiscriminate_weapons": 0.9, "violent_crimes": 0.05}
    rewrite_manifest(fresh_bundle, {"category_thresholds": cat_t})
    sign_for_tests(fresh_bundle)
    records = [Record("cats " * k + "bomb", "prompt", "unsafe", "f", "unknown", ["indiscriminate_weapons"])
               for k in (0, 30, 80, 200)]
    records += [Record("kill them", "prompt", "unsafe", "f", "unknown", ["violent_crimes"]),
                Record("the bath bomb smells nice", "prompt", "safe", "f", "unknown", hard_negative=True)]
    records += [Record(f"a poem about dogs {i}", "prompt", "safe", "f", "unknown") for i in range(5)]
    path = tmp_path / "eval.jsonl"
    path.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(path), "--bundle", str(fresh_bundle), "--format", "json"])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    guard = Guard.load(fresh_bundle, threads=1)
    card = validation_metrics(records, score_guard(guard, records), guard.threshold,
                              guard.manifest.category_thresholds)
    assert {k: cli[k] for k in card["validation"]} == card["validation"]
    assert (cli["hard_negative_count"], cli["hard_negative_fpr"]) == (1, card["hard_negatives"]["fpr"])
    assert cli["categories"] == card["categories"]
    assert cli["categories"]["indiscriminate_weapons"]["threshold"] == 0.9
    assert cli["categories"]["violent_crimes"]["threshold"] == 0.05


# guard-cli eval end to end (here, beside the other sklearn cross-checks, so test_cli needs no sklearn)
def test_eval_json_matches_independent_metrics(bundle_dir: Path, tmp_path: Path, guard: Guard) -> None:
    rows = _eval_rows()
    path = tmp_path / "eval.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    r = run("eval", str(path), "--bundle", str(bundle_dir), "--json")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)

    verdicts = [guard.check(x["text"], x.get("role", "prompt"), context=x.get("context", "")) for x in rows]
    y = np.array([x["label"] in ("unsafe", 1, True) for x in rows], dtype=int)
    s = np.array([v.score for v in verdicts])
    pred = s >= 0.5
    assert got["n"] == len(rows) and got["positives"] == int(y.sum()) and got["threshold"] == 0.5
    assert got["precision"] == pytest.approx(precision_score(y, pred))
    assert got["recall"] == pytest.approx(recall_score(y, pred))
    assert got["f1"] == pytest.approx(f1_score(y, pred))
    assert got["auprc"] == pytest.approx(average_precision_score(y, s))
    assert got["fpr"] == pytest.approx(np.sum(pred & (y == 0)) / np.sum(y == 0))
    assert got["hard_negative_count"] == 3 and got["hard_negative_fpr"] == pytest.approx(1 / 3)

    # Category rows use safe rows plus unsafe rows that name categories.
    known = [i for i, x in enumerate(rows) if y[i] == 0 or x.get("categories")]
    weap_y = np.array([rows[i].get("categories", []) in (["indiscriminate_weapons"], ["S9"]) for i in known])
    weap_s = np.array([verdicts[i].category_scores["indiscriminate_weapons"] for i in known])
    cat = got["categories"]
    assert set(cat) == {"indiscriminate_weapons", "violent_crimes"}
    assert cat["indiscriminate_weapons"]["n"] == len(known) == 21
    assert cat["indiscriminate_weapons"]["positives"] == 7
    assert cat["indiscriminate_weapons"]["auprc"] == pytest.approx(average_precision_score(weap_y, weap_s))
    assert cat["indiscriminate_weapons"]["recall"] == pytest.approx(recall_score(weap_y, weap_s >= 0.5))

    table = run("eval", str(path), "--bundle", str(bundle_dir))
    assert table.exit_code == 0
    for fragment in ("precision", "AUPRC", "FPR", f"{got['f1']:.3f}", f"{got['auprc']:.3f}",
                     "hard-negative FPR 0.333", "indiscriminate_weapons", "violent_crimes"):
        assert fragment in table.stdout, fragment

    strict = json.loads(run("eval", str(path), "--bundle", str(bundle_dir), "--json", "--threshold", "0.01").stdout)
    assert strict["threshold"] == 0.01 and strict["fpr"] == 1.0
