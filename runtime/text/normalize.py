"""Text normalization applied before tokenization, identically in training and at runtime.

Why: obfuscation (full-width letters, zero-width joiners, variation selectors) should not
change what the model sees. Settings are recorded in the bundle manifest.
"""
from __future__ import annotations

import re
import unicodedata

# Zero-width and invisible format characters, variation selectors and Unicode tag characters.
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufe00-\ufe0f\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

SETTINGS: dict[str, bool] = {"nfkc": True, "strip_invisible": True, "strip_control": True}


def strip_invisible(text: str) -> str:
    """``text`` without zero-width, bidi-control, variation-selector and tag characters."""
    return _INVISIBLE.sub("", text)


def normalize(text: str) -> str:
    """NFKC-fold ``text`` and drop invisible and control characters. Idempotent."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return unicodedata.normalize("NFKC", text)
