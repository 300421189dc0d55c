"""The window layout of runtime/text/encoding.py, token by token, on the fixture tokenizer.

What its docstring promises: ``[CLS] role-marker text [SEP] context [SEP]`` with token types 0
then 1; long texts cut into windows of ``room`` text tokens with ``stride`` tokens shared by
neighbours and the last window ending at the text's end; context clipped to ``context_tokens``
tokens, read from at most ``context_tokens * CONTEXT_CHARS_PER_TOKEN`` characters; more than
``max_chunks`` windows reported as truncated, exactly ``max_chunks`` not.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fixtures_bundle import VOCAB, build_tokenizer
from tinyguard import Guard
from tinyguard.text.encoding import CONTEXT_CHARS_PER_TOKEN, EncodingConfig, TextEncoder, Windows

CLS, SEP, PAD = VOCAB.index("[CLS]"), VOCAB.index("[SEP]"), VOCAB.index("[PAD]")
USER = [VOCAB.index("user"), VOCAB.index(":")]
ASSISTANT = [VOCAB.index("assistant"), VOCAB.index(":")]
SMALL = EncodingConfig(max_length=32, context_tokens=4, stride=8, max_chunks=3)
ROOM = 32 - 1 - len(USER) - 1  # text tokens in one prompt window without context: 28
STEP = ROOM - SMALL.stride  # 20


@pytest.fixture(scope="module")
def tokenizer_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tokenizer(tmp_path_factory.mktemp("tok") / "tokenizer.json")


@pytest.fixture(scope="module")
def enc(tokenizer_path: Path) -> TextEncoder:
    return TextEncoder.from_file(str(tokenizer_path), SMALL)


def _rows(w: Windows) -> list[list[int]]:
    """Each window's ids without padding (and a check that padding is where the mask says)."""
    out = []
    for i in range(w.count):
        n = int(w.attention_mask[i].sum())
        assert w.attention_mask[i, :n].all() and (w.input_ids[i, n:] == PAD).all()
        out.append(w.input_ids[i, :n].tolist())
    return out


def _ids(*words: str) -> list[int]:
    return [VOCAB.index(w) for w in words]


def test_window_layout_and_token_types(enc: TextEncoder) -> None:
    w = enc.encode("cats and dogs", "prompt")
    assert w.count == 1 and not w.truncated
    assert _rows(w) == [[CLS, *USER, *_ids("cats", "and", "dogs"), SEP]]
    assert w.token_type_ids[0].tolist() == [0] * 7
    r = enc.encode("please", "response", context="make a cake")
    row = [CLS, *ASSISTANT, *_ids("please"), SEP, *_ids("make", "a", "cake"), SEP]
    assert _rows(r) == [row]
    assert r.token_type_ids[0].tolist() == [0] * 5 + [1] * 4  # context and its [SEP]: type 1
    with pytest.raises(ValueError, match="role"):
        enc.encode("x", "system")


@pytest.mark.parametrize("n", [1, ROOM, ROOM + 1, 2 * STEP + SMALL.stride, 2 * STEP + SMALL.stride + 1, 200])
def test_windows_overlap_by_stride_and_cover_the_text(enc: TextEncoder, n: int) -> None:
    text = list(range(1000, 1000 + n))  # distinct ids, so every position is traceable
    w = enc.windows(text, "prompt", [], max_chunks=None)
    bodies = [row[1 + len(USER):-1] for row in _rows(w)]
    assert all(row[:1 + len(USER)] == [CLS, *USER] and row[-1] == SEP for row in _rows(w))
    assert all(len(b) <= ROOM for b in bodies) and bodies[0][0] == text[0]
    assert bodies[-1][-1] == text[-1]  # the last window reaches the end of the text
    assert sorted(set(i for b in bodies for i in b)) == text  # nothing skipped
    for a, b in zip(bodies, bodies[1:]):
        assert a[-SMALL.stride:] == b[:SMALL.stride]  # neighbours share exactly `stride` tokens
        assert len(a) == ROOM  # only the last window may be short
    expected = 1 if n <= ROOM else len(range(0, n - SMALL.stride, STEP))
    assert w.count == expected


