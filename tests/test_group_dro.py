"""Group DRO (train/group_dro.py): the weights follow each group's running loss (the teacher loop
with ``group_dro_eta`` is run in test_training_learns.py, beside its tiny encoder)."""
from __future__ import annotations


import numpy as np
import pytest
from optional_deps import require

torch = require("torch")

from tinyguard.train.group_dro import GroupDRO  # noqa: E402


def test_weights_follow_the_running_loss_and_average_one() -> None:
    dro = GroupDRO(3, eta=2.0, smoothing=0.5)
    assert np.allclose(dro.group_weights(), 1.0)  # nothing seen: plain ERM
    dro.update(np.array([0, 0, 1, 2]), np.array([1.0, 0.0, 0.1, 0.1]))  # group 0 mean 0.5, first sight
    assert dro.ema.tolist() == pytest.approx([0.5, 0.1, 0.1])
    w = dro.group_weights()
    assert w.mean() == pytest.approx(1.0) and w[0] > w[1] == pytest.approx(w[2])
    assert w[0] / w[1] == pytest.approx(np.exp(2.0 * 0.4))  # softmax(eta · ema)
    dro.update(np.array([0]), np.array([0.1]))  # later sights are smoothed: 0.5 · 0.5 + 0.5 · 0.1
    assert dro.ema[0] == pytest.approx(0.3)


def test_unseen_groups_weigh_as_the_mean_and_eta_zero_is_erm() -> None:
    dro = GroupDRO(3, eta=1.0)
    dro.update(np.array([0, 1]), np.array([1.0, 0.0]))
    w = dro.group_weights()
    assert w[0] > w[2] > w[1]  # group 2 unseen: the mean running loss, 0.5
    erm = GroupDRO(2, eta=0.0)
    erm.update(np.array([0, 1]), np.array([5.0, 0.0]))
    assert np.allclose(erm.group_weights(), 1.0)
    multipliers = dro.weigh(torch.tensor([0, 1, 1]), torch.tensor([1.0, 0.0, 0.0]))
    assert multipliers.shape == (3,) and float(multipliers[0]) > float(multipliers[1])
    with pytest.raises(ValueError):
        GroupDRO(2, eta=-1.0)
