"""Group DRO over (source, label) groups for the teacher (issue 20, shortcut-resistant training).

Why: group-balanced sampling gives every (source, label) group a fair share of the examples, but
the loss still averages over them, so a model can stay wrong on a hard group (real user text,
responses in context, casual harmful requests) while it fits the easy ones. Group DRO (Sagawa et
al., 2020) minimises a weighted loss whose weights follow each group's loss: the groups the model
gets most wrong weigh most. This is the smoothed online form: each group's loss is tracked as an
exponential moving average of its per-batch mean, and the weights are q = softmax(eta · ema),
scaled so that the average group weighs 1 (eta = 0 is plain ERM).
"""
from __future__ import annotations

import numpy as np
import torch


class GroupDRO:
    """Per-example loss multipliers from the running loss of each example's group."""

    def __init__(self, n_groups: int, eta: float, smoothing: float = 0.05):
        if n_groups < 1 or eta < 0 or not 0 < smoothing <= 1:
            raise ValueError("GroupDRO needs n_groups >= 1, eta >= 0 and smoothing in (0, 1]")
        self.eta, self.smoothing = float(eta), float(smoothing)
        self.ema = np.zeros(n_groups, np.float64)  # running loss per group
        self.seen = np.zeros(n_groups, bool)

    def group_weights(self) -> np.ndarray:
        """[G] weights, mean 1 over the groups seen so far (unseen groups weigh as the mean loss)."""
        ema = np.where(self.seen, self.ema, self.ema[self.seen].mean() if self.seen.any() else 0.0)
        z = self.eta * (ema - ema.max())
        q = np.exp(z)
        return q * (len(q) / q.sum())

    def update(self, groups: np.ndarray, losses: np.ndarray) -> None:
        """Fold one batch's per-example losses into each present group's running loss."""
        for g in np.unique(groups):
            mean = float(losses[groups == g].mean())
            self.ema[g] = mean if not self.seen[g] else (1 - self.smoothing) * self.ema[g] + self.smoothing * mean
            self.seen[g] = True

    def weigh(self, groups: torch.Tensor, losses: torch.Tensor) -> torch.Tensor:
        """Update with this batch's (detached) losses, then return its examples' multipliers [B]."""
        g = groups.cpu().numpy()
        self.update(g, losses.detach().float().cpu().numpy())
        return torch.from_numpy(self.group_weights()[g]).to(losses.device, losses.dtype)
