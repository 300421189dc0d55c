"""Round 2: near-duplicate removal with MinHash LSH (word 3-shingles, as in the data stage).

A candidate is dropped when its estimated Jaccard similarity with a seed record of the same
role, train *or validation*, reaches ``cfg.near_dup_threshold`` (``near_dup_seed``: a near-copy
of a validation text would leak it into training), or with an earlier kept candidate of the
same role (``near_dup``). A candidate whose parent is a validation seed record is dropped as
``validation_parent`` whatever its similarity (augmentation should only rewrite train seeds).

Operator candidates are near-identical to their parent by design (``casing`` only changes case,
which the lower-cased shingles ignore; ``typos`` changes a few letters). So for them:

* the seed check skips their own parent (every other seed record still counts), and
* candidate-vs-candidate dedup is only among outputs of the same operator (two ``typos``
  copies of one seed are redundant; a ``typos`` and a ``leetspeak`` copy are not).

LSH hits are confirmed with the MinHash estimate itself, so a drop always means
estimated Jaccard >= threshold.
"""
from __future__ import annotations

from ..candidates import Candidate, text_id
from ..dataset import _shingles
from .common import Decision, RoundContext, RoundOutput, is_llm

NAME = "near_dup"
VERSION = 1
CONFIG_KEYS = ("near_dup_threshold", "num_perm", "seed")


def run(cands: list[Candidate], ctx: RoundContext) -> RoundOutput:
    from datasketch import MinHash, MinHashLSH
    from tqdm.auto import tqdm

    cfg = ctx.cfg
    out = RoundOutput(kept=[])

    def minhash(text: str) -> MinHash:
        m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update_batch(list(_shingles(text)))
        return m

    def lsh() -> MinHashLSH:
        return MinHashLSH(threshold=cfg.near_dup_threshold, num_perm=cfg.num_perm)

    validation_ids = {text_id(r.text) for r in ctx.seed if r.split == "validation"}
    seed_lsh = {role: lsh() for role in ("prompt", "response")}
    seed_hash: dict[str, MinHash] = {}
    seed_meta: dict[str, tuple[str, str]] = {}  # key -> (text_id, split)
    for i, r in enumerate(tqdm(ctx.seed, desc="curate 2: index seed", unit="rec", mininterval=1.0,
                               disable=not ctx.progress)):
        key = f"s{i}"
        seed_hash[key] = minhash(r.text)
        seed_meta[key] = (text_id(r.text), r.split or "train")
        seed_lsh[r.role].insert(key, seed_hash[key])

    pools: dict[tuple[str, str], MinHashLSH] = {}  # (role, "llm" | operator name) -> kept candidates
    kept_hash: dict[str, MinHash] = {}
    for i, c in enumerate(tqdm(cands, desc="curate 2: near-dup", unit="cand", mininterval=1.0,
                               disable=not ctx.progress)):
        if c.parent and c.parent in validation_ids:
            out.decisions.append(Decision.of(2, NAME, "drop", "validation_parent", c))
            continue
        role = c.record.role
        m = minhash(c.record.text)
        hits = [k for k in seed_lsh[role].query(m)
                if m.jaccard(seed_hash[k]) >= cfg.near_dup_threshold
                and (is_llm(c) or seed_meta[k][0] != c.parent)]
        if hits:
            splits = sorted({seed_meta[k][1] for k in hits})
            out.decisions.append(Decision.of(2, NAME, "drop", "near_dup_seed", c,
                                             detail=f"seed split: {', '.join(splits)}"))
            continue
        pool_key = (role, "llm" if is_llm(c) else f"op:{c.template}")
        pool = pools.setdefault(pool_key, lsh())
        if any(m.jaccard(kept_hash[k]) >= cfg.near_dup_threshold for k in pool.query(m)):
            out.decisions.append(Decision.of(2, NAME, "drop", "near_dup", c))
            continue
        key = f"c{i}"
        pool.insert(key, m)
        kept_hash[key] = m
        out.kept.append(c)
    return out
