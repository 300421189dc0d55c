"""Leave-one-family-out (LOFO) estimates of a training recipe, with a cheap proxy model.

Why a proxy: a full teacher run costs ~30 min on 2 CPU cores, and a LOFO estimate needs one
model per held-out family per recipe. The proxy is a logistic head on *frozen* all-MiniLM-L6-v2
features (mean-pooled, the runtime's first window), fitted on a seeded uniform sample of the
records the recipe would train on (so the recipe's source mix and balancing are kept). Embeddings
are cached by text, so a second recipe costs seconds.

For each family in :data:`FOLDS` (each holds both labels), the head is fitted without any of the
family's records and scored on them (every split: the family is unseen as a whole). The figure
that ranks recipes is AUPRC, threshold-free; F1 at 0.5 is shown beside it. A warning measured
here: accuracy at a fixed threshold on single-label families ranked recipes backwards, because
it mostly measures calibration shifts.

The embedder is train/embeddings.py's (torch loads at its first call, so ``guard-cli ood lofo
--help`` and cached runs never pay for it).
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tinyguard.atomic import atomic_open
from tinyguard.measure.metrics import binary_metrics
from tinyguard.records import Record
from tinyguard.text.emoji import name_emoji


@dataclass(frozen=True)
class Fold:
    name: str
    sources: frozenset[str]  # source names before "/"; empty: decided by role
    role: str  # records of this role only

    def holds(self, r: Record) -> bool:
        if r.role != self.role:
            return False
        return not self.sources or r.source.split("/")[0] in self.sources


#: Held-out families; each holds both labels. A record is in at most one (responses first).
FOLDS: tuple[Fold, ...] = (
    Fold("responses", frozenset(), "response"),
    Fold("harmful_vs_benign_requests", frozenset({
        "advbench", "strongreject", "navirocker_redteam", "ailuminate_demo",
        "arena_hard", "oasst_eval_prompts", "mtbench_vicuna", "self_instruct"}), "prompt"),
    Fold("jailbreak_injection", frozenset({"sap200", "bipia", "cyberseceval_attacks", "awesome_chatgpt_prompts"}),
         "prompt"),
    Fold("hateful_social", frozenset({"davidson_hate", "toxigen_demonstrations", "convabuse", "hatemoji_build"}),
         "prompt"),
    Fold("benign_sensitive", frozenset({"coconot", "handwritten_hard_negatives", "harmfulqa_catqa"}), "prompt"),
)


def fold_of(r: Record) -> str | None:
    """The held-out family ``r`` belongs to; curated synthetic records ("synthetic-METHOD/SOURCE")
    belong to their seed's family, so holding a family out also holds out what was written from it."""
    if r.source.startswith("synthetic-") and "/" in r.source:
        r = dataclasses.replace(r, source=r.source.split("/", 1)[1])
    for f in FOLDS:
        if f.holds(r):
            return f.name
    return None


def text_key(r: Record, emoji_names: bool = False) -> str:
    """Cache key of a record's embedding; with ``emoji_names`` a text the encoder reads differently
    (it holds pictographs) gets its own key, every other text shares the plain one."""
    named = emoji_names and (name_emoji(r.text)[1] is not None or name_emoji(r.context)[1] is not None)
    return hashlib.sha1(f"{r.role}\x00{r.context}\x00{r.text}{chr(0) + 'emoji' if named else ''}".encode()).hexdigest()


class EmbeddingCache:
    """Frozen MiniLM mean-pooled embeddings by :func:`text_key`, kept in one ``.npz`` file."""

    def __init__(self, path: Path, embed: Callable[[Sequence[Record]], np.ndarray], emoji_names: bool = False):
        self.path = Path(path)
        self.embed = embed
        self.emoji_names = emoji_names  # must match the embedder's
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path) as z:
                self.vectors = dict(zip(z["keys"].tolist(), z["vectors"]))

    def get(self, records: Sequence[Record]) -> np.ndarray:
        missing: dict[str, Record] = {}
        keys = [text_key(r, self.emoji_names) for r in records]
        for k, r in zip(keys, records):
            if k not in self.vectors:
                missing[k] = r
        if missing:
            new = self.embed(list(missing.values()))
            self.vectors.update(zip(missing, new))
            self._save()
        return np.stack([self.vectors[k] for k in keys])

    def variant(self, embed: Callable[[Sequence[Record]], np.ndarray], emoji_names: bool) -> "EmbeddingCache":
        """The same cache (one file, one dict of vectors) read through another embedder."""
        other = copy.copy(self)
        other.embed, other.emoji_names = embed, emoji_names
        return other

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.vectors))
        with atomic_open(self.path, binary=True) as f:
            np.savez(f, keys=keys, vectors=np.stack(list(self.vectors.values())).astype(np.float32))


