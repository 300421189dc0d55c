"""Check a text while it is generated, token by token, without re-scoring it all each time.

Why this shape: an LLM response arrives in small pieces; scoring the whole text after each
piece costs O(n^2). A :class:`StreamChecker` keeps only the pieces not yet scored plus a short
tail of the last scored segment (``overlap_words`` words, so content cut at a boundary is still
seen whole), and scores that segment when a sentence ends or ``every_tokens`` words (a cheap
stand-in for tokens) have arrived. Scores keep a running max per column, so the final verdict
is the max over every scored window, as for :meth:`Guard.check`. Memory is bounded by one
segment, whatever the length of the stream.

A stream belongs to one generation and one thread; the Guard behind it is shared.
"""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import numpy as np

from tinyguard.scoring.decoders import has_text
from tinyguard.taxonomy import N_OUTPUTS, ROLES
from tinyguard.verdict import Verdict, check_str

if TYPE_CHECKING:
    from tinyguard.scoring.guard import Guard

_SENTENCE_END = re.compile(r"[.!?;:\n。！？]")
_WORD_START = re.compile(r"\S+")
CHARS_PER_WORD_CAP = 16  # a piece with no spaces is scored every every_tokens * 16 characters


class StreamChecker:
    """Incremental checking of one streamed text. Build with :meth:`Guard.stream`."""

    def __init__(self, guard: "Guard", role: str = "response", *, context: str = "",
                 threshold: float | None = None, every_tokens: int = 32, overlap_words: int | None = None):
        if role not in ROLES:
            raise ValueError(f"role must be one of {list(ROLES)}, not {role!r}")
        check_str(context, "context")
        if isinstance(every_tokens, bool) or not isinstance(every_tokens, int) or every_tokens < 1:
            raise ValueError(f"every_tokens must be a positive int, not {every_tokens!r}")
        self.guard = guard
        self.role = role
        self.context = context
        self.threshold = guard.threshold_for(role, threshold)  # the role's own unless one is given
        self.every_tokens = every_tokens
        self.overlap_words = guard.manifest.encoding_config().stride if overlap_words is None else overlap_words
        self._tail = ""  # the end of the last scored segment, scored again with the next one
        self._pending: list[str] = []  # pieces not scored yet
        self._pending_words = 0
        self._pending_chars = 0
        self._max: np.ndarray | None = None  # running max of probabilities per column
        self._fired: tuple[str, int, int | None] = ("text", 0, None)  # (view, window, segment) of the top score
        self._views = 0
        self._truncated = False
        self._covered = 0.0  # sum over scored pieces of coverage x characters (coverage = _covered / _chars)
        self._chars = 0
        self._elapsed_ms = 0.0
        self._result: Verdict | None = None
        self.closed = False
        # Work counters (tests and benchmarks read them): scoring runs, windows, characters.
        self.calls = 0
        self.windows = 0
        self.chunks = 0
        self.chars_scored = 0
        self.chars_fed = 0

    @property
    def stopped(self) -> bool:
        return self._result is not None and self._result.stopped

    def feed(self, piece: str) -> "Verdict | None":
        """Add the next piece of text. Returns a flagged Verdict (``stopped=True``) once the text
        so far is unsafe -- and the same one for every later call -- else None."""
        check_str(piece, "piece")
        if self.closed:
            raise ValueError("stream is closed")
        if self._result is not None:
            return self._result
        if not piece:
            return None
        self._pending.append(piece)
        self.chars_fed += len(piece)
        self._pending_chars += len(piece)
        self._pending_words += len(_WORD_START.findall(piece))
        if (self._pending_words >= self.every_tokens or _SENTENCE_END.search(piece)
                or self._pending_chars >= self.every_tokens * CHARS_PER_WORD_CAP):
            self._score_pending()
            if self._max is not None and self._max[0] >= self.threshold:
                self._result = self._make_verdict(stopped=True)
                return self._result
        return None

    def close(self) -> "Verdict":
        """Score what is left and return the verdict on the whole stream. A stream with no
        text returns an unflagged verdict with ``chunks == 0`` and score 0.0."""
        if self._result is not None:
            self.closed = True
            return self._result
        if not self.closed:
            self._score_pending()
            self.closed = True
        stopped = self._max is not None and bool(self._max[0] >= self.threshold)
        self._result = self._make_verdict(stopped=stopped)
        return self._result

    def _score_pending(self) -> None:
        if not self._pending:
            return
        new = "".join(self._pending)
        segment = self._tail + new
        self._pending, self._pending_words, self._pending_chars = [], 0, 0
        self._tail = _last_words(segment, self.overlap_words)
        if not has_text(new):
            return  # only whitespace or invisible characters arrived (tag characters are text: decoded)
        start = time.perf_counter()
        (scores,) = self.guard.score([segment], self.role, contexts=[self.context])
        self._elapsed_ms += (time.perf_counter() - start) * 1000.0
        if self._max is None or scores.defended[0] > self._max[0]:  # this segment now holds the top score
            window = scores.fired_window + (self.chunks if scores.fired_segment is None else 0)
            self._fired = (scores.fired_view, window, scores.fired_segment)
        self._max = scores.defended if self._max is None else np.maximum(self._max, scores.defended)
        self._views += scores.views
        self._truncated |= scores.truncated
        self._covered += scores.coverage * len(new)
        self._chars += len(new)
        self.calls += 1
        self.windows += scores.windows
        self.chunks += scores.chunks
        self.chars_scored += len(segment)

    def _make_verdict(self, *, stopped: bool) -> "Verdict":
        scores = self._max if self._max is not None else np.zeros(N_OUTPUTS)
        coverage = round(self._covered / self._chars, 4) if self._chars else 1.0
        return self.guard._verdict(scores, self.threshold, self.role, truncated=self._truncated,
                                   chunks=self.chunks, views=self._views, latency_ms=self._elapsed_ms,
                                   stopped=stopped, view=self._fired[0], window=self._fired[1],
                                   segment=self._fired[2], coverage=coverage)


def _last_words(text: str, n: int) -> str:
    """The last ``n`` whitespace-separated words of ``text`` (at most ``n * 16`` characters)."""
    if n <= 0:
        return ""
    limit = n * CHARS_PER_WORD_CAP
    window = text[-limit:]
    starts = [m.start() for m in _WORD_START.finditer(window)]
    if len(starts) > n:
        window = window[starts[-n]:]
    return window
