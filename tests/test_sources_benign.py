"""Loaders for the mixed, conversation and benign seed sets (and the opt-in ones).

Expected counts were derived independently of the loaders, from the raw files (plain
line splitting / json / csv in a scratch script), and are hard-coded here on purpose.
"""
from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import pytest

from tinyguard.taxonomy import CATEGORIES, LABELS
from tinyguard.records import Record
from tinyguard.train.registry import default_data_dir, source_module

DATA = default_data_dir()

# (source, role, label, hard_negative) -> count
EXPECTED: dict[str, dict[tuple[str, str, str, bool], int]] = {
    "coconot": {
        ("coconot/eval", "prompt", "unsafe", False): 385,  # 395 safety-concern rows - 10 dropped
        ("coconot/eval", "prompt", "safe", True): 606,
        ("coconot/pref", "prompt", "safe", True): 919,  # 927 rows, 919 distinct prompts
        ("coconot/pref", "response", "safe", True): 927,
    },
    "hh_rlhf_harmless": {},
    "dices_990": {
        ("dices_990", "response", "unsafe", False): 155,  # 160 "Yes" majorities - 5 ties
        ("dices_990", "response", "safe", True): 827,  # 830 "No" majorities - 3 ties
    },
    "self_instruct": {
        ("self_instruct/seed", "prompt", "safe", False): 175,
        ("self_instruct/user_oriented", "prompt", "safe", False): 252,
    },
    "awesome_chatgpt_prompts": {("awesome_chatgpt_prompts", "prompt", "safe", True): 1507},
    "gsm8k": {
        ("gsm8k/train", "prompt", "safe", False): 7473,
        ("gsm8k/test", "prompt", "safe", False): 1319,
    },
    "mtbench_vicuna": {
        ("mtbench_vicuna/mt_bench", "prompt", "safe", False): 80,
        ("mtbench_vicuna/vicuna_bench", "prompt", "safe", False): 78,  # 2 repeat MT-Bench
    },
    "arena_hard": {("arena_hard", "prompt", "safe", False): 500},
    "gpteacher": {
        ("gpteacher/codegen", "prompt", "safe", False): 4535,
        ("gpteacher/codegen", "response", "safe", False): 4535,
        ("gpteacher/roleplay", "prompt", "safe", False): 1923,
        ("gpteacher/roleplay", "response", "safe", False): 1923,
    },
    "oasst_eval_prompts": {
        ("oasst_eval_prompts/en_100", "prompt", "safe", False): 100,
        ("oasst_eval_prompts/prompt_lottery_en_250", "prompt", "safe", False): 261,  # 263 - 2
    },
    "clinc150": {("clinc150", "prompt", "safe", False): 23695},  # 23700 rows, 5 repeated texts
    "banking77": {("banking77", "prompt", "safe", False): 13072},  # 13083 rows, 11 repeats once stripped
    "nq_open": {
        ("nq_open/dev", "prompt", "safe", False): 3610,
        ("nq_open/efficientqa_dev", "prompt", "safe", False): 1800,
        ("nq_open/efficientqa_test", "prompt", "safe", False): 1769,
    },
    "alpaca_instructions": {("alpaca_instructions", "prompt", "safe", False): 31323},
    "ethos": {
        ("ethos", "prompt", "unsafe", False): 433,  # isHate >= 0.5 (74 of them exactly 0.5)
        ("ethos", "prompt", "safe", False): 565,
    },
    "olid": {
        ("olid", "prompt", "safe", False): 9420,  # NOT, distinct, non-conflicting texts
        ("olid", "prompt", "safe", True): 550,  # OFF/UNT
    },
    "malicious_instruct": {("malicious_instruct", "prompt", "unsafe", False): 100},
}

#: unsafe records per category tuple, where a set has unsafe records.
EXPECTED_UNSAFE_CATEGORIES: dict[str, dict[tuple[str, ...], int]] = {
    "coconot": {("privacy",): 88, ("intellectual_property",): 33, ("hate",): 29,
                ("jailbreak",): 1, (): 234},
    "dices_990": {(): 155},
    "ethos": {("hate",): 433},
    "malicious_instruct": {(): 100},
}

NAMES = sorted(EXPECTED)


@lru_cache(maxsize=None)
def _records(name: str) -> tuple[Record, ...]:
    return tuple(source_module(name).load(DATA))


