"""Query augmentation, paraphrasing, benign look-alikes and rule operators: seed → candidates.

Every candidate comes from the *train* split only (a validation text must never be
rewritten into training data). Six methods, planned up front from the config so a run
is deterministic and can resume:

* ``paraphrase`` – N rewordings of a seed prompt, label and categories kept;
* ``rewrite``    – the same intent in another persona, setting or length; with
  ``rewrite_register_swap`` the register is crossed instead (unsafe seeds casual, safe seeds formal:
  the rule restyler's second, generated source), as a few-shot pattern the generator continues
  (``complete=True``: SmolLM2-135M answers the same request when it comes as a chat instruction);
* ``lookalike``  – benign questions on each unsafe category's topic (hard negatives: the
  guard must learn intent, not words), few-shot from the train split's hard negatives;
* ``expansion``  – unsafe prompts in everyday wording for categories the seed covers thinly;
* ``restyle``    – the training restyler (train/register_swap.py): unsafe seeds in casual
  phrasings, safe seeds in formal imperatives, and defensive security work in both (safe);
* ``operator``   – a seeded rule operator (runtime/measure/operators.py) on seeds of *both* labels, so
  obfuscation itself stops being the signal. The jailbreak wrapper is applied to unsafe seeds
  only: a jailbreak template around a harmless request is still a prompt attack.

LLM methods render a template from ``train/prompts/`` and call one generator backend
(train/generators/). Candidates are appended to ``candidates.partial.jsonl`` batch by batch;
a rerun skips the task keys already there, and the file is renamed to ``candidates.jsonl``
with a stage manifest when every task is done. A task's key carries a digest of everything
that decides its output (template text, fields, generator settings), so a changed config
keeps the candidates of the tasks it still plans and makes only the new ones.
"""
from __future__ import annotations

import hashlib
import json
import random
import zlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from tinyguard.taxonomy import CATEGORY_TABLE

from tinyguard.measure import operators
from . import register_swap
from .candidates import RULE_METHODS, Candidate, append_candidates, read_candidates, text_id, write_candidates
from .config import AugmentConfig
from .hard_negatives import HANDWRITTEN_SOURCE
from tinyguard.records import Record
from .stage import Stage, hash_files
from .templates import load_template, render

CANDIDATES = "candidates.jsonl"
PARTIAL = "candidates.partial.jsonl"
MAX_LLM_SEED_CHARS = 300  # longer seeds are slow to rewrite and a small model loses them
MAX_OPERATOR_SEED_CHARS = 1000
NOT_IN_DIGEST = ("threads", "concurrency", "timeout_s", "retries", "api_key_env")  # change speed, not output
N_EXAMPLES = 3  # few-shot examples per look-alike / expansion / register prompt
# templates that are few-shot patterns to continue, not chat instructions (see Generator.generate)
FEW_SHOT_TEMPLATES = ("register_casual", "register_formal")
TOPICS = {name: desc for _, name, desc in CATEGORY_TABLE}


@dataclass(frozen=True)
class Task:
    """One candidate to make: which method, which prompt fields, what record is intended."""

    key: str
    method: str
    template: str  # prompt template name, or the operator name
    intended: Record
    parent: str = ""
    fields: dict[str, str] = field(default_factory=dict)


def _lines(name: str) -> list[str]:
    return [line.strip() for line in load_template(name).splitlines() if line.strip()]


def _synthetic(seed: Record | None, *, text: str, method: str, detail: str, label: str,
               categories: list[str], hard_negative: bool, licence: str) -> Record:
    role = seed.role if seed else "prompt"
    return Record(text=text, role=role, label=label, source=f"synthetic-{method}/{detail}",
                  licence_class=licence, categories=list(categories) if label == "unsafe" else [],
                  context=seed.context if seed else "", split="train", hard_negative=hard_negative)


def _from_seed(seed: Record, method: str, text: str | None = None) -> Record:
    return _synthetic(seed, text=text or seed.text, method=method, detail=seed.source.split("/")[0],
                      label=seed.label, categories=seed.categories, hard_negative=seed.hard_negative,
                      licence=seed.licence_class)


