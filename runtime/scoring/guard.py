"""``Guard``: load a bundle once, score prompts and responses on the CPU.

Why this shape: one verified bundle and one scoring session per thread count per Guard,
created once and shared by every call and thread (sessions are thread-safe; nothing per call
lives on ``self``). A session is an onnxruntime ``InferenceSession`` over the bundle's ONNX
model, or a :class:`tinyguard.scoring.gguf_backend.GgufBackend` (llama.cpp) over its GGUF model, which
answers the same ``get_inputs()`` / ``run()`` calls; ``backend=`` picks one (see
:mod:`tinyguard.scoring.sessions`). Each text becomes one or more windows (see :mod:`tinyguard.text.encoding`);
a text's score per column is the max over its windows, so a trigger at the end of a long text
counts. With defenses on (see :mod:`tinyguard.scoring.defenses`), its sentences alone and de-obfuscated
views of it are scored too and the max is kept (:mod:`tinyguard.scoring.pieces` plans the windows,
:mod:`tinyguard.scoring.runner` runs them).

Long inputs: the guard reads at most ``max_chars`` characters of the normalized text (default
:data:`DEFAULT_MAX_CHARS`) and scores *every* window of them, plus their short segments (see
:mod:`tinyguard.scoring.pieces`), so cost is linear in the text and bounded by ``max_chars``. A longer
text is reported ``truncated`` and, where some sentence is in a script or language the model
cannot read or still looks encoded, ``unsupported``;
what such a verdict means is the ``on_unchecked`` policy (see :mod:`tinyguard.verdict`).
"""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from tinyguard.bundle.folder import Manifest, load_bundle
from tinyguard.bundle.manifest import BundleError
from tinyguard.errors import one_line as _one_line
from tinyguard.scoring.decoders import has_text
from tinyguard.scoring.defenses import DefenseSettings
from tinyguard.scoring.despace import Lexicon
from tinyguard.scoring.pieces import bounded, plan_text
from tinyguard.scoring.runner import Scores, run_plans, to_scores
from tinyguard.scoring.sessions import (  # noqa: F401 - bundle_models, describe_models: part of this module's API
    BACKENDS, GGUF_PREFERENCE, OPENERS as _OPENERS, bundle_models, describe_models, is_gguf_session as _is_gguf_session,
    select_model,
)
from tinyguard.scoring.stream import StreamChecker
from tinyguard.taxonomy import CATEGORIES, ROLES
from tinyguard.text.encoding import TextEncoder
from tinyguard.text.normalize import SETTINGS as NORMALIZATION
from tinyguard.verdict import (Verdict, check_fraction, check_policy, check_str, check_threshold,
                               unchecked_reasons)


