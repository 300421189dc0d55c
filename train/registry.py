"""The data registry: every seed-data source, its licence class and its loader.

Each source lives in ``train/sources/<name>.py`` and exposes ``NAME``, ``LICENCE``,
``LICENCE_CLASS``, an explicit mapping table and ``load(data_dir) -> Iterator[Record]``.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Iterator

from .records import Record

#: Every source with a loader, by folder name under ``shared/data``.
SOURCE_NAMES: tuple[str, ...] = (
    # harmful prompts and attacks
    "ailuminate_demo", "advbench", "strongreject", "navirocker_redteam", "harmfulqa_catqa",
    "cyberseceval_attacks", "sap200", "bipia", "toxigen_demonstrations", "davidson_hate",
    "do_not_answer", "gptfuzz",
    # mixed, conversations and benign sets
    "coconot", "hh_rlhf_harmless", "dices_990", "self_instruct", "awesome_chatgpt_prompts",
    "gsm8k", "mtbench_vicuna", "arena_hard", "gpteacher", "oasst_eval_prompts", "clinc150",
    "banking77", "convabuse", "hatemoji_build",
    # opt-in only (licence class other than permissive)
    "nq_open", "alpaca_instructions", "ethos", "olid", "malicious_instruct",
    "safety_tuned_llamas",
    # evaluation only: never trained on (the out-of-distribution yardstick reads it)
    "hatemoji_check",
)

DEFAULT_LICENCE_CLASSES: tuple[str, ...] = ("permissive",)


def default_data_dir() -> Path:
    """``$TINYGUARD_DATA``, else ``shared/data`` beside the checkout (or the working directory)."""
    env = os.environ.get("TINYGUARD_DATA")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parent.parent  # editable install: the checkout root
    for root in (checkout, Path.cwd()):
        candidate = root.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return checkout.parent / "shared" / "data"


def source_module(name: str) -> ModuleType:
    if name not in SOURCE_NAMES:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCE_NAMES)}")
    return importlib.import_module(f"{__package__}.sources.{name}")


def available_sources(licence_classes: tuple[str, ...] = DEFAULT_LICENCE_CLASSES) -> list[ModuleType]:
    """Loader modules whose licence class is allowed."""
    return [m for m in map(source_module, SOURCE_NAMES) if m.LICENCE_CLASS in licence_classes]


def load_all(data_dir: Path, licence_classes: tuple[str, ...] = DEFAULT_LICENCE_CLASSES) -> Iterator[Record]:
    for module in available_sources(licence_classes):
        yield from module.load(Path(data_dir))