def fit_head(x: np.ndarray, y: np.ndarray, weight: np.ndarray, seed: int) -> Any:
    """Logistic head with balanced classes (the teacher's pos_weight does the same)."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced", random_state=seed)
    head.fit(x, y, sample_weight=weight)
    return head


def sample(records: Sequence[Record], n: int, seed: int) -> list[Record]:
    """A seeded uniform sample of ``n`` (all when fewer), keeping the recipe's proportions."""
    if n <= 0 or len(records) <= n:
        return list(records)
    return random.Random(seed).sample(list(records), n)


def cap_labels(records: Sequence[Record], cap: int, seed: int) -> list[Record]:
    rng = random.Random(seed)
    out: list[Record] = []
    for label in ("unsafe", "safe"):
        group = [r for r in records if r.label == label]
        out.extend(group if len(group) <= cap else rng.sample(group, cap))
    return out


def lofo_recipe(selection: Sequence[Record], all_records: Sequence[Record], cache: EmbeddingCache, *,
                train_size: int, eval_cap: int, hard_negative_weight: float, seed: int,
                suite: dict[str, list[Record]] | None = None) -> dict[str, Any]:
    """Per-fold AUPRC/F1 of the proxy fitted without the fold, and (optionally) the full-sample
    proxy on the fixed suite. ``selection`` is what the recipe trains on (repeats kept)."""
    train = sample(selection, train_size, seed)
    x = cache.get(train)
    y = np.array([r.label == "unsafe" for r in train])
    w = np.array([hard_negative_weight if r.hard_negative else 1.0 for r in train])
    folds_of_train = np.array([fold_of(r) or "" for r in train])
    out: dict[str, Any] = {"train_size": len(train), "folds": {}}
    for f in FOLDS:
        keep = folds_of_train != f.name
        held = cap_labels([r for r in all_records if f.holds(r)], eval_cap, seed)
        if len(set(y[keep])) < 2 or len({r.label for r in held}) < 2:
            out["folds"][f.name] = None
            continue
        head = fit_head(x[keep], y[keep], w[keep], seed)
        scores = head.predict_proba(cache.get(held))[:, 1]
        m = binary_metrics([r.label == "unsafe" for r in held], scores, 0.5)
        out["folds"][f.name] = {"auprc": m["auprc"], "f1": m["f1"], "n": len(held), "trained_without": int((~keep).sum())}
    values = [m["auprc"] for m in out["folds"].values() if m]
    out["mean_auprc"] = float(np.mean(values)) if values else None
    if suite:
        head = fit_head(x, y, w, seed)
        out["suite"] = {}
        for name, records in suite.items():
            labels = {r.label for r in records}
            if len(labels) < 2:
                continue
            scores = head.predict_proba(cache.get(records))[:, 1]
            m = binary_metrics([r.label == "unsafe" for r in records], scores, 0.5)
            out["suite"][name] = {"auprc": m["auprc"], "f1": m["f1"]}
        suite_values = [m["auprc"] for m in out["suite"].values()]
        out["suite_mean_auprc"] = float(np.mean(suite_values)) if suite_values else None
    return out


def lofo_markdown(results: dict[str, dict[str, Any]], command: str) -> str:
    names = list(results)
    lines = ["# Leave-one-family-out: recipes compared with the frozen-MiniLM proxy", "",
             f"Command: `{command}`", "",
             "Each cell: AUPRC of a logistic head on frozen MiniLM features, fitted on the recipe's "
             "training sample without the family, scored on the whole family (F1 at 0.5 in brackets).", "",
             "| family | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for f in FOLDS:
        cells = []
        for n in names:
            m = results[n]["folds"].get(f.name)
            cells.append("–" if not m else f"{m['auprc']:.3f} ({m['f1']:.3f})")
        lines.append(f"| {f.name} | " + " | ".join(cells) + " |")
    lines.append("| **mean AUPRC** | " + " | ".join(f"**{results[n]['mean_auprc']:.3f}**" for n in names) + " |")
    if all("suite" in results[n] for n in names):
        lines += ["", "Fixed OOD suite (proxy fitted on the whole sample; slices with both labels):", "",
                  "| slice | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for s in results[names[0]]["suite"]:
            lines.append(f"| {s} | " + " | ".join(f"{results[n]['suite'][s]['auprc']:.3f}" for n in names) + " |")
        lines.append("| **mean AUPRC** | " + " | ".join(f"**{results[n]['suite_mean_auprc']:.3f}**" for n in names) + " |")
    lines.append("")
    return "\n".join(lines)