DEFAULT_MAX_CHARS = 100_000  # normalized characters read per text; beyond that: truncated
DEFAULT_MIN_COVERAGE = 0.5  # below this share of readable letters a text is "unsupported"


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Guard:
    """A loaded bundle, ready to check texts. Build with :meth:`Guard.load`."""

    def __init__(self, manifest: Manifest, session: Any, encoder: TextEncoder, threads: int,
                 defenses: DefenseSettings | None = None, *, backend: str | None = None,
                 model_file: str | None = None, max_chars: int = DEFAULT_MAX_CHARS,
                 on_unchecked: str = "flag", min_coverage: float = DEFAULT_MIN_COVERAGE):
        self.manifest = manifest
        #: the bundle's signature was checked against a trusted key (False: loaded with allow_unsigned,
        #: or a manifest that :func:`tinyguard.bundle.folder.load_bundle` did not verify)
        self.bundle_verified = bool(manifest.signed_by)
        #: normalized characters read per text; a longer text is scored up to here and "truncated"
        self.max_chars = _check_max_chars(max_chars)
        #: what a verdict on a text not fully checked means: "flag", "report" or "pass"
        self.on_unchecked = check_policy(on_unchecked)
        #: a text with a smaller share of letters the model can read is "unsupported"
        self.min_coverage = check_fraction(min_coverage, "min_coverage")
        self.threads = threads
        self.defenses = DefenseSettings() if defenses is None else defenses
        #: "onnx" (onnxruntime) or "gguf" (llama.cpp); inferred from ``session`` when not given
        self.backend = backend or ("gguf" if _is_gguf_session(session) else "onnx")
        #: the bundle file the sessions score (sessions for other thread counts open it too)
        self.model_file = model_file or (Path(session.path).name if self.backend == "gguf"
                                         else manifest.model_file)
        self._session = session
        self._sessions: dict[int, Any] = {threads: session}  # intra-op threads -> session
        self._sessions_lock = threading.Lock()
        self._encoder = encoder
        self._feeds = tuple(i.name for i in session.get_inputs())
        self._cat_thresholds = np.array([manifest.category_threshold(c) for c in CATEGORIES])
        self._unk_id = encoder.tokenizer.token_to_id("[UNK]")
        self._unk_id = -1 if self._unk_id is None else self._unk_id
        self._lexicon: Lexicon | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, threads: int | None = None,
             defenses: bool | DefenseSettings = True, backend: str = "auto",
             trusted_keys: Any = None, allow_unsigned: bool = False, max_chars: int = DEFAULT_MAX_CHARS,
             on_unchecked: str = "flag", min_coverage: float = DEFAULT_MIN_COVERAGE) -> "Guard":
        """Verify the bundle at ``path`` (None: the bundled default model) and open it.

        ``threads`` sets the scoring threads (onnxruntime intra-op or llama.cpp threads; default:
        available CPUs, at most 8). ``defenses``: True uses the manifest's ``defenses`` settings
        (all on when absent), False scores the normalized text only, a :class:`DefenseSettings`
        picks them one by one. ``backend``: "onnx" scores the bundle's ONNX model with
        onnxruntime, "gguf" its GGUF model with llama.cpp (needs ``pip install 'tinyguard[gguf]'``),
        "auto" (default) the ONNX model when the bundle has one, else the GGUF. Both use the
        manifest's thresholds. A backend the bundle has no model for raises BundleError.
        The bundle must be signed by a trusted key (see :mod:`tinyguard.bundle.trust`): the project key
        for a bundled model, else the project key or one the user trusts; ``trusted_keys``
        (Ed25519 PEM public key paths, or ``"project"``) replaces those. An unsigned,
        foreign-signed or edited bundle raises :class:`tinyguard.signing.SignatureError` unless
        ``allow_unsigned=True``; then every verdict has ``bundle_verified`` False.

        ``max_chars``: normalized characters read per text (every window of them is scored; a
        longer text is "truncated"). ``min_coverage``: below this share of letters the model can
        read, a text is "unsupported". ``on_unchecked``: what a verdict on a truncated or
        unsupported text means -- "flag" (default: flagged), "report" (flagged by score only; the
        CLI exits 3) or "pass" (reported only). See :mod:`tinyguard.verdict`.
        """
        _check_max_chars(max_chars)
        check_policy(on_unchecked)
        check_fraction(min_coverage, "min_coverage")
        if threads is None:
            threads = min(8, _available_cpus())
        _check_threads(threads, "threads")
        if not isinstance(defenses, (bool, DefenseSettings)):
            raise TypeError(f"defenses must be True, False or a DefenseSettings, not {defenses!r}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {list(BACKENDS)}, not {backend!r}")
        manifest = load_bundle(path, trusted_keys=trusted_keys, allow_unsigned=allow_unsigned)
        root = manifest.path
        assert root is not None
        kind, model_file = select_model(manifest, backend)
        if manifest.normalization != NORMALIZATION:
            raise BundleError(f"bundle {root}: normalization {manifest.normalization} differs from "
                              f"this runtime's {NORMALIZATION}")
        try:
            from_manifest = DefenseSettings.from_value(manifest.defenses)
        except ValueError as e:
            raise BundleError(f"bundle {root}: {e}") from None
        if isinstance(defenses, DefenseSettings):
            settings = defenses
        else:
            settings = from_manifest if defenses else DefenseSettings.off()
        try:
            encoder = TextEncoder.from_file(str(root / manifest.tokenizer_file), manifest.encoding_config())
        except Exception as e:  # tokenizers raises plain Exception on a bad file
            raise BundleError(f"bundle {root}: cannot load {manifest.tokenizer_file}: {_one_line(e)}") from None
        session = _OPENERS[kind](root / model_file, threads)
        if kind == "gguf" and encoder.config.max_length > session.max_tokens:
            raise BundleError(f"bundle {root}: windows of {encoder.config.max_length} tokens exceed "
                              f"{model_file}'s {session.max_tokens}-token context")
        return cls(manifest, session, encoder, threads, settings, backend=kind, model_file=model_file,
                   max_chars=max_chars, on_unchecked=on_unchecked, min_coverage=min_coverage)

    def __repr__(self) -> str:
        return (f"Guard(model={self.model_id!r}, path={str(self.manifest.path)!r}, "
                f"bundle_verified={self.bundle_verified}, backend={self.backend!r}, "
                f"model_file={self.model_file!r}, threads={self.threads}, defenses={self.defenses.enabled})")

    @property
    def lexicon(self) -> Lexicon:
        """The model's vocabulary as word costs (splits a text spelled out letter by letter into
        words); built on first use, since most texts never need it."""
        if self._lexicon is None:
            self._lexicon = Lexicon.from_vocab(self._encoder.tokenizer.get_vocab())
        return self._lexicon

    @property
    def model_id(self) -> str:
        return self.manifest.model_id

    @property
    def threshold(self) -> float:
        """The prompt threshold (the manifest's ``threshold``; see :meth:`threshold_for`)."""
        return self.manifest.threshold

    @property
    def response_threshold(self) -> float:
        """The threshold responses are judged at: the manifest's ``response_threshold`` (spec 1.2)
        when it has one, else the prompt threshold."""
        return self.manifest.threshold_for("response")

    def threshold_for(self, role: str, threshold: float | None = None) -> float:
        """The threshold a text of ``role`` is judged at: ``threshold`` when given (it overrides
        both roles), else the role's own (:meth:`Manifest.threshold_for`)."""
        return self.manifest.threshold_for(role) if threshold is None else check_threshold(threshold)

    def check(self, text: str, role: str = "prompt", *, context: str = "",
              threshold: float | None = None, on_unchecked: str | None = None) -> Verdict:
        """Score one text. Raises TypeError for non-str input, ValueError for empty text or bad role."""
        check_str(text, "text")
        return self.check_batch([text], role, contexts=[context], threshold=threshold,
                                on_unchecked=on_unchecked)[0]

    def check_batch(self, texts: Sequence[str], role: str | Sequence[str] = "prompt", *,
                    contexts: Sequence[str] | None = None, threshold: float | None = None,
                    batch_size: int = 1, num_threads: int | None = None,
                    on_unchecked: str | None = None) -> list[Verdict]:
        """Score many texts, ``batch_size`` full-text windows per model run.

        The default, one window per run, makes every text's score independent of the texts
        scored with it: dynamic int8 quantization computes activation scales per run (padding
        included), so batching 32 windows moved single scores by up to 0.2 on the default
        model. A larger ``batch_size`` buys ~25% throughput at that cost. (A text's own short
        segments run up to :data:`tinyguard.scoring.runner.SEGMENT_BATCH` together, never with another text's.)

        ``role`` is one role for all texts or one per text. ``num_threads`` sets the scoring
        threads for this call (onnxruntime intra-op or llama.cpp threads; a session per thread
        count is opened once and cached; default: the Guard's ``threads``). ``on_unchecked``
        overrides the Guard's policy for this call. ``threshold`` (one number) judges every text,
        whatever its role; without it each text is judged at its role's threshold
        (:meth:`threshold_for`), the one its verdict reports. Each verdict's ``latency_ms`` is its own
        text's time: normalizing, planning, its windows' model runs (a run of several windows
        shared among them) and reading the scores.
        """
        if threshold is not None:
            check_threshold(threshold)
        policy = self.on_unchecked if on_unchecked is None else check_policy(on_unchecked)
        scored = self.score(texts, role, contexts=contexts, batch_size=batch_size, num_threads=num_threads)
        return [self._verdict(s.defended, self.threshold_for(s.role, threshold), s.role, truncated=s.truncated,
                              chunks=s.chunks, views=s.views, latency_ms=s.seconds * 1000.0, view=s.fired_view, window=s.fired_window,
                              segment=s.fired_segment, segments=s.segments, coverage=s.coverage,
                              policy=policy) for s in scored]

    def score(self, texts: Sequence[str], role: str | Sequence[str] = "prompt", *,
              contexts: Sequence[str] | None = None, batch_size: int = 1, num_threads: int | None = None,
              defenses: DefenseSettings | None = None) -> list["Scores"]:
        """Raw per-column probabilities for each text, with and without the defenses.

        ``plain`` is the normalized text's windows alone; ``defended`` the max over those, the
        views' windows and the segments' (see :mod:`tinyguard.scoring.pieces`). ``defenses`` overrides
        the Guard's settings for this call. Used by ``check_batch``, streams and
        ``guard-cli robustness`` (which needs both numbers from one pass).
        """
        texts, roles, contexts = _validate(texts, role, contexts)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
        session = self._session_for(self.threads if num_threads is None else num_threads)
        settings = self.defenses if defenses is None else defenses
        if not texts:
            return []

        plans, plan_seconds = [], []
        for i, (text, r, ctx) in enumerate(zip(texts, roles, contexts)):
            start = time.perf_counter()
            raw, norm, cut = bounded(text, self.max_chars)
            if not norm.strip() and not cut and not has_text(raw):  # (a cut text may hold nothing visible
                # before the cut; a text made only of tag characters is read through its "revealed" view)
                raise ValueError("empty text" if len(texts) == 1 else f"empty text at index {i}")
            plan = plan_text(self._encoder, raw, norm, r, ctx, settings, max_chars=self.max_chars,
                             lexicon=lambda: self.lexicon, unk_id=self._unk_id,
                             languages=self.manifest.languages)
            plan.truncated = cut
            plans.append(plan)
            plan_seconds.append(time.perf_counter() - start)
        results = run_plans(session, self._feeds, self._encoder.pad_id, plans, batch_size)
        return [to_scores(plan, r, rows, plain, self.min_coverage, seconds=planned + ran)
                for plan, r, planned, (rows, plain, ran) in zip(plans, roles, plan_seconds, results)]

    def stream(self, role: str = "response", *, context: str = "", threshold: float | None = None,
               every_tokens: int = 32) -> "StreamChecker":
        """A :class:`~tinyguard.scoring.stream.StreamChecker` that checks a text as it is generated.

        ``feed(piece)`` re-scores only at sentence ends or every ``every_tokens`` words, and
        only the newest text (plus a small overlap); it returns a flagged Verdict with
        ``stopped=True`` as soon as the text so far is unsafe, else None. ``close()`` returns
        the final Verdict. Without ``threshold`` the stream stops at its role's threshold.
        """

        return StreamChecker(self, role, context=context, threshold=threshold, every_tokens=every_tokens)

    def _verdict(self, scores: np.ndarray, t: float, role: str, *, truncated: bool, chunks: int, views: int,
                 latency_ms: float, stopped: bool = False, view: str = "text", window: int = 0,
                 segment: int | None = None, segments: int = 0, coverage: float = 1.0,
                 policy: str | None = None) -> Verdict:
        score = float(scores[0])
        by_score = score >= t
        unchecked = unchecked_reasons(truncated, coverage, self.min_coverage)
        flagged = by_score or (bool(unchecked) and (policy or self.on_unchecked) == "flag")
        cat_scores = scores[1:]
        return Verdict(
            flagged=flagged, score=score, threshold=t,
            categories={c: bool(by_score and cat_scores[j] >= self._cat_thresholds[j])
                        for j, c in enumerate(CATEGORIES)},
            category_scores={c: float(cat_scores[j]) for j, c in enumerate(CATEGORIES)},
            role=role, truncated=truncated, chunks=chunks, model=self.model_id,
            latency_ms=latency_ms, views=views, stopped=stopped, view=view, window=window,
            segment=segment, segments=segments, coverage=coverage, unchecked=unchecked,
            bundle_verified=self.bundle_verified,
        )

    def _session_for(self, threads: int) -> Any:
        """The session (of this Guard's backend) with ``threads`` threads, opened on first use (thread-safe)."""
        _check_threads(threads, "num_threads")
        session = self._sessions.get(threads)
        if session is None:
            with self._sessions_lock:
                session = self._sessions.get(threads)
                if session is None:
                    root = self.manifest.path
                    assert root is not None
                    session = _OPENERS[self.backend](root / self.model_file, threads)
                    self._sessions[threads] = session
        return session