def test_exact_window_counts_at_the_edges(enc: TextEncoder) -> None:
    count = lambda n: enc.windows(list(range(n)), "prompt", [], max_chunks=None).count  # noqa: E731
    assert count(ROOM) == 1 and count(ROOM + 1) == 2
    # two windows cover exactly ROOM + STEP tokens; one token more needs a third
    assert count(ROOM + STEP) == 2 and count(ROOM + STEP + 1) == 3


def test_max_chunks_boundary(enc: TextEncoder) -> None:
    at_cap = ROOM + 2 * STEP  # exactly max_chunks (3) windows
    w = enc.windows(list(range(at_cap)), "prompt", [])  # default: the config's cap
    assert w.count == SMALL.max_chunks and not w.truncated
    over = enc.windows(list(range(at_cap + 1)), "prompt", [])
    assert over.count == SMALL.max_chunks and over.truncated  # the 4th window is dropped and said
    assert _rows(over) == _rows(enc.windows(list(range(at_cap + 1)), "prompt", [], max_chunks=3))
    assert enc.windows(list(range(at_cap + 1)), "prompt", [], max_chunks=None).count == 4  # no cap
    # the same boundary through encode(), from text: one vocabulary word per token
    words = [w for w in VOCAB[4:] if w.isalpha() and not w.startswith("#")]
    text = " ".join((words * 10)[:at_cap])
    assert len(enc.tokenize(text)) == at_cap
    assert not enc.encode(text).truncated and enc.encode(text).count == 3
    assert enc.encode(text + " cats").truncated


def test_context_is_clipped_to_its_token_budget_and_reads_only_its_head(enc: TextEncoder) -> None:
    long_ctx = "cats dogs weather today tell story"  # 6 words, context_tokens = 4
    assert enc.context_ids(long_ctx) == _ids("cats", "dogs", "weather", "today")
    r = enc.encode("please", "response", context=long_ctx)
    assert _rows(r)[0][-5:] == [*_ids("cats", "dogs", "weather", "today"), SEP]
    # only the first context_tokens * CONTEXT_CHARS_PER_TOKEN characters are tokenized: a word
    # after that many characters of spaces never reaches the window, even with tokens to spare
    head = SMALL.context_tokens * CONTEXT_CHARS_PER_TOKEN
    assert enc.context_ids("cats" + " " * (head - 4) + "dogs") == _ids("cats")
    assert enc.context_ids("cats" + " " * (head - 9) + "dogs") == _ids("cats", "dogs")
    assert enc.context_ids("") == []
    # context takes room from the text: 4 context tokens + [SEP] leave 5 fewer text tokens
    assert enc.room("response", enc.context_ids(long_ctx)) == ROOM - 5
    text = list(range(1000, 1000 + ROOM))
    assert enc.windows(text, "response", enc.context_ids(long_ctx), max_chunks=None).count == 2
    assert enc.windows(text, "response", [], max_chunks=None).count == 1


def test_guard_reads_only_the_context_budget(bundle_dir: Path) -> None:
    """Through the public API: the fixture model flags a response whose context holds "bomb"
    within its first context_tokens (32) tokens, and not one where "bomb" comes later."""
    guard = Guard.load(bundle_dir, threads=1)
    budget = guard.manifest.encoding["context_tokens"]
    assert guard.check("sure", role="response", context="cats " * (budget - 1) + "bomb").flagged
    late = guard.check("sure", role="response", context="cats " * budget + "bomb")
    assert not late.flagged and late.score < 0.05


def test_windows_batch_offsets(enc: TextEncoder) -> None:
    items = [("cats", "prompt", ""), (" ".join(["dogs"] * (ROOM + 1)), "prompt", ""), ("please", "response", "cake")]
    batch, offsets = enc.encode_many(items)
    assert offsets == [0, 1, 3] and batch.count == 4
    assert np.array_equal(batch.input_ids[3, :8], [CLS, *ASSISTANT, *_ids("please"), SEP, *_ids("cake"), SEP, PAD])
