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
    with pytest.raises(FileNotFoundError, match="built-in configs: balanced, balanced-contrast, default, default-v1, synthetic, synthetic-noenc, tiny, tiny-synthetic"):
        load_config("nope")


def test_recipe_configs_differ_only_where_their_comments_say():
    v1, default, balanced, contrast = (load_config(n) for n in ("default-v1", "default", "balanced", "balanced-contrast"))
    assert "convabuse" not in v1.data.sources and default.data.sources == ()  # v1: the sets before 0.2
    assert v1.teacher == default.teacher and balanced.teacher.source_temperature == 2.0
    assert contrast.teacher == balanced.teacher and "contrast_templates" in contrast.data.sources
    from tinyguard.train.registry import available_sources

    permissive = {m.NAME for m in available_sources()}
    assert set(contrast.data.sources) == permissive | {"contrast_templates"}
