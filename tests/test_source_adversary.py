"""The source adversary (train/source_adversary.py): the reversal flips and scales the gradient, its
strength ramps from 0, and the head learns the source when nothing pushes back (the teacher loop with
``source_adversary_weight`` is run in test_training_learns.py, beside its tiny encoder)."""
from __future__ import annotations

import pytest
from optional_deps import require

torch = require("torch")

from tinyguard.train.source_adversary import SourceAdversary, reversal_scale, reverse_gradient  # noqa: E402


def test_the_reversal_is_the_identity_forward_and_flips_the_gradient_backward() -> None:
    x = torch.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    y = reverse_gradient(x, 0.5)
    assert torch.equal(y, x)
    (y * torch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert x.grad.tolist() == [[-0.5, -1.0, -1.5]]


def test_the_strength_ramps_from_zero_to_the_weight() -> None:
    assert reversal_scale(0.3, 0.0) == 0.0
    assert reversal_scale(0.3, 0.1) == pytest.approx(0.3 * (2 / (1 + torch.e ** -1) - 1))
    assert 0.299 < reversal_scale(0.3, 1.0) < 0.3
    assert reversal_scale(0.3, 2.0) == reversal_scale(0.3, 1.0)  # clamped past the end
    steps = [reversal_scale(1.0, p / 10) for p in range(11)]
    assert steps == sorted(steps)


def test_the_head_learns_sources_the_features_give_away_and_pushes_the_features_back() -> None:
    torch.manual_seed(0)
    n = 64
    source = torch.arange(n) % 2  # source 1 has a positive first feature, source 0 a negative one
    label = (torch.arange(n) // 2 % 2).float()  # independent of the source
    feats = torch.randn(n, 8) * 0.1
    feats[:, 0] += source.float() * 2 - 1
    adversary = SourceAdversary(8, 2, width=16)
    opt = torch.optim.Adam(adversary.parameters(), lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        adversary.loss(feats, label, source, scale=0.0).backward()
        opt.step()
    assert adversary.accuracy > 0.9  # (a running mean) a positive control: the features do give the source away
    pooled = feats.clone().requires_grad_(True)
    loss = adversary.loss(pooled, label, source, scale=1.0)
    loss.backward()
    # the reversed gradient points where the loss grows: a step along -grad makes sources harder to tell
    with torch.no_grad():
        after = adversary.loss(pooled - 0.5 * pooled.grad / pooled.grad.norm(), label, source, scale=1.0)
    assert float(after) > float(loss)


def test_one_source_is_refused() -> None:
    with pytest.raises(ValueError, match="at least two sources"):
        SourceAdversary(8, 1)
