"""Emoji read as words (runtime/text/emoji.py, ``EncodingConfig.emoji_names``).

Before it, every pictograph was ``[UNK]`` for the MiniLM vocabulary, and took the word it touched
with it; hateful text written in emoji was read with its key word missing.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fixtures_bundle import build_bundle, build_tokenizer
from tinyguard import Guard
from tinyguard.bundle.manifest import BundleError
from tinyguard.text.emoji import name_emoji
from tinyguard.text.encoding import EncodingConfig, TextEncoder
from tinyguard.text.normalize import normalize


@pytest.mark.parametrize("text, named", [
    ("I want to 🔪 all women", "I want to  kitchen knife  all women"),  # HOCHO renamed
    ("🚯means no 💩", " do not litter symbol means no  pile of poo "),  # the glued word survives
    (normalize("you are 🅿️r🅾️ 👍🏽"), "you are pro  thumbs up sign "),  # enclosed letters; skin tone dropped
    ("b💣o💣m💣b", "b bomb o bomb m bomb b"),
])
def test_pictographs_become_words(text: str, named: str) -> None:
    out, source = name_emoji(text)
    assert out == named
    assert source is not None and len(source) == len(out) + 1 and source[-1] == len(text)
    assert all(0 <= s <= len(text) for s in source) and np.all(np.diff(source) >= 0)


def test_plain_text_untouched() -> None:
    assert name_emoji("how do I kill a zombie process?") == ("how do I kill a zombie process?", None)
    assert name_emoji("naïve café — 東京") == ("naïve café — 東京", None)


def test_encoding_config_round_trip_keeps_old_manifests_equal() -> None:
    old = {"max_length": 128, "context_tokens": 32, "stride": 16, "max_chunks": 64}
    assert EncodingConfig.from_dict(old).emoji_names is False
    assert EncodingConfig.from_dict(old).to_dict() == old  # an old bundle's encoding reads back unchanged
    on = EncodingConfig(emoji_names=True)
    assert on.to_dict()["emoji_names"] is True and EncodingConfig.from_dict(on.to_dict()) == on


@pytest.fixture(scope="module")
def tokenizer_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tokenizer(tmp_path_factory.mktemp("tok") / "tokenizer.json")


def test_tokens_of_a_name_span_its_pictograph(tokenizer_path: Path) -> None:
    plain = TextEncoder.from_file(str(tokenizer_path), EncodingConfig(max_length=32))
    named = TextEncoder.from_file(str(tokenizer_path), EncodingConfig(max_length=32, emoji_names=True))
    text = "a 💣 now"
    bomb = named.tokenizer.token_to_id("bomb")
    assert bomb not in plain.tokenize(text).ids.tolist()
    toks = named.tokenize(text)
    i = toks.ids.tolist().index(bomb)
    assert (toks.starts[i], toks.ends[i]) == (2, 3)  # the pictograph's own character
    assert np.all(toks.ends <= len(text)) and np.all(np.diff(toks.starts) >= 0)
    assert toks.between(2, 3) == (i, i + 1)  # a segment around the pictograph holds its name
    assert named._ids(text) == toks.ids.tolist()  # training's encode and the guard's tokenize agree
    assert bomb in named.encode(text).input_ids[0].tolist()


def _bundle(tmp: Path, emoji_names: object) -> Path:
    root = build_bundle(tmp)
    path = root / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["encoding"]["emoji_names"] = emoji_names
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return root


def test_guard_reads_emoji_only_in_a_bundle_trained_that_way(tmp_path: Path) -> None:
    text = "leave a 💣 at the station"
    old = Guard.load(build_bundle(tmp_path / "old"), defenses=False)
    new = Guard.load(_bundle(tmp_path / "new", True), defenses=False, allow_unsigned=True)  # (edited)
    assert not old.check(text).flagged  # the fixture model flags the word "bomb" only
    assert new.check(text).flagged
    assert not new.check("leave a 🌷 at the station").flagged


def test_manifest_emoji_names_must_be_a_bool(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="emoji_names"):
        Guard.load(_bundle(tmp_path, 1), allow_unsigned=True)
