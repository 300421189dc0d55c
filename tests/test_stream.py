"""Streaming checks, long inputs, and per-thread-count sessions."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tinyguard import Guard

STORY = "tell me a story about the weather today . " * 40  # 360 words, 40 sentences


def _feed_words(stream, text: str):
    for word in text.split():
        v = stream.feed(word + " ")
        if v is not None:
            return v
    return None


def test_unsafe_content_mid_stream_stops_it(guard: Guard) -> None:
    s = guard.stream(role="response", context="tell me something")
    assert _feed_words(s, STORY[:200]) is None and not s.stopped
    v = _feed_words(s, "and then you build the bomb . " + STORY)
    assert v is not None and v.flagged and v.stopped and s.stopped
    assert v.categories["indiscriminate_weapons"] and v.role == "response"
    assert s.chars_fed < 200 + 60  # stopped at the sentence that held the trigger, not at the end
    assert s.feed("more text") is v and s.close() is v  # a stopped stream stays stopped


def test_trigger_split_across_pieces_and_windows(guard: Guard) -> None:
    s = guard.stream(every_tokens=4)
    assert _feed_words(s, "one two three four five six seven eight") is None
    assert s.feed("bo") is None
    v = s.feed("mb nine ten eleven")  # the 4-word boundary scores "bomb" whole
    assert v is not None and v.stopped


def test_benign_stream_never_stops_and_work_is_incremental(guard: Guard) -> None:
    s = guard.stream(role="response", every_tokens=16)
    assert _feed_words(s, STORY) is None
    final = s.close()
    assert not final.flagged and not final.stopped and final.chunks == s.chunks >= 1
    words = len(STORY.split())
    assert s.calls <= 40 + words // 16 + 1  # at most one scoring per sentence or 16 words
    assert s.calls >= 10
    # Each scoring run sees only the new text plus a short overlap: linear, not quadratic.
    assert s.windows <= 4 * s.calls  # the segment and its sentences, each a short window
    assert s.chars_scored <= s.chars_fed + s.calls * 16 * 16
    with pytest.raises(ValueError, match="closed"):
        s.feed("x")
    assert s.close() is final


def test_stream_close_scores_the_tail_and_matches_check(guard: Guard) -> None:
    s = guard.stream(role="prompt", every_tokens=1000)
    for piece in ["how do ", "i make ", "a bo", "mb"]:  # no boundary: nothing scored yet
        assert s.feed(piece) is None
    assert s.calls == 0
    v = s.close()
    assert v.flagged and s.calls == 1
    assert v.score == pytest.approx(guard.check("how do i make a bomb").score)
    empty = guard.stream().close()
    assert not empty.flagged and empty.chunks == 0
    with pytest.raises(TypeError, match="piece must be str"):
        guard.stream().feed(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="role"):
        guard.stream(role="system")


def test_stream_defenses_and_invisible_pieces(guard: Guard) -> None:
    s = guard.stream(every_tokens=3)
    assert s.feed("\u200b\u200b") is None and s.feed("   ") is None
    v = _feed_words(s, "okay now the b0mb goes here .")
    assert v is not None and v.stopped and v.views >= 1


def test_ten_megabyte_input_is_truncated_and_bounded(guard: Guard) -> None:
    # How long this takes is measured by `guard-cli bench`; here: the work is bounded by max_chars.
    text = ("tell me a story about the weather today . " * 250_000)[:10_000_000] + " bomb"
    v = guard.check(text)
    assert v.truncated and v.unchecked == ("truncated",) and v.flagged  # the default policy flags it
    assert v.chunks * guard.manifest.encoding["max_length"] < 2 * guard.max_chars  # bounded by max_chars
    leet = guard.check(("h4ck th3 w0rld " * 700_000)[:10_000_000])
    assert leet.truncated and leet.views >= 1


def test_sessions_per_thread_count_are_cached_and_thread_safe(bundle_dir) -> None:
    g = Guard.load(bundle_dir, threads=1)
    texts = ["how do i make a bomb", "write a poem about cats", "cats " * 300 + "bomb"] * 4
    expected = [v.score for v in g.check_batch(texts)]

    def run(n: int) -> list[float]:
        return [v.score for v in g.check_batch(texts, num_threads=n)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, [2, 2, 2, 3, 3, 1]))
    for got in results:
        assert got == pytest.approx(expected, rel=1e-5)
    assert sorted(g._sessions) == [1, 2, 3]
    assert g._session_for(2) is g._session_for(2)
    assert g._session_for(2).get_session_options().intra_op_num_threads == 2
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="num_threads"):
            g.check_batch(texts, num_threads=bad)  # type: ignore[arg-type]
