"""The one training loop: the teacher (train/teacher.py) and the students (distill/train.py)
take their optimizer steps here, so clipping, scheduling and the step count cannot drift apart.

A caller brings what differs: the batches (re-iterated as epochs until ``steps``), the loss of a
batch, the optimizer and schedule, and, under ``accelerate``, its ``backward`` and gradient
clipping. torch is imported at the top: this module is only imported by code that trains.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

MAX_GRAD_NORM = 1.0


def train_steps(model: nn.Module, batches: Iterable[Any], loss_of: Callable[[Any], torch.Tensor], opt: Any,
                sched: Any, steps: int, *, desc: str, progress: bool = True,
                backward: Callable[[torch.Tensor], None] | None = None,
                clip: Callable[[Any, float], Any] | None = None) -> list[float]:
    """``steps`` optimizer steps over ``batches`` (iterated again for each epoch): loss, backward,
    gradients clipped to :data:`MAX_GRAD_NORM`, step, schedule step. Returns every step's loss;
    the model is left in train mode. A tqdm bar shows the running loss when ``progress``."""
    from tqdm.auto import tqdm

    backward = backward or torch.Tensor.backward
    clip = clip or nn.utils.clip_grad_norm_
    params = [p for p in model.parameters() if p.requires_grad]
    model.train()
    losses: list[float] = []
    with tqdm(total=steps, desc=desc, unit="step", mininterval=2.0, disable=not progress) as bar:
        while len(losses) < steps:
            before = len(losses)
            for batch in batches:
                loss = loss_of(batch)
                backward(loss)
                clip(params, MAX_GRAD_NORM)
                opt.step()
                sched.step()
                opt.zero_grad()
                losses.append(float(loss.detach()))
                bar.update(1)
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
                if len(losses) >= steps:
                    break
            if len(losses) == before:
                raise ValueError("the training batches are empty: nothing to train on")
    return losses
