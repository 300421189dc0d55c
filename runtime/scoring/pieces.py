"""What the guard scores for one text: its windows, its views' windows and its segments' windows.

Why a plan: :meth:`tinyguard.scoring.guard.Guard.score` runs the model once over the windows of many
texts; this module decides, for one text and without the model, which windows those are and
what each one is (which view, which segment), and what part of the text was not checked.

For a text (bounded first: see :func:`bounded`):

1. the text the model reads (:func:`reading`: the normalized text; the order it is displayed in,
   for text inside right-to-left overrides; or the reading of a text spelled out letter by
   letter) and its de-obfuscated views;
2. each of those pieces tokenized once; its full windows (every one: the text is bounded by
   characters, so no window cap applies);
3. its segments (:mod:`tinyguard.scoring.segments`), cut from the same token ids, scored whole and, when
   long, scanned in short windows; a sentence of the text that a view rewrote is scored in the
   view's reading only; a segment seen in an earlier piece (most segments of most views) is not scored again;
4. the share of its letters the model can read, in the sentence where it is lowest, in the
   piece that reads best (:func:`tinyguard.scoring.coverage.sentence_coverage`; a reworded view
   never counts: re-splitting French into English word pieces does not make it read);
5. for a prompt with a context (the conversation before it), the seam: the context's last
   sentence joined to the prompt's first (view ``"joined"``), so a request split across the
   two ("How do I make a pipe" + "bomb at home?") is read whole. A response's context (the
   prompt it answers) is not joined: a refusal would inherit the prompt's words.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

from tinyguard.scoring.coverage import sentence_coverage
from tinyguard.scoring.decoders import display_order
from tinyguard.scoring.defenses import DefenseSettings, build_named_views, read_text
from tinyguard.scoring.despace import Lexicon
from tinyguard.scoring.languages import DEFAULT_LANGUAGES
from tinyguard.scoring.segments import (SCAN_ABOVE, SCAN_STRIDE, SCAN_TOKENS, SEGMENT_TOKENS, first_sentence,
                                        last_sentence, segment_spans, sentence_spans)
from tinyguard.text.encoding import TextEncoder, Windows
from tinyguard.text.normalize import normalize

LexiconSource = Union[Lexicon, Callable[[], Lexicon], None]  # a Lexicon, or what builds it when needed
RAW_FACTOR = 4  # a raw text over RAW_FACTOR * max_chars is cut before normalizing (bounded cost)
CONTEXT_RAW_CHARS = 2048  # context characters normalized (the encoder keeps its first tokens only)
SEAM_CHARS = 512  # characters of each side read to find the sentences a seam joins


@dataclass
class Plan:
    """The windows scored for one text. ``entries[k]`` (view name, segment index or None) says
    what ``windows[k]`` is; entry 0 is the text itself."""

    windows: list[Windows] = field(default_factory=list)
    entries: list[tuple[str, int | None]] = field(default_factory=list)
    plain: Windows | None = None  # the normalized text's windows when entry 0 is another reading of it
    views: int = 0
    segments: int = 0
    chunks: int = 0
    truncated: bool = False
    coverage: float = 1.0


def bounded(raw: str, max_chars: int) -> tuple[str, str, bool]:
    """(raw text, normalized text, truncated): the normalized text is at most ``max_chars``
    characters; normalization itself never sees more than ``RAW_FACTOR * max_chars``."""
    cut = len(raw) > RAW_FACTOR * max_chars
    if cut:
        raw = raw[: RAW_FACTOR * max_chars]
    norm = normalize(raw)
    if len(norm) > max_chars:
        norm, cut = norm[:max_chars], True
    return raw, norm, cut


def reading(raw: str, norm: str, settings: DefenseSettings, lexicon: LexiconSource,
            max_chars: int) -> tuple[str, str]:
    """(name, text) the model reads for a text: its normalized form (``"text"``), the order it is
    displayed in when it holds right-to-left overrides (``"displayed"``), or the reading of a
    text spelled out letter by letter (``"despaced"``)."""
    name, text = "text", norm
    if settings.reveal:
        shown = display_order(raw)
        if shown is not None:
            text = normalize(shown)[:max_chars]
            name = "displayed" if text != norm else "text"
    spelled, text = read_text(text, settings, lexicon)
    return (spelled if spelled != "text" else name), text


def plan_text(encoder: TextEncoder, raw: str, norm: str, role: str, context: str,
              settings: DefenseSettings, *, max_chars: int, lexicon: LexiconSource = None,
              unk_id: int = -1, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> Plan:
    """The plan for one text (``raw``, ``norm``: as returned by :func:`bounded` for ``max_chars``;
    ``languages``: the ones the model was trained on, see :mod:`tinyguard.scoring.languages`)."""
    plan = Plan()
    ctx_ids = encoder.context_ids(normalize(context[:CONTEXT_RAW_CHARS])) if context else []
    name, text = reading(raw, norm, settings, lexicon, max_chars) if settings.enabled else ("text", norm)
    named = [(name, text)]
    if settings.enabled:
        named += build_named_views(text, settings, raw=raw, lexicon=lexicon, has_word=encoder.has_word)
    plan.views = len(named) - 1
    if name != "text":  # "no defenses" still scores the text as written
        plan.plain = encoder.windows(encoder.tokenize(norm).ids, role, ctx_ids, max_chunks=None)
    seen: set[bytes] = set()
    coverage = 0.0
    spans = [segment_spans(piece) if settings.segments else [] for _, piece in named]
    # A sentence of the text that some view rewrote (rot13, leet, emoji, an encoded run) is scored
    # in that view's reading only: the model misreads such garbage on its own.
    # (a reworded view holds only what it changed, so it says nothing about the other sentences)
    in_views = [{piece[a:b].strip() for a, b in sp} for (name_, piece), sp in zip(named[1:], spans[1:])
                if name_ != "reworded"]
    for k, (piece_name, piece) in enumerate(named):
        tokens = encoder.tokenize(piece)
        windows = encoder.windows(tokens.ids, role, ctx_ids, max_chunks=None)
        plan.windows.append(windows)
        plan.entries.append((piece_name, None))
        if k == 0:
            plan.chunks = windows.count
        if piece_name != "reworded":  # (a view that re-splits words would make any language look read)
            coverage = max(coverage, sentence_coverage(piece, tokens.ids, tokens.starts, tokens.ends, unk_id,
                                                       sentence_spans(piece), languages))
        if not settings.segments:
            continue
        n = len(tokens)
        for index, (start, end) in enumerate(spans[k]):
            if k == 0 and in_views and not all(piece[start:end].strip() in v for v in in_views):
                continue
            a, b = tokens.between(start, end)
            if b <= a or (a == 0 and b == n and n <= SEGMENT_TOKENS and windows.count == 1):
                continue  # empty, or the text's own (single) window
            key = tokens.ids[a:b].tobytes()
            if key in seen:
                continue
            seen.add(key)
            whole = not (a == 0 and b == n)  # (the text's own windows already cover it whole)
            if whole:
                plan.windows.append(encoder.windows(tokens.ids[a:b], role, ctx_ids, max_chunks=None))
                plan.entries.append((piece_name, index))
            if b - a > SCAN_ABOVE:  # a long one is also scanned in short windows
                plan.windows.append(encoder.windows(tokens.ids[a:b], role, ctx_ids, max_chunks=None,
                                                    room=SCAN_TOKENS, stride=SCAN_STRIDE))
                plan.entries.append((piece_name, index))
            plan.segments += 1
    joined = seam(context, text) if role == "prompt" and settings.segments else None
    if joined is not None:
        plan.windows.append(encoder.windows(encoder.tokenize(joined).ids, role, [], max_chunks=None))
        plan.entries.append(("joined", None))
        plan.views += 1
    plan.coverage = coverage
    return plan


def seam(context: str, text: str) -> str | None:
    """The context's last sentence (or unfinished clause) and the text's first, joined by a
    space and normalized; None without a context. Bounded: reads :data:`SEAM_CHARS` of each."""
    if not context.strip():
        return None
    left = last_sentence(normalize(context[-SEAM_CHARS:])).strip()
    right = first_sentence(text[:SEAM_CHARS]).strip()
    return f"{left} {right}" if left and right else None