def _check_threads(threads: Any, what: str) -> None:
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"{what} must be a positive int, not {threads!r}")


def _check_max_chars(max_chars: Any) -> int:
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise ValueError(f"max_chars must be a positive int, not {max_chars!r}")
    return max_chars


def _validate(texts: Any, role: Any, contexts: Any) -> tuple[list[str], list[str], list[str]]:
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a list of str, not {type(texts).__name__}")
    texts = list(texts)
    for i, t in enumerate(texts):
        check_str(t, f"texts[{i}]")
    texts = [_valid_unicode(t) for t in texts]
    roles = list(role) if isinstance(role, (list, tuple)) else [role] * len(texts)
    if len(roles) != len(texts):
        raise ValueError(f"got {len(roles)} roles for {len(texts)} texts")
    for r in roles:
        if r not in ROLES:
            raise ValueError(f"role must be one of {list(ROLES)}, not {r!r}")
    ctxs = [""] * len(texts) if contexts is None else list(contexts)
    if len(ctxs) != len(texts):
        raise ValueError(f"got {len(ctxs)} contexts for {len(texts)} texts")
    for i, c in enumerate(ctxs):
        check_str(c, f"contexts[{i}]" if len(ctxs) > 1 else "context")
    return texts, roles, [_valid_unicode(c) for c in ctxs]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_unicode(text: str) -> str:
    """A str may hold lone surrogates (``json.loads('"\\ud800"')``) that no tokenizer accepts:
    pair them up where they form a pair, replace the rest by U+FFFD, and score the text anyway."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
