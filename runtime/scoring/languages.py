"""Which Latin-script stretches of a text are in a language the model was not trained on.

Why: script coverage (:func:`tinyguard.scoring.coverage.sentence_coverage`) sees Cyrillic or
Chinese, but German, Spanish or Vietnamese are written in the Latin letters the model reads, so
it scores them -- and scores noise (issue 21: a harmful German request caught 2 times in 10,
benign French flagged 6 times in 10). A sentence in a language outside the bundle's
``languages`` (manifest; English when absent) is therefore unread, like a script the model
cannot read.

Detector: py3langid 0.4.0 (BSD-3; langid.py's naive Bayes over byte n-grams, pure Python and
numpy, its model inside the wheel, loaded without pickle), restricted to :data:`LANGUAGES`.
Chosen over CLD2 (``pycld2``, a C++ extension) because the same classifier, exported with the
same language set, runs in the TypeScript runtime (``js/``): both runtimes give the same
verdicts (``docs/bundle-spec.md``, step ``language-id``). Its size, start-up and accuracy on the
seed data's languages: ``tools/langid_accuracy.py`` and README, "Languages it reads".

The rule, exactly (the spec repeats it for ports): a stretch is a sentence of the piece
(:func:`tinyguard.scoring.segments.sentence_spans`) with at least :data:`MIN_LETTERS` Latin
letters and no code-like character; when no sentence qualifies, the whole piece when it has
:data:`WHOLE_MIN_LETTERS` Latin letters and at most :data:`CODE_SHARE` of its characters are
code-like. The stretch, as it stands (not stripped), is classified over :data:`LANGUAGES`; the
call counts when its probability is at least :data:`MIN_CONFIDENCE`, and the stretch is foreign
when that language is not one the bundle names.
"""
from __future__ import annotations

import lzma
import re
import struct
from array import array
from pathlib import Path
from typing import Any, Sequence

import numpy as np

#: The languages the detector chooses among (py3langid codes): every Latin-script language of
#: the seed data (en, fr, de, es, vi) and the most common other ones. A port exports py3langid's
#: model restricted to exactly these, in this order.
LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "vi", "it", "pt", "nl", "pl", "tr", "id", "sv", "da", "no", "fi", "cs", "sk",
    "ro", "hu", "hr", "ca", "tl", "sw",
)
DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)  # a bundle whose manifest names none
MIN_LETTERS = 16  # Latin letters in a sentence for a language call
WHOLE_MIN_LETTERS = 40  # ... in a whole text whose sentences are each too short
CODE_SHARE = 0.01  # a whole text with more code-like characters than this is not called
MIN_CONFIDENCE = 0.9  # probability (py3langid's normalised score) a call needs to count
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")
CODE_CHAR = re.compile(r"[{}()=;$<>\[\]_\\|#@*/`]")
_identifier: Any = None


def identifier() -> Any:
    """py3langid's classifier restricted to :data:`LANGUAGES`, loaded on first use (a text with
    no sentence to call never loads it). Read in one pass from the compressed model (see
    :func:`_npz_members`): py3langid's own loader copies the 68 MB model through a temporary file,
    and reading it whole into memory tripled the process's peak (89 -> 241 MB)."""
    global _identifier
    if _identifier is None:
        import py3langid  # (0.1 s to import: loaded by the first text with a sentence to call)
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        arrays: dict[str, Any] = {}
        keep: list[int] = []
        with lzma.open(Path(py3langid.__file__).parent / MODEL_FILE) as stream:
            for name, value in _npz_members(stream, packed=("nextmove", "nextmove_row")):
                if name == "classes":
                    classes = value.tolist()
                    # the columns set_languages(LANGUAGES) keeps, in the model's order
                    keep = [i for i, code in enumerate(classes) if code in LANGUAGES]
                    arrays["classes"] = [classes[i] for i in keep]
                else:
                    arrays[name] = value
        ptc, pc = arrays.pop("ptc"), arrays.pop("pc")
        arrays["ptc"], arrays["pc"] = np.ascontiguousarray(ptc[:, keep]), pc[keep]
        del ptc
        _identifier = LanguageIdentifier(arrays["ptc"], arrays["pc"], arrays["classes"], arrays["nextmove"],
                                         arrays["out_feat"].tolist(), norm_probs=True, tk_row=arrays["nextmove_row"])
    return _identifier