def _sample(pool: list[Record], k: int, rng: random.Random) -> list[Record]:
    return rng.sample(pool, min(k, len(pool)))


def _examples(pool: list[Record], rng: random.Random) -> tuple[str, str]:
    """Few-shot block and the most restrictive licence class among the examples used."""
    chosen = _sample(pool, N_EXAMPLES, rng)
    licences = {r.licence_class for r in chosen} or {"permissive"}
    licence = "permissive" if licences == {"permissive"} else sorted(licences - {"permissive"})[0]
    return "\n".join(f"- {r.text.strip()}" for r in chosen), licence


def _mostly_ascii(text: str, share: float = 0.95) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isascii() for ch in letters) >= share * len(letters)


def _register_shots(pairs: list[tuple[str, ...]], label: str, rng: random.Random) -> str:
    """N_EXAMPLES benign (casual, formal) pairs as the few-shot lines before the seed: formal -> casual
    for an unsafe seed, casual -> formal for a safe one."""
    shots = rng.sample(pairs, N_EXAMPLES)
    if label == "unsafe":
        return "".join(f"Formal: {formal}\nCasual: {casual}\n\n" for casual, formal in shots)
    return "".join(f"Casual: {casual}\nFormal: {formal}\n\n" for casual, formal in shots)


def thin_categories(train: Sequence[Record], share: float) -> list[str]:
    """Categories carried by fewer than ``share`` of the unsafe train records."""
    unsafe = [r for r in train if r.label == "unsafe"]
    counts = Counter(c for r in unsafe for c in r.categories)
    return [name for name in TOPICS if counts[name] < share * max(1, len(unsafe))]


def plan_tasks(records: Sequence[Record], cfg: AugmentConfig) -> list[Task]:
    """Every candidate this config asks for, in a fixed order (same config → same tasks)."""
    rng = random.Random(cfg.seed)
    train = [r for r in records if r.split == "train"]
    if not train:
        raise ValueError("no train-split records to augment (run the data stage first)")
    short_prompts = defaultdict(list)
    for r in train:  # a small generator only rewrites short English prompts well
        if r.role == "prompt" and 10 <= len(r.text) <= MAX_LLM_SEED_CHARS and _mostly_ascii(r.text):
            short_prompts[r.label].append(r)
    personas, styles = _lines("personas"), _lines("styles")
    pairs = [tuple(line.split(" => ")) for line in _lines("register_pairs")]  # (casual, formal)
    tasks: list[Task] = []

    for label in ("unsafe", "safe"):
        for seed in _sample(short_prompts[label], cfg.seeds_per_label, rng):
            pid = text_id(seed.text)
            for k in range(cfg.paraphrases):
                tasks.append(Task(f"paraphrase:{pid}:{k}", "paraphrase", "paraphrase", _from_seed(seed, "paraphrase"),
                                  pid, {"text": seed.text.strip()}))
            for k in range(cfg.rewrites):
                if cfg.rewrite_register_swap:  # the register the seed's label rarely comes in
                    template = "register_casual" if label == "unsafe" else "register_formal"
                    fields = {"text": seed.text.strip(), "shots": _register_shots(pairs, label, rng)}
                else:
                    fields = {"text": seed.text.strip(), "persona": rng.choice(personas), "style": rng.choice(styles)}
                    template = "rewrite"
                tasks.append(Task(f"rewrite:{pid}:{k}", "rewrite", template, _from_seed(seed, "rewrite"), pid, fields))

    # few-shot examples: the reviewed hand-written hard negatives of the train split (the loaders'
    # hard negatives include refusals and tweets, which make poor examples of a benign question)
    benign_pool = [r for r in short_prompts["safe"] if r.source.split("/")[0] == HANDWRITTEN_SOURCE
                   and "refusal" not in r.source] or \
        [r for r in short_prompts["safe"] if r.hard_negative]
    for category, topic in TOPICS.items():
        for k in range(cfg.lookalikes_per_category):
            examples, licence = _examples(benign_pool, rng)
            intended = _synthetic(None, text=topic, method="lookalike", detail=category, label="safe",
                                  categories=[], hard_negative=True, licence=licence)
            tasks.append(Task(f"lookalike:{category}:{k}", "lookalike", "lookalike", intended, "",
                              {"topic": topic, "examples": examples}))

    for category in thin_categories(train, cfg.thin_category_share):
        pool = [r for r in short_prompts["unsafe"] if category in r.categories] or short_prompts["unsafe"]
        for k in range(cfg.expansions_per_category):
            examples, licence = _examples(pool, rng)
            intended = _synthetic(None, text=TOPICS[category], method="expansion", detail=category, label="unsafe",
                                  categories=[category], hard_negative=False, licence=licence)
            tasks.append(Task(f"expansion:{category}:{k}", "expansion", "expansion", intended, "",
                              {"topic": TOPICS[category], "examples": examples}))

    names = list(cfg.operators or operators.OPERATORS)
    unknown = [n for n in names if n not in operators.OPERATORS]
    if unknown:
        raise ValueError(f"unknown operators {unknown}; known: {', '.join(operators.OPERATORS)}")
    for label in ("unsafe", "safe"):
        usable = [n for n in names if label == "unsafe" or n not in operators.UNSAFE_ONLY]
        if not usable:
            continue
        pool = [r for r in train if r.label == label and len(r.text) <= MAX_OPERATOR_SEED_CHARS]
        for i, seed in enumerate(_sample(pool, cfg.operator_seeds_per_label, rng)):
            op = usable[i % len(usable)]
            pid = text_id(seed.text)
            tasks.append(Task(f"operator:{op}:{pid}", "operator", op, _from_seed(seed, "operator"), pid))
    tasks += restyle_tasks(train, cfg, rng)
    return _with_digests(_unique(tasks), cfg)


