"""Round 5: label-noise detection with cleanlab (confident learning) over seed + synthetic.

The pool is the seed records (train and validation; a seeded sample of ``noise_seed_sample``
of them when that is set) plus the synthetic paraphrases, rewrites
and expansions left by round 4, with the teacher's probabilities ``[1 - p, p]`` as ``pred_probs``. Pooling with the
seed gives cleanlab enough examples to estimate per-class thresholds and noise rates.
:func:`cleanlab.filter.find_label_issues` ranks the issues by self-confidence (the most
confidently wrong first); flagged *synthetic* records are dropped as ``label_issue``, at most
``cfg.noise_max_drop_fraction`` of the synthetic pool, most confident first. Flagged *seed*
records are only counted and written to ``seed_label_issues.jsonl`` for the report: the seed
data stays fixed so that the with/without-synthetic ablation compares the same seed.

Caveats: the teacher was trained on the seed's train split, so its probabilities on those
records are in-sample (too confident; cleanlab flags fewer of them than out-of-sample
predictions would). Two kinds of candidates are left out of the pool and never dropped here,
because the teacher's view of them is known to be wrong in a systematic way:

* rule operators: the teacher is not expected to see through base64 or leetspeak, so its low
  score on an obfuscated unsafe text is a robustness gap, not label noise (their labels hold
  by construction);
* look-alikes (benign questions on unsafe topics): the teacher's bias toward "unsafe" on them
  is why round 4 lets the judge overrule it; cleanlab over teacher probabilities alone would
  undo exactly that and remove the hard negatives the synthetic data exists to add.
"""
from __future__ import annotations

import math
import random
import warnings
from pathlib import Path

import numpy as np

from ..candidates import Candidate
from .common import Decision, RoundContext, RoundOutput, count, write_rows
from .verify import teacher_probs

NAME = "noise"
VERSION = 1
CONFIG_KEYS = ("noise_max_drop_fraction", "noise_seed_sample", "seed")
SEED_ISSUES = "seed_label_issues.jsonl"
# not in the pool, never dropped (see above); a restyled text is the register a style-biased
# teacher would call a label error, which is the point of it
EXEMPT = ("operator", "restyle", "lookalike")


def find_issues(labels: np.ndarray, p_unsafe: np.ndarray) -> np.ndarray:
    """Indices of likely label errors, most confident first ([] when a class is missing)."""
    from cleanlab.filter import find_label_issues

    if len(labels) == 0 or len(set(labels.tolist())) < 2:
        return np.zeros(0, dtype=int)
    p = np.clip(p_unsafe, 1e-6, 1 - 1e-6)
    pred_probs = np.stack([1 - p, p], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small pools: cleanlab warns about few examples per class
        idx = find_label_issues(labels, pred_probs, filter_by="prune_by_noise_rate",
                                return_indices_ranked_by="self_confidence", n_jobs=1)
    return np.asarray(idx, dtype=int)


def run(cands: list[Candidate], ctx: RoundContext) -> RoundOutput:
    out = RoundOutput(kept=[])
    pool = [c for c in cands if c.method not in EXEMPT]
    seed = list(ctx.seed)
    if 0 < ctx.cfg.noise_seed_sample < len(seed):  # scoring all seed records costs ~10 min on 2 cores
        seed = random.Random(ctx.cfg.seed).sample(seed, ctx.cfg.noise_seed_sample)
    records = seed + [c.record for c in pool]
    p = teacher_probs(ctx, records)
    labels = np.array([int(r.label == "unsafe") for r in records], dtype=int)
    issues = find_issues(labels, p)

    n_seed = len(seed)
    cap = math.floor(ctx.cfg.noise_max_drop_fraction * len(pool))
    synthetic_issues = [int(i) - n_seed for i in issues if i >= n_seed]
    drop = {id(pool[j]): float(p[n_seed + j]) for j in synthetic_issues[:cap]}
    seed_issues = [int(i) for i in issues if i < n_seed]

    for c in cands:
        if id(c) in drop:
            out.decisions.append(Decision.of(5, NAME, "drop", "label_issue", c,
                                             detail=f"teacher={drop[id(c)]:.3f}"))
        else:
            out.kept.append(c)

    out.counts = {"pool": len(records), "synthetic_pool": len(pool), "flagged_synthetic": len(synthetic_issues),
                  "dropped": len(drop), "cap": cap, "flagged_seed": len(seed_issues),
                  "flagged_seed_by_split": count(seed[i].split or "train" for i in seed_issues)}
    if ctx.extras_dir is not None:
        write_rows(Path(ctx.extras_dir) / SEED_ISSUES,
                           [dict(seed[i].__dict__, teacher=round(float(p[i]), 4)) for i in seed_issues])
    return out
