"""Any local transformers causal LM (a model folder, or a .gguf file), batched on CPU."""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import INSTALL_HINT
from ..config import GeneratorConfig
from .base import GeneratorError, Progress, check_prompts, first_line, message, smollm2_gguf_path


class TransformersGenerator:
    """``cfg.model``: a local model folder or a ``.gguf`` file (dequantized to fp32 at load,
    slow: ~1 min for SmolLM2-135M on 2 cores); empty = the packaged SmolLM2 GGUF. Never
    downloads. Prompts go ``cfg.batch_size`` at a time, left-padded; a batch starting at prompt
    ``i`` is sampled with ``torch.manual_seed(seed + i)``, so replies depend on the batching."""

    def __init__(self, cfg: GeneratorConfig, *, progress: bool = False) -> None:
        tok, model, self.name = load_causal_lm(cfg.model, cfg.threads)
        tok.padding_side = "left"
        eos = model.generation_config.eos_token_id
        eos_ids = sorted({*(eos if isinstance(eos, list) else [eos]), tok.eos_token_id} - {None})
        if tok.pad_token_id is None:
            pad = model.generation_config.pad_token_id
            if pad is None and not eos_ids:
                raise GeneratorError(f"{self.name}: the tokenizer has neither a pad nor an eos token")
            tok.pad_token_id = pad if pad is not None else eos_ids[0]
        self.cfg, self._progress = cfg, progress
        self._tok, self._model, self._eos_ids = tok, model.eval(), eos_ids

    def _texts(self, prompts: list[str], complete: bool) -> list[str]:
        if complete or not self._tok.chat_template:  # a base model or a few-shot pattern: the prompt as is
            return prompts
        return [self._tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                              add_generation_prompt=True) for p in prompts]

    def generate(self, prompts: Sequence[str], *, max_tokens: int | None = None,
                 temperature: float | None = None, seed: int | None = None, complete: bool = False) -> list[str]:
        import torch

        if self._model is None:
            raise GeneratorError(f"{self.name} is closed")
        prompts = check_prompts(prompts)
        base = self.cfg.seed if seed is None else seed
        temp = self.cfg.temperature if temperature is None else temperature
        sampling = {"do_sample": True, "temperature": temp, "top_p": self.cfg.top_p} if temp > 0 else \
            {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        step = max(1, self.cfg.batch_size)
        out: list[str] = []
        with Progress(len(prompts), self._progress, self.name) as bar, torch.inference_mode():
            for start in range(0, len(prompts), step):
                chunk = prompts[start:start + step]
                enc = self._tok(self._texts(chunk, complete), return_tensors="pt", padding=True,
                                return_token_type_ids=False,
                                add_special_tokens=complete or not self._tok.chat_template)  # ids: [batch, prompt_len]
                torch.manual_seed(base + start)
                ids = self._model.generate(  # [batch, prompt_len + new]
                    **enc, max_new_tokens=self.cfg.max_tokens if max_tokens is None else max_tokens,
                    pad_token_id=self._tok.pad_token_id, eos_token_id=self._eos_ids or None, **sampling)
                new = ids[:, enc["input_ids"].shape[1]:]
                texts = self._tok.batch_decode(new, skip_special_tokens=True)
                out += [first_line(t) if complete else t.strip() for t in texts]
                bar.update(len(chunk))
        return out

    def close(self) -> None:
        self._model = None
        self._tok = None


def load_causal_lm(model: str, threads: int) -> tuple[Any, Any, str]:
    """(tokenizer, fp32 model, display name) from a local folder or ``.gguf`` file; empty
    ``model`` = the packaged SmolLM2 GGUF. Never downloads. Also loads the adversarial
    attacker's base model (train/adversarial/policy.py), which trains a LoRA adapter on it."""
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise GeneratorError(f"the transformers backend needs {', '.join(missing)}; install it with: {INSTALL_HINT}")
    path = Path(model).expanduser() if model else smollm2_gguf_path()
    if not path.exists():
        raise GeneratorError(f"model path {path} does not exist (the transformers backend loads local files only)")
    gguf_file = None
    if path.is_file():
        if path.suffix != ".gguf":
            raise GeneratorError(f"{path} is a file but not a .gguf; give a model folder or a .gguf file")
        if importlib.util.find_spec("gguf") is None:
            raise GeneratorError(f"loading a .gguf with transformers needs the gguf package; install it with: {INSTALL_HINT}")
        path, gguf_file = path.parent, path.name
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(max(1, threads))
    kw = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tok = AutoTokenizer.from_pretrained(path, local_files_only=True, **kw)
        lm = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=torch.float32, **kw)
    except (OSError, ValueError, KeyError) as e:
        raise GeneratorError(f"transformers could not load {path / (gguf_file or '')}: {message(e)}") from e
    return tok, lm, f"transformers:{gguf_file or path.name}"