def restyle_tasks(train: Sequence[Record], cfg: AugmentConfig, rng: random.Random) -> list[Task]:
    """The training restyler's tasks: each text is written here, at planning (rules, no model)."""
    tasks: list[Task] = []
    rewrite = {"unsafe": register_swap.casual_rewrite, "safe": register_swap.formal_rewrite}
    for label in ("unsafe", "safe") if cfg.restyle_seeds_per_label > 0 else ():
        pool = [(r, w) for r in train if r.label == label and r.role == "prompt"
                and len(r.text) <= MAX_LLM_SEED_CHARS and (w := rewrite[label](r.text, cfg.seed))]
        for seed, w in _sample(pool, cfg.restyle_seeds_per_label, rng):
            pid = text_id(seed.text)
            intended = replace(_from_seed(seed, "restyle", w.text), source=f"synthetic-restyle/{w.rule}")
            tasks.append(Task(f"restyle:{w.rule}:{pid}", "restyle", w.template, intended, pid))
    if cfg.restyle_security:
        for w in register_swap.security_rewrites(cfg.seed):
            intended = Record(text=w.text, role="prompt", label="safe", source=f"synthetic-restyle/{w.rule}",
                              licence_class="permissive", split="train", hard_negative=True)
            tasks.append(Task(f"restyle:{w.rule}:{text_id(w.text)}", "restyle", w.template, intended))
    return tasks


def _with_digests(tasks: list[Task], cfg: AugmentConfig) -> list[Task]:
    """Append to each key a digest of what decides the task's output."""
    how = {k: v for k, v in asdict(cfg.generator).items() if k not in NOT_IN_DIGEST}
    gen = json.dumps(how, sort_keys=True)
    out = []
    for t in tasks:
        if t.method in RULE_METHODS:
            basis = json.dumps([t.template, t.intended.text, cfg.seed])
        else:
            basis = json.dumps([load_template(t.template), t.fields, gen], sort_keys=True)
        digest = hashlib.sha1(basis.encode("utf-8")).hexdigest()[:10]
        out.append(replace(t, key=f"{t.key}:{digest}"))
    return out


def _unique(tasks: list[Task]) -> list[Task]:
    """Drop repeated keys (the same seed drawn twice for an operator), keeping the first."""
    seen: set[str] = set()
    out = []
    for t in tasks:
        if t.key not in seen:
            seen.add(t.key)
            out.append(t)
    return out


