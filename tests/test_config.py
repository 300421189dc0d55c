from __future__ import annotations

import pytest

from tinyguard.train.config import load_config


def test_builtin_configs_load():
    tiny, default = load_config("tiny"), load_config("default")
    assert tiny.teacher.max_steps > 0 and default.teacher.max_steps == 0
    assert default.data.licence_classes == ("permissive",)


def test_unknown_keys_and_names_are_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[teacher]\nlearning_rate = 1\n")
    with pytest.raises(ValueError, match="unknown keys in \\[teacher\\]: learning_rate"):
        load_config(str(bad))
    with pytest.raises(FileNotFoundError, match="built-in configs: default, synthetic, synthetic-noenc, tiny, tiny-synthetic"):
        load_config("nope")