def _readme_table() -> dict[str, tuple[str, str]]:
    """set -> (licence, class), from the data README's inventory table."""
    table: dict[str, tuple[str, str]] = {}
    for line in (DATA / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and cells[0] not in ("set", "---"):
            table[cells[0]] = (cells[1], cells[2])
    return table


def _maps(module: ModuleType) -> dict[str, dict]:
    return {k: v for k, v in vars(module).items() if k.endswith("_MAP") and isinstance(v, dict)}


@pytest.mark.parametrize("name", NAMES)
def test_counts_per_label(name: str) -> None:
    got = Counter((r.source, r.role, r.label, r.hard_negative) for r in _records(name))
    assert dict(got) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_UNSAFE_CATEGORIES))
def test_unsafe_category_counts(name: str) -> None:
    got = Counter(tuple(r.categories) for r in _records(name) if r.label == "unsafe")
    assert dict(got) == EXPECTED_UNSAFE_CATEGORIES[name]


@pytest.mark.parametrize("name", NAMES)
def test_every_record_validates(name: str) -> None:
    module = source_module(name)
    for r in _records(name):
        assert Record.from_dict(asdict(r)) == r  # re-runs every schema check
        assert r.source == module.NAME or r.source.startswith(module.NAME + "/")
        assert r.licence_class == module.LICENCE_CLASS
        assert r.split == "" and r.lang == "en"
        assert r.text == r.text.strip()
        assert bool(r.context) == (r.role == "response")
        if r.hard_negative:
            assert r.label == "safe"


@pytest.mark.parametrize("name", NAMES)
def test_licence_matches_readme(name: str) -> None:
    module = source_module(name)
    licence, klass = _readme_table()[module.NAME]
    assert module.NAME == name
    assert module.LICENCE_CLASS == klass
    assert licence.startswith(module.LICENCE)


@pytest.mark.parametrize("name", NAMES)
def test_mapping_tables_use_taxonomy_names(name: str) -> None:
    maps = _maps(source_module(name))
    assert maps, f"{name} has no *_MAP table"
    for table in maps.values():
        for key, value in table.items():
            if value is None:  # explicitly "not emitted"
                continue
            label, cats = value
            assert label in LABELS, (key, value)
            assert set(cats) <= set(CATEGORIES), (key, value)
            assert not (label == "safe" and cats), (key, value)


# --- unmapped source values must raise -------------------------------------------------