def _operator_candidate(task: Task, seed: int) -> Candidate:
    text = operators.apply(task.template, task.intended.text, f"{seed}:{task.key}")
    rec = Record(**{**asdict(task.intended), "text": text,
                    "source": f"synthetic-operator/{task.template}"})
    return Candidate(rec, "operator", task.parent, "rules", task.template, text, task.key)


def _llm_candidate(task: Task, reply: str, generator_name: str) -> Candidate | None:
    text = reply.strip()
    if not text:
        return None
    rec = Record(**{**asdict(task.intended), "text": text})
    return Candidate(rec, task.method, task.parent, generator_name, task.template, reply, task.key)


def run_augment(records: Sequence[Record], out_dir: Path, cfg: AugmentConfig, *, records_hash: str,
                make_generator: Callable[[], object], force: bool = False, progress: bool = True,
                echo: Callable[[str], None] = print) -> dict:
    """Write ``out_dir/candidates.jsonl``; resumable, skipped when inputs and config are unchanged."""
    out_dir = Path(out_dir)
    stage = Stage("augment", out_dir, {"records": records_hash}, {"augment": asdict(cfg)}, outputs=(CANDIDATES,))
    return stage.run(lambda: _augment(records, out_dir, cfg, make_generator, force, progress, echo),
                     force=force, echo=echo)


def _augment(records: Sequence[Record], out_dir: Path, cfg: AugmentConfig, make_generator: Callable[[], object],
             force: bool, progress: bool, echo: Callable[[str], None]) -> dict:
    """The augment stage's work: finish the partial file (or start one), then move it into place."""
    partial = out_dir / PARTIAL
    tasks = plan_tasks(records, cfg)
    planned = {t.key for t in tasks}
    if force:
        partial.unlink(missing_ok=True)
    elif (out_dir / CANDIDATES).is_file() and not partial.is_file():
        (out_dir / CANDIDATES).replace(partial)  # a finished run under another config: reuse what still fits
    if partial.is_file():  # keep only candidates of tasks this plan still has (same key = same request)
        old = list(read_candidates(partial))
        write_candidates((c for c in old if c.key in planned), partial)
    done = {c.key for c in read_candidates(partial)} if partial.is_file() else set()
    todo = [t for t in tasks if t.key not in done]
    echo(f"      {len(tasks)} tasks planned ({dict(Counter(t.method for t in tasks))}), {len(done)} already done")
    append_candidates((_operator_candidate(t, cfg.seed) for t in todo if t.method == "operator"), partial)
    append_candidates((Candidate(t.intended, "restyle", t.parent, "rules", t.template, t.intended.text, t.key)
                       for t in todo if t.method == "restyle"), partial)

    llm = [t for t in todo if t.method not in RULE_METHODS]
    # chat instructions first, then the few-shot patterns, so no batch mixes the two ways of asking
    batch_size = max(1, cfg.generator.batch_size)
    batches: list[tuple[bool, list[Task]]] = []
    for few_shot in (False, True):
        group = [t for t in llm if (t.template in FEW_SHOT_TEMPLATES) == few_shot]
        batches += [(few_shot, group[i:i + batch_size]) for i in range(0, len(group), batch_size)]
    failed = Counter()
    if llm:
        generator = make_generator()
        bar = _progress(len(llm), "generate", progress)
        try:
            for few_shot, batch in batches:
                prompts = [render(t.template, **t.fields) for t in batch]
                replies = generator.generate(prompts, seed=cfg.seed + zlib.crc32(batch[0].key.encode()) % 100_000,
                                             complete=few_shot)
                made = []
                for t, reply in zip(batch, replies):
                    c = _llm_candidate(t, reply, generator.name)
                    if c is None:
                        failed[t.method] += 1
                    else:
                        made.append(c)
                append_candidates(made, partial)
                bar.update(len(batch))
        finally:
            bar.close()
            generator.close()

    candidates = list(read_candidates(partial))
    counts = {"tasks": len(tasks), "candidates": len(candidates),
              "by_method_label": dict(Counter(f"{c.method}/{c.record.label}" for c in candidates)),
              "empty_outputs": dict(failed), "generator": asdict(cfg.generator)}
    partial.replace(out_dir / CANDIDATES)
    return counts


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="text")


def records_hash(path: Path) -> str:
    return hash_files([path])
