from __future__ import annotations

from dataclasses import replace

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
    with pytest.raises(FileNotFoundError, match="built-in configs: balanced, balanced-contrast, balanced-contrast-emoji, balanced-synthetic, default, default-v1, standard-consistency, standard-dro, standard-frozen, standard-grl, standard-llm-restyle, standard-lowlr, standard-restyle, synthetic, synthetic-noenc, tiny, tiny-synthetic"):
        load_config("nope")


def test_recipe_configs_differ_only_where_their_comments_say():
    v1, default, balanced, contrast = (load_config(n) for n in ("default-v1", "default", "balanced", "balanced-contrast"))
    assert "convabuse" not in v1.data.sources and default.data.sources == ()  # v1: the sets before 0.2
    assert v1.teacher == default.teacher and balanced.teacher.source_temperature == 2.0
    assert contrast.teacher == balanced.teacher and "contrast_templates" in contrast.data.sources
    emoji, synthetic = load_config("balanced-contrast-emoji"), load_config("balanced-synthetic")
    assert emoji.teacher == replace(contrast.teacher, emoji_names=True) and emoji.data == contrast.data
    assert synthetic.teacher == emoji.teacher and synthetic.data == emoji.data and synthetic.augment.enabled
    from tinyguard.train.registry import available_sources

    permissive = {m.NAME for m in available_sources()}
    assert set(contrast.data.sources) == permissive | {"contrast_templates"}


@pytest.mark.parametrize("loader", ["pipeline", "distill", "adversarial", "device"])
def test_every_config_goes_through_one_reader(loader, tmp_path):
    """Pipeline, distill, adversarial configs and device profiles: a misspelt key or a broken
    file stops with the file and the key named (tinyguard.configfile)."""
    from tinyguard.measure.bench import BenchError, load_profile
    from tinyguard.distill.config import load_distill_config
    from tinyguard.train.adversarial.config import load_adversarial_config

    load = {"pipeline": load_config, "distill": load_distill_config,
            "adversarial": load_adversarial_config, "device": load_profile}[loader]
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{broken} is not valid TOML: .*line 1"):
        load(str(broken))
    typo = tmp_path / "typo.toml"
    typo.write_text('nmae = "x"\n[budgets]\ncold_start_s = 1\n', encoding="utf-8")
    with pytest.raises((ValueError, BenchError), match="nmae"):
        load(str(typo))


def test_standard_frozen_is_the_emoji_recipe_with_lower_layers_frozen():
    emoji, frozen = load_config("balanced-contrast-emoji"), load_config("standard-frozen")
    assert frozen.data == emoji.data and frozen.teacher == replace(emoji.teacher, freeze_layers=3)
    assert "freeze_layers" not in emoji.teacher.stage_key()  # runs trained before it existed are reused
    assert frozen.teacher.stage_key()["freeze_layers"] == 3


def test_standard_llm_restyle_adds_only_the_generated_register_rewrites():
    rules, llm = load_config("standard-restyle"), load_config("standard-llm-restyle")
    assert llm.data == rules.data and llm.teacher == rules.teacher
    assert llm.augment == replace(rules.augment, seeds_per_label=1000, rewrites=1, rewrite_register_swap=True,
                                  generator=llm.augment.generator)
    assert llm.augment.generator.backend == "smollm2"
    assert llm.curate == replace(rules.curate, teacher_bundle="standard", truncation_min_tokens=48)