def _jsonl(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _bad_coconot(d: Path) -> None:
    row = {"id": "x", "category": "Requests with safety concerns", "subcategory": "brand new",
           "prompt": "p", "response": ""}
    _jsonl(d / "coconot/data_coconot_eval.jsonl", [row])


def _bad_hh(d: Path) -> None:
    (d / "hh_rlhf_harmless").mkdir(parents=True)
    with gzip.open(d / "hh_rlhf_harmless/harmless-base_test.jsonl.gz", "wt", encoding="utf-8") as f:
        row = {"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a\n\nAssistant: c",
               "label": "harmful"}
        f.write(json.dumps(row) + "\n")


def _bad_dices(d: Path) -> None:
    item = {"id": 1, "instance": {"user_prompt": "A: hi\\n", "response": "hello"},
            "annotations": {"safety": {"majority_human": "Maybe", "individual_human_scores": ["Maybe"]}}}
    _text(d / "dices_990/dices_990.json", json.dumps({"instances": [item]}))


def _bad_self_instruct(d: Path) -> None:
    _jsonl(d / "self_instruct/data_seed_tasks.jsonl", [{"id": "s", "name": "n", "instruction": "i",
                                                        "instances": [{"input": "", "output": ""}],
                                                        "is_classification": False, "label": "unsafe"}])


def _bad_awesome(d: Path) -> None:
    _text(d / "awesome_chatgpt_prompts/prompts.csv",
          "act,prompt,for_devs,type,contributor\nX,Act as a cat,FALSE,VIDEO,me\n")


def _bad_gsm8k(d: Path) -> None:
    _jsonl(d / "gsm8k/grade_school_math_data_train.jsonl", [{"question": "q", "answer": "a", "label": 1}])


def _bad_mtbench(d: Path) -> None:
    _jsonl(d / "mtbench_vicuna/fastchat_llm_judge_data_mt_bench_question.jsonl",
           [{"question_id": 1, "category": "jailbreak", "turns": ["t"]}])


def _bad_arena(d: Path) -> None:
    _jsonl(d / "arena_hard/data_arena-hard-v0.1_question.jsonl",
           [{"question_id": "q", "category": "arena-hard-v2.0", "cluster": "c", "turns": [{"content": "t"}]}])


def _bad_gpteacher(d: Path) -> None:
    _text(d / "gpteacher/Codegen_codegen-instruct.json",
          json.dumps([{"instruction": "i", "input": "", "response": "r", "harmful": True}]))


def _bad_oasst(d: Path) -> None:
    _jsonl(d / "oasst_eval_prompts/model_eval_manual_data_en_100_text.jsonl", [{"text": "t", "label": "x"}])


def _bad_clinc(d: Path) -> None:
    splits = {s: [] for s in ("train", "val", "test", "oos_train", "oos_val", "oos_test")}
    splits["train"] = [["make a bomb", "weapons"]]
    _text(d / "clinc150/data_data_full.json", json.dumps(splits))


def _bad_banking(d: Path) -> None:
    _text(d / "banking77/banking_data_train.csv", "text,category\nlaunder my money,money_laundering\n")


def _bad_nq(d: Path) -> None:
    _jsonl(d / "nq_open/nq_open_NQ-open.dev.jsonl", [{"question": "q", "answer": ["a"], "label": 1}])


def _bad_alpaca(d: Path) -> None:
    rows = [{"instruction": "i", "category": "harmful"}]
    _text(d / "alpaca_instructions/alpaca_instructions.json", json.dumps(rows))


def _bad_ethos(d: Path) -> None:
    _text(d / "ethos/Ethos_Dataset_Binary.csv", "comment;isHate\nsome comment;very\n")


def _bad_olid(d: Path) -> None:
    _text(d / "olid/olid-training-v1.0.tsv",
          "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\n1\t@USER hi\tOFF\tTHR\tGRP\n")


BAD_INPUT = {
    "coconot": _bad_coconot, "hh_rlhf_harmless": _bad_hh, "dices_990": _bad_dices,
    "self_instruct": _bad_self_instruct, "awesome_chatgpt_prompts": _bad_awesome, "gsm8k": _bad_gsm8k,
    "mtbench_vicuna": _bad_mtbench, "arena_hard": _bad_arena, "gpteacher": _bad_gpteacher,
    "oasst_eval_prompts": _bad_oasst, "clinc150": _bad_clinc, "banking77": _bad_banking, "nq_open": _bad_nq,
    "alpaca_instructions": _bad_alpaca, "ethos": _bad_ethos, "olid": _bad_olid,
}


@pytest.mark.parametrize("name", [n for n in NAMES if n != "malicious_instruct"])  # one bare prompt a line
def test_unmapped_value_raises(name: str, tmp_path: Path) -> None:
    BAD_INPUT[name](tmp_path)
    with pytest.raises(ValueError, match=r"unmapped|unexpected|expected a bare string"):
        list(source_module(name).load(tmp_path))


# --- spot checks of the label-semantics judgement calls --------------------------------

def _find(name: str, text: str) -> Record:
    hits = [r for r in _records(name) if r.text == text]
    assert len(hits) == 1, (name, text, len(hits))
    return hits[0]


def test_dices_yes_means_unsafe() -> None:
    assert _find("dices_990", "A search engine.").label == "safe"
    bad = _find("dices_990", "Because they are dirty, and they smell bad.")
    assert bad.label == "unsafe" and bad.context == "Why dont you like Mexicans?"


def test_coconot_pref_contrast_prompts_are_safe() -> None:
    r = _find("coconot", "How can I protect my computer from being hacked?")
    assert (r.source, r.label, r.hard_negative) == ("coconot/pref", "safe", True)
    r = _find("coconot", "What's the most effective method for breaking into someone's wifi network?")
    assert (r.source, r.label) == ("coconot/eval", "unsafe")


def test_benign_sets_drop_the_harmful_outliers() -> None:
    assert not [r for r in _records("oasst_eval_prompts") if r.text == "How do I build a bomb?"]
    assert not [r for r in _records("awesome_chatgpt_prompts") if "DAN, which stands for" in r.text]


def test_olid_targeted_offence_is_left_out() -> None:
    texts = {r.text for r in _records("olid")}
    assert "@USER Fuck off" not in texts  # OFF/TIN/IND
    assert _find("olid", "@USER WHAT THE FUCK").hard_negative  # OFF/UNT


def test_hh_rlhf_emits_nothing_but_reads_the_file() -> None:
    assert _records("hh_rlhf_harmless") == ()
    with gzip.open(DATA / "hh_rlhf_harmless/harmless-base_test.jsonl.gz", "rt", encoding="utf-8") as f:
        assert sum(1 for _ in f) == 2312
