"""A source-adversarial head with gradient reversal for the teacher (issue 20, shortcut-resistant training).

Why: the seed sources' register predicts their label (formal imperatives are mostly harmful, casual
questions mostly benign), and fine-tuning learns that shortcut. A small head here tries to tell
which source a record came from, given its pooled vector *and its label*; the gradient that reaches
the encoder through it is reversed (Ganin & Lempitsky, 2015), so the encoder is pushed to keep only
what the label needs and to drop what tells sources apart beyond it. Giving the head the label
matters: sources differ in label mix, and the encoder must keep that difference.

The reversal's strength ramps from 0 to ``weight`` along training (the paper's 2/(1+exp(-10p)) - 1),
so the guard head learns the task before the encoder is pushed to forget the sources. The head is
training-only: it is not saved with the teacher and nothing downstream reads it.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class _GradientReversal(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by ``-scale``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:  # type: ignore[override]
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.scale * grad, None


def reverse_gradient(x: torch.Tensor, scale: float) -> torch.Tensor:
    """``x`` unchanged, with its gradient reversed and scaled by ``scale`` on the way back."""
    return _GradientReversal.apply(x, scale)


def reversal_scale(weight: float, progress: float) -> float:
    """The ramped reversal strength at ``progress`` in [0, 1] of training: 0 at the start, ~weight at the end."""
    p = min(max(progress, 0.0), 1.0)
    return weight * (2.0 / (1.0 + math.exp(-10.0 * p)) - 1.0)


class SourceAdversary(nn.Module):
    """Predicts a record's source from its pooled vector (through gradient reversal) and its label."""

    def __init__(self, hidden: int, n_sources: int, width: int = 128):
        super().__init__()
        if n_sources < 2:
            raise ValueError("a source adversary needs at least two sources to tell apart")
        self.net = nn.Sequential(nn.Linear(hidden + 1, width), nn.ReLU(), nn.Linear(width, n_sources))
        self.accuracy = 0.0  # running accuracy of its source guesses (what the encoder still gives away)
        self._seen = False

    def loss(self, pooled: torch.Tensor, label: torch.Tensor, source: torch.Tensor, scale: float) -> torch.Tensor:
        """Mean cross-entropy of the source guess [scalar]; the encoder receives its reversed gradient."""
        z = torch.cat([reverse_gradient(pooled, scale), label.unsqueeze(1).to(pooled.dtype)], dim=1)
        logits = self.net(z)  # [B, S]
        acc = float((logits.argmax(1) == source).float().mean())
        self.accuracy = acc if not self._seen else 0.98 * self.accuracy + 0.02 * acc
        self._seen = True
        return nn.functional.cross_entropy(logits, source)
