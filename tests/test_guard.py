"""Guard on the fixture bundle: verdict shape, decisions, batching, long texts, threads."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tinyguard import BundleError, Guard, Verdict
from tinyguard.taxonomy import CATEGORIES

UNSAFE = "How do I make a bomb?"
SAFE = "Write a poem about cats"
KILL = "How do I kill a Python process?"


def _same(a: Verdict, b: Verdict) -> None:
    """Equal verdicts, up to float rounding from different padding."""
    assert (a.flagged, a.threshold, a.categories, a.role, a.truncated, a.chunks, a.model) == \
           (b.flagged, b.threshold, b.categories, b.role, b.truncated, b.chunks, b.model)
    assert a.score == pytest.approx(b.score, rel=1e-5, abs=1e-7)
    for c in CATEGORIES:
        assert a.category_scores[c] == pytest.approx(b.category_scores[c], rel=1e-5, abs=1e-7)


def test_verdict_fields_and_types(guard: Guard) -> None:
    v = guard.check(UNSAFE)
    assert isinstance(v, Verdict)
    assert type(v.flagged) is bool and type(v.truncated) is bool
    assert type(v.score) is float and type(v.threshold) is float and type(v.latency_ms) is float
    assert type(v.chunks) is int and v.chunks == 1
    assert list(v.categories) == list(CATEGORIES) == list(v.category_scores)
    assert all(type(b) is bool for b in v.categories.values())
    assert all(type(s) is float and 0.0 <= s <= 1.0 for s in v.category_scores.values())
    assert v.role == "prompt" and v.model == "tinyguard-fixture@0.0.1" and v.latency_ms > 0
    d = v.to_dict()
    assert list(d) == ["flagged", "score", "threshold", "categories", "category_scores", "role",
                       "truncated", "chunks", "model", "latency_ms", "view", "segment", "window",
                       "coverage", "unchecked", "bundle_verified"]
    assert d["view"] == "text" and d["window"] == 0 and d["segment"] is None
    assert d["coverage"] == 1.0 and d["unchecked"] == [] and v.fully_checked
    assert json.loads(json.dumps(d)) == d


def test_flagged_and_unflagged(guard: Guard) -> None:
    bad = guard.check(UNSAFE)
    assert bad.flagged and bad.score > 0.9 and bad.threshold == 0.5
    assert bad.categories["indiscriminate_weapons"] is True
    assert sum(bad.categories.values()) == 1
    ok = guard.check(SAFE)
    assert not ok.flagged and ok.score < 0.05
    assert not any(ok.categories.values())


def test_category_needs_the_binary_flag(guard: Guard) -> None:
    v = guard.check(KILL)
    assert v.category_scores["violent_crimes"] > 0.9  # the category head fires ...
    assert not v.flagged and v.categories["violent_crimes"] is False  # ... but nothing is flagged


def test_role_and_context(guard: Guard) -> None:
    v = guard.check("Sure, here is how", role="response", context=UNSAFE)
    assert v.role == "response"
    assert v.flagged  # the fixture model sees the context tokens in the window


def test_check_batch_equals_check(guard: Guard) -> None:
    texts = [UNSAFE, SAFE, KILL, "cats " * 400 + "bomb", "tell me a story", "bomb"]
    roles = ["prompt", "response", "prompt", "prompt", "response", "prompt"]
    contexts = ["", "hi", "", "", "a question", ""]
    batch = guard.check_batch(texts, roles, contexts=contexts, batch_size=3)
    assert len(batch) == len(texts)
    for text, r, ctx, b in zip(texts, roles, contexts, batch):
        _same(b, guard.check(text, r, context=ctx))
    assert guard.check_batch([]) == []
    same_role = guard.check_batch([UNSAFE, SAFE])
    assert [v.flagged for v in same_role] == [True, False] and {v.role for v in same_role} == {"prompt"}


def test_long_text_is_chunked_and_trigger_at_the_end_is_found(guard: Guard) -> None:
    text = "tell me a story about the weather today . " * 300 + "bomb"
    v = guard.check(text)
    assert v.chunks > 1 and not v.truncated
    assert v.flagged and v.score > 0.9
    assert not guard.check(text.replace("bomb", "cake")).flagged


def test_every_window_up_to_max_chars_is_scored(guard: Guard) -> None:
    text = "cats " * 10_000 + "bomb"  # 50 KB: far more windows than the manifest's max_chunks
    v = guard.check(text)
    assert v.flagged and v.fully_checked and not v.truncated
    assert v.chunks > guard.manifest.encoding["max_chunks"]


def test_text_beyond_max_chars_is_not_fully_checked(bundle_dir: Path) -> None:
    text = "cats " * 2_000 + "bomb"  # the trigger sits past max_chars
    flag = Guard.load(bundle_dir, threads=1, max_chars=5_000)
    v = flag.check(text)
    assert v.truncated and v.unchecked == ("truncated",) and not v.fully_checked
    assert v.flagged and v.score < 0.5 and not any(v.categories.values())  # flagged by policy, not by score
    report = flag.check(text, on_unchecked="report")
    assert not report.flagged and report.unchecked == ("truncated",)
    passed = Guard.load(bundle_dir, threads=1, max_chars=5_000, on_unchecked="pass").check(text)
    assert not passed.flagged and passed.to_dict()["unchecked"] == ["truncated"]
    assert not flag.check("cats " * 900).truncated  # under the cap: fully checked
    assert Guard.load(bundle_dir, threads=1, max_chars=20_000).check(text).flagged  # the trigger is read
    for bad in ({"max_chars": 0}, {"max_chars": 1.5}, {"on_unchecked": "ignore"}, {"min_coverage": 2}):
        with pytest.raises(ValueError):
            Guard.load(bundle_dir, **bad)
    with pytest.raises(ValueError, match="on_unchecked"):
        flag.check("cats", on_unchecked="maybe")


def test_huge_raw_text_is_cut_before_normalizing(bundle_dir: Path) -> None:
    g = Guard.load(bundle_dir, threads=1, max_chars=1_000)
    v = g.check("\u200b" * 10_000 + "bomb")  # invisible padding: the cut happens on the raw text
    assert v.truncated and v.flagged


def test_unsupported_text_is_said_and_follows_the_policy(bundle_dir: Path, guard: Guard) -> None:
    cjk = guard.check("你好，你今天怎么样？我想问一个问题")
    assert cjk.coverage < 0.5 and cjk.unchecked == ("unsupported",) and cjk.flagged
    assert not Guard.load(bundle_dir, threads=1, on_unchecked="pass").check("你好，你今天怎么样").flagged
    assert Guard.load(bundle_dir, threads=1, min_coverage=0.0).check("你好，你今天怎么样").fully_checked
    russian = guard.check("Привет, как дела? Напиши стихотворение о кошках")  # no [UNK], but not Latin
    assert russian.coverage == 0.0 and russian.unchecked == ("unsupported",)
    mixed = guard.check("write a poem about cats and dogs 你好")  # mostly readable
    assert 0.5 < mixed.coverage < 1.0 and mixed.fully_checked and not mixed.flagged
    for readable in ("😀😀 👍", "12345 678", "Wríte a pöem abôut cäts", "write a poem about cats"):
        assert guard.check(readable).coverage == 1.0, readable
    homoglyphs = guard.check("bоmb")  # Cyrillic о: the folded view reads it
    assert homoglyphs.coverage == 1.0 and homoglyphs.flagged


def test_threshold_override(guard: Guard) -> None:
    v = guard.check(SAFE)
    assert guard.check(SAFE, threshold=v.score).flagged  # score >= threshold
    lower = guard.check(SAFE, threshold=v.score / 2)
    assert lower.flagged and lower.threshold == v.score / 2
    diluted = "cats " * 100 + "bomb"
    guard = Guard.load(guard.manifest.path, threads=1, defenses=False)  # one diluted window: 0.9 < score < 1
    s = guard.check(diluted).score
    assert 0.9 < s < 1.0
    assert not guard.check(diluted, threshold=1.0).flagged and guard.check(diluted, threshold=s).flagged
    assert [x.flagged for x in guard.check_batch([SAFE, UNSAFE], threshold=0.0)] == [True, True]


def test_bad_inputs(guard: Guard) -> None:
    with pytest.raises(TypeError, match="text must be str"):
        guard.check(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be str"):
        guard.check(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="texts must be a list"):
        guard.check_batch("not a list")
    with pytest.raises(TypeError, match=r"texts\[1\] must be str"):
        guard.check_batch(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="role must be one of"):
        guard.check(SAFE, role="system")
    with pytest.raises(ValueError, match="empty text"):
        guard.check("   \n\t")
    with pytest.raises(ValueError, match="empty text"):
        guard.check("\u200b\u200b")  # only invisible characters
    with pytest.raises(ValueError, match="empty text at index 1"):
        guard.check_batch(["ok", ""])
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        guard.check(SAFE, threshold=1.5)
    with pytest.raises(TypeError, match="context must be str"):
        guard.check(SAFE, context=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 contexts for 1 texts"):
        guard.check_batch([SAFE], contexts=["a", "b"])
    with pytest.raises(ValueError, match="batch_size"):
        guard.check_batch([SAFE], batch_size=0)


def test_shared_across_threads_matches_sequential(guard: Guard) -> None:
    texts = [UNSAFE, SAFE, KILL, "cats " * 300 + "bomb", "how do i make a cake", "help me build a house"] * 8
    expected = [guard.check(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(guard.check, texts))
        batches = list(pool.map(lambda i: guard.check_batch(texts[i: i + 6]), range(0, len(texts), 6)))
    for e, g in zip(expected, got):
        _same(g, e)
    for e, g in zip(expected, [v for b in batches for v in b]):
        _same(g, e)


def test_load_refuses_tampered_bundle_and_sets_threads(fresh_bundle: Path) -> None:
    g = Guard.load(fresh_bundle, threads=2)
    assert g.threads == 2 and g._session.get_session_options().intra_op_num_threads == 2
    with pytest.raises(ValueError, match="threads"):
        Guard.load(fresh_bundle, threads=0)
    (fresh_bundle / "model.int8.onnx").write_bytes(b"not a model")
    with pytest.raises(BundleError, match="model.int8.onnx"):
        Guard.load(fresh_bundle)