_ZIP_ENTRY = struct.Struct("<4sHHHHHIIIHH")  # a zip local file header
_PACKED = {2: "H", 4: "I", 8: "L"}


def _npz_members(stream: Any, packed: tuple[str, ...] = ()) -> Any:
    """(name, array) of each member of an uncompressed ``.npz`` read from ``stream`` front to back
    (no seek: an LZMA stream), each read straight into its array. Members named in ``packed`` come
    as stdlib arrays, the form py3langid walks its DFA in. ValueError on any other layout."""
    while True:
        head = stream.read(_ZIP_ENTRY.size)
        if head[:4] != b"PK\x03\x04":
            return  # the central directory: every member read
        _, _, flags, method, _, _, _, size, _, name_len, extra_len = _ZIP_ENTRY.unpack(head)
        name = stream.read(name_len).decode()
        extra = stream.read(extra_len)
        if method != 0 or flags & 8 or not name.endswith(".npy"):
            raise ValueError(f"language model: unexpected member {name!r}")
        if size == 0xFFFFFFFF:  # zip64: the sizes are in the extra field (tag 1: uncompressed, compressed)
            tag, _, size = struct.unpack("<HHQ", extra[:12])
            if tag != 1:
                raise ValueError("language model: unexpected zip64 field")
        start = stream.tell()
        version = np.lib.format.read_magic(stream)
        shape, fortran, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                 else np.lib.format.read_array_header_2_0)(stream)
        if fortran or dtype.hasobject:
            raise ValueError(f"language model: unexpected array {name!r}")
        count = int(np.prod(shape))
        if name[:-4] in packed:
            out: Any = array(_PACKED[dtype.itemsize], [0]) * count
            view = memoryview(out).cast("B")
        else:
            out = np.empty(shape, dtype)
            view = memoryview(out.reshape(-1).view(np.uint8))
        while view:
            n = stream.readinto(view[: 1 << 20])
            if not n:
                raise ValueError("language model: truncated")
            view = view[n:]
        if stream.tell() - start != size:
            raise ValueError(f"language model: {name!r} is not the size its entry says")
        yield name[:-4], out


def detect(text: str) -> str | None:
    """The language of ``text`` among :data:`LANGUAGES` when its probability is at least
    :data:`MIN_CONFIDENCE`, else None."""
    code, confidence = identifier().classify(text)
    return code if confidence >= MIN_CONFIDENCE else None


def called(stretch: str) -> bool:
    """Whether a sentence is long enough, and free of code, for a language call."""
    return len(LATIN_LETTER.findall(stretch)) >= MIN_LETTERS and not CODE_CHAR.search(stretch)


def foreign_spans(text: str, spans: Sequence[tuple[int, int]], languages: Sequence[str]) -> list[tuple[int, int]]:
    """The ``spans`` (sentences of ``text``) written in a language outside ``languages``; the
    whole text when no sentence is long enough to call but the text is."""
    allowed = set(languages)
    out: list[tuple[int, int]] = []
    any_called = False
    for start, end in spans:
        if not called(text[start:end]):
            continue
        any_called = True
        code = detect(text[start:end])
        if code is not None and code not in allowed:
            out.append((start, end))
    if not any_called and len(LATIN_LETTER.findall(text)) >= WHOLE_MIN_LETTERS \
            and len(CODE_CHAR.findall(text)) <= CODE_SHARE * len(text):
        code = detect(text)
        if code is not None and code not in allowed:
            out.append((0, len(text)))
    return out
