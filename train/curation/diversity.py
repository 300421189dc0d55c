"""Round 6: diversity selection with k-means over sentence embeddings, and per-category caps.

The synthetic LLM candidates are embedded (``embed(texts) -> [N, D]``, rows L2-normalised
here) and clustered with k-means (``min(cfg.clusters, N)`` clusters, seeded by ``cfg.seed``;
MiniBatchKMeans above 20 000 texts). Candidates are then taken in a fixed order and kept
until their cluster holds ``cfg.max_per_cluster`` (``cluster_cap``) or one of their
(label, category) buckets holds ``cfg.max_per_category`` (``category_cap``; safe records all
count in one "safe" bucket, unsafe records with no category in "unsafe/none").

Order: a shuffle seeded by ``cfg.seed``, then a stable sort by method, look-alikes and
expansions first (they add what the seed lacks: hard negatives and thin categories), then
paraphrases and rewrites (restatements of seed texts), then rule operators (cheap to make
again). So under a cap the rarer kinds of data survive, and the choice is the same on
every run.

Rule-operator candidates are not clustered (an embedding of base64 or hex says nothing about
its meaning, and would pile them into a few clusters): only the category caps apply to them.
"""
from __future__ import annotations

import random

import numpy as np

from ..candidates import Candidate
from .common import Decision, RoundContext, RoundOutput, category_keys, is_llm

NAME = "diversity"
VERSION = 1
CONFIG_KEYS = ("clusters", "max_per_cluster", "max_per_category", "seed")
METHOD_ORDER = {"lookalike": 0, "expansion": 0, "paraphrase": 1, "rewrite": 1, "restyle": 1, "operator": 2}
EMBED_BATCH = 256
MINIBATCH_ABOVE = 20_000


def embed_texts(ctx: RoundContext, texts: list[str]) -> np.ndarray:
    from tqdm.auto import tqdm

    parts = []
    for s in tqdm(range(0, len(texts), EMBED_BATCH), desc="curate 6: embed", unit="batch",
                  mininterval=1.0, disable=not ctx.progress):
        batch = texts[s:s + EMBED_BATCH]
        e = np.asarray(ctx.embed(batch), dtype=np.float32)
        if e.ndim != 2 or e.shape[0] != len(batch):
            raise ValueError(f"embed must return a [{len(batch)}, D] array, got shape {e.shape}")
        parts.append(e)
    x = np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def cluster(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Cluster ids [N] for embeddings [N, D]."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    k = max(1, min(k, len(x)))
    if k == 1:
        return np.zeros(len(x), dtype=int)
    if len(x) > MINIBATCH_ABOVE:
        km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
    else:
        km = KMeans(n_clusters=k, random_state=seed, n_init=3)
    return km.fit_predict(x).astype(int)


def selection_order(cands: list[Candidate], seed: int) -> list[int]:
    order = list(range(len(cands)))
    random.Random(seed).shuffle(order)
    return sorted(order, key=lambda i: METHOD_ORDER.get(cands[i].method, 3))


def run(cands: list[Candidate], ctx: RoundContext) -> RoundOutput:
    cfg = ctx.cfg
    out = RoundOutput(kept=[])
    llm = [i for i, c in enumerate(cands) if is_llm(c)]
    labels: dict[int, int] = {}
    if llm:
        x = embed_texts(ctx, [cands[i].record.text for i in llm])
        labels = dict(zip(llm, cluster(x, cfg.clusters, cfg.seed).tolist()))

    per_cluster: dict[int, int] = {}
    per_category: dict[str, int] = {}
    keep: set[int] = set()
    reason: dict[int, str] = {}
    for i in selection_order(cands, cfg.seed):
        c = cands[i]
        cl = labels.get(i)
        keys = category_keys(c.record)
        if cl is not None and per_cluster.get(cl, 0) >= cfg.max_per_cluster:
            reason[i] = "cluster_cap"
        elif any(per_category.get(k, 0) >= cfg.max_per_category for k in keys):
            reason[i] = "category_cap"
        else:
            keep.add(i)
            if cl is not None:
                per_cluster[cl] = per_cluster.get(cl, 0) + 1
            for k in keys:
                per_category[k] = per_category.get(k, 0) + 1
    for i, c in enumerate(cands):  # output keeps the input order
        if i in keep:
            out.kept.append(c)
        else:
            cl = labels.get(i)
            out.decisions.append(Decision.of(6, NAME, "drop", reason[i], c,
                                             detail="" if cl is None else f"cluster {cl}"))
    sizes = sorted(per_cluster.values(), reverse=True)
    out.counts = {"clusters": len(set(labels.values())), "largest_clusters_kept": sizes[:10],
                  "kept_per_category": dict(sorted(per_category.items()))}
    return out
