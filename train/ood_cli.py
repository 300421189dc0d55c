"""``guard-cli ood``: the out-of-distribution yardstick (``report`` for bundles, ``lofo`` for recipes).

Flat click commands (testable alone). This module is loaded whenever ``guard-cli`` starts (the
train layer's entry point), so what the commands need (the guard and scoring modules: numpy; the
suite and config readers: ~0.1 s more at every start, measured; the teacher: torch) is
imported inside the commands that use it.
"""
from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import click

from tinyguard.records import read_jsonl
from tinyguard.taxonomy import CATEGORIES
from . import require_train_extra
from tinyguard.cli.options import USER_ERRORS, fail
from .offline import offline
from .registry import default_data_dir


def _named(value: str) -> tuple[str, str | None]:
    """``NAME=PATH`` or ``PATH`` (named after its folder); ``default`` is the bundled model."""
    if "=" in value:
        name, path = value.split("=", 1)
    else:
        name, path = (value, None) if value == "default" else (Path(value).name, value)
    return name, (None if path in (None, "default") else path)


@click.group("ood")
@offline
def ood() -> None:
    """Out-of-distribution yardstick: judge models on whole sources they never saw.

    \b
    report     bundles side by side on yardstick v2: six families, defenses on/off, four phrasings
    threshold  a bundle's threshold by the family rule, on the tune half
    lofo       training recipes by leave-one-family-out with a cheap frozen-encoder proxy
    """


def _load_bundles(bundles: tuple[str, ...], threads: int) -> list[tuple[str, str | None, object]]:
    """(name, path, loaded Guard) per ``--bundle``; names must differ."""
    from tinyguard import Guard

    named = [_named(b) for b in bundles]
    if len({n for n, _ in named}) != len(named):
        raise ValueError("two bundles share a name; use NAME=PATH")
    # measured, not deployed: run bundles are unsigned until `guard-cli sign`
    return [(name, path, Guard.load(path, threads=threads, allow_unsigned=True)) for name, path in named]


@ood.command("report")
@click.option("--bundle", "bundles", multiple=True, default=("default",), show_default=True,
              help="NAME=PATH of a bundle to score (repeat to compare); 'default' is the bundled model.")
@click.option("--records", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="records.jsonl of the run(s) the bundles were trained on: its train split joins the leak guard "
                   "(needed for curated synthetic records; the sources each manifest names are always checked).")
@click.option("--cap", type=click.IntRange(min=0), default=300, show_default=True,
              help="Texts per label per slice (0: all), a seeded sample; sizes the run (<= 15 min per bundle at 300).")
@click.option("--family", "only", multiple=True, help="Only these families (repeat); default: all six.")
@click.option("--half", type=click.Choice(["report", "all"]), default="report", show_default=True,
              help="'report': the half `ood threshold` never tunes on (evaluation-only sets whole); 'all': every text.")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/ood-cache"),
              show_default=True, help="Folder of cached scores per bundle (keyed by model, tokenizer, defenses).")
@click.option("--no-cache", is_flag=True, help="Score everything again and write no cache.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Seed data folder (default: $TINYGUARD_DATA or ../shared/data).")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True, help="Caps and the restyler's role draw.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("train/reports/ood-v2.md"),
              show_default=True, help="Markdown report; a .json twin is written beside it.")
@click.option("--card", "card_names", multiple=True,
              help="NAME of a --bundle (a folder, not 'default') whose manifest metrics and MODEL_CARD.md get "
                   "these figures (repeat). Re-pins hashes; sign the bundle again afterwards.")
def report(bundles: tuple[str, ...], records: Path | None, cap: int, only: tuple[str, ...], half: str,
           cache: Path, no_cache: bool, data_dir: Path | None, threads: int, seed: int, out: Path,
           card_names: tuple[str, ...]) -> None:
    """Score bundles on the out-of-distribution yardstick v2 and write them side by side.

    Six families, each weighted equally (harmful vs benign requests; benign requests that sound
    dangerous vs harmful twins; jailbreaks and injections vs benign system prompts; real user
    text; responses in context; hateful and abusive social text), defenses on and off, every
    request of the request families restated in four phrasings. Headline: mean and worst family
    AUPRC, benign FPR per family at each bundle's threshold, the style gap. A text any bundle
    trained on is removed (leak guard); training on an evaluation-only set is refused.
    (v1's slice report is retired: this command writes v2.)

    \b
    Examples:
      guard-cli ood report                                   # the bundled default model
      guard-cli ood report --bundle 0.1.0=runs/micro1-0.1.0 --bundle 0.2.0=default \\
          --bundle teacher=runs/balanced/bundle --out train/reports/ood-v2.md
    """
    from .ood import (FAMILY_NAMES, ScoreCache, bundle_key, evaluate_families, load_families,
                      refuse_evaluation_only_leaks, report_markdown_v2, training_records, write_report)

    try:
        require_train_extra("tqdm")
        unknown = sorted(set(only) - set(FAMILY_NAMES))
        if unknown:
            raise ValueError(f"unknown family(ies) {unknown}; known: {', '.join(FAMILY_NAMES)}")
        data = data_dir or default_data_dir()
        loaded = _load_bundles(bundles, threads)
        trained, unchecked = training_records([g.manifest for _, _, g in loaded], data, records)
        refuse_evaluation_only_leaks(trained, data)
        families, leaks = load_families(data, cap=cap, seed=seed, trained=trained, only=only, half=half)
        results, seconds = {}, {}
        for name, _path, guard in loaded:
            click.echo(f"{name}: {guard.model_id}", err=True)
            start = time.perf_counter()
            store = ScoreCache(None if no_cache else cache, bundle_key(guard))
            results[name] = evaluate_families(guard, families, store, seed=seed)
            seconds[name] = time.perf_counter() - start
        command = "guard-cli ood report " + " ".join(shlex.quote(a) for a in sys.argv[3:])
        markdown = report_markdown_v2(results, command=command.strip(), leaks=leaks, unchecked=unchecked,
                                      cap=cap, half=half, seconds=seconds)
        write_report(out, results | {"_meta": {"leaks": leaks, "unchecked": unchecked, "cap": cap, "half": half,
                                                "seconds": seconds, "command": command.strip()}}, markdown)
        paths = {n: p for n, p, _ in loaded}
        for name in card_names:
            if paths.get(name) is None:
                raise ValueError(f"--card {name}: name a --bundle given as NAME=FOLDER")
            from ..export.model_card import refresh_model_card

            r = results[name]
            refresh_model_card(paths[name], {"ood_v2": {
                "headline": r["headline"], "threshold": r["threshold"],
                **({"response_threshold": r["response_threshold"]} if "response_threshold" in r else {}),
                "half": half, "cap": cap,
                "families": {f: {"auprc": m["on"]["auprc"], "auprc_off": m["off"]["auprc"], "f1": m["on"]["f1"],
                                 "recall": m["on"]["recall"]} for f, m in r["families"].items()},
                "command": command.strip()}})
            click.echo(f"wrote the figures into {paths[name]}/manifest.json and MODEL_CARD.md", err=True)
    except USER_ERRORS as e:
        fail(e)
    click.echo(markdown.split("## Slices")[0].rstrip())
    click.echo(f"\nwrote {out} and {out.with_suffix('.json')}")


@ood.command("lofo")
@click.option("--config", "configs", multiple=True, required=True,
              help="A recipe: pipeline config name or TOML path (repeat to compare).")
@click.option("--records", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("runs/default/data/records.jsonl"), show_default=True,
              help="records.jsonl from `guard-cli data build` (the recipes select from its train split; "
                   "a config's [data] sources, when set, filter it).")
@click.option("--train-size", type=click.IntRange(min=100), default=12000, show_default=True,
              help="Records sampled uniformly from each recipe's selection to fit the proxy.")
@click.option("--eval-cap", type=click.IntRange(min=10), default=600, show_default=True,
              help="Texts per label scored per held-out family.")
@click.option("--suite-cap", type=click.IntRange(min=0), default=300, show_default=True,
              help="Texts per label per fixed-suite slice (0: skip the suite).")
@click.option("--cache", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("runs/ood-cache/minilm.npz"), show_default=True, help="Embedding cache.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Seed data folder (default: $TINYGUARD_DATA or ../shared/data).")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("train/reports/lofo.md"),
              show_default=True, help="Markdown report; a .json twin is written beside it.")
def lofo(configs: tuple[str, ...], records: Path, train_size: int, eval_cap: int, suite_cap: int, cache: Path,
         data_dir: Path | None, threads: int, seed: int, out: Path) -> None:
    """Rank training recipes by leave-one-family-out AUPRC of a frozen-encoder proxy.

    For each family (responses, harmful-vs-benign requests, jailbreak/injection, hateful social
    text, benign-sensitive), a logistic head on frozen MiniLM features is fitted on the recipe's
    training sample without that family and scored on all of it. Minutes for the first recipe
    (embeddings are cached), seconds for the next.

    \b
    Examples:
      guard-cli ood lofo --config default-v1 --config default --config balanced
    """
    from .config import load_config
    from .embeddings import minilm_embedder
    from .lofo import EmbeddingCache, lofo_markdown, lofo_recipe
    from .ood_suite import load_suite
    from .teacher import select_training

    try:
        require_train_extra("sklearn", "tqdm")
        all_records = list(read_jsonl(records))
        trained = [r for r in all_records if r.split == "train"]
        suite = load_suite(data_dir or default_data_dir(), cap=suite_cap, trained=trained)[0] if suite_cap else None
        stores: dict[bool, EmbeddingCache] = {}
        results = {}
        for ref in configs:
            cfg = load_config(ref)
            flag = cfg.teacher.emoji_names  # the proxy reads texts as the recipe's teacher would
            if flag not in stores:
                embed = minilm_embedder(threads, emoji_names=flag)
                stores[flag] = (next(iter(stores.values())).variant(embed, flag) if stores
                                else EmbeddingCache(cache, embed, emoji_names=flag))
            store = stores[flag]
            pool = [r for r in all_records if not cfg.data.sources
                    or r.source.split("/")[0] in cfg.data.sources or r.source == "handwritten_hard_negatives"]
            if cfg.augment.enabled:  # the curated synthetic records the recipe's teacher trains on
                curated = Path("runs") / cfg.name / "curate" / "curated.jsonl"
                if not curated.is_file():
                    raise ValueError(f"{ref}: {curated} is missing; run guard-cli augment and guard-cli curate "
                                     f"--config {ref} first")
                pool += list(read_jsonl(curated))
            selection = select_training(pool, cfg.teacher)
            click.echo(f"{ref}: {len(selection)} training records", err=True)
            results[Path(ref).stem] = lofo_recipe(selection, all_records, store, train_size=train_size,
                                                  eval_cap=eval_cap, seed=seed, suite=suite,
                                                  hard_negative_weight=cfg.teacher.hard_negative_weight)
        command = "guard-cli ood lofo " + " ".join(shlex.quote(a) for a in sys.argv[3:])
        markdown = lofo_markdown(results, command.strip())
        from .ood import write_report

        write_report(out, results, markdown)
    except USER_ERRORS as e:
        fail(e)
    click.echo(markdown)
    click.echo(f"wrote {out} and {out.with_suffix('.json')}")


@ood.command("threshold")
@click.option("--bundle", required=True, help="Bundle folder ('default': the bundled model, read only).")
@click.option("--max-benign-fpr", type=click.FloatRange(0.0, 1.0), default=0.10, show_default=True,
              help="Cap on every family's benign false-positive rate.")
@click.option("--records", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="records.jsonl the bundle was trained on (its train split joins the leak guard).")
@click.option("--cap", type=click.IntRange(min=0), default=300, show_default=True,
              help="Texts per label per slice (0: all).")
@click.option("--categories-from", "validation", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A held-out validation.jsonl: also fit per-category thresholds on it "
                                 "(categories that cannot be fitted reliably are shipped as never firing).")
@click.option("--apply", is_flag=True,
              help="Write the thresholds, presets and rules into the bundle's manifest (unsigns it).")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/ood-cache"),
              show_default=True, help="Folder of cached scores (shared with `ood report`).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Seed data folder (default: $TINYGUARD_DATA or ../shared/data).")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--strict", is_flag=True,
              help="Exit 1 (writing nothing) when some family's benign FPR stays above the cap at every threshold, "
                   "instead of the documented fallback (the cap binds the other families).")
def threshold(bundle: str, max_benign_fpr: float, records: Path | None, cap: int, validation: Path | None,
              apply: bool, cache: Path, data_dir: Path | None, threads: int, seed: int, strict: bool) -> None:
    """Choose a bundle's threshold on the tune half of the yardstick v2 families.

    Maximises the mean F1 over families (each weighted equally) subject to every family's benign
    FPR under the cap (runtime/measure/thresholds.py, FAMILY_RULE). A family that no threshold brings
    under the cap (its benign texts score above the grid's top, 0.98, or are flagged because not
    fully checked) is named on stderr with that split, and the cap then binds the other families
    (written into the manifest's threshold_rule with --apply); --strict exits 1 instead. It also
    tries a threshold of their own for the responses family and says whether that measures better
    (higher mean family F1, every family still under the cap); if so --apply writes it as the
    manifest's response_threshold with the step role_thresholds (spec 1.2: the runtime judges
    every response at it, and an older runtime refuses the bundle), else it drops any it had.
    Presets stay around the prompt threshold. `ood report`
    reads the other half. Evaluation-only sets are never read here, except the tune half of the
    frozen danger twins.

    \b
    Examples:
      guard-cli ood threshold --bundle runs/balanced/bundle                 # print only
      guard-cli ood threshold --bundle runs/balanced/bundle --apply         # write it
    """
    import numpy as np

    from tinyguard.bundle.folder import rewrite_manifest

    from .ood import (RESPONSE_FAMILIES, ScoreCache, bundle_key, category_gate, choose_split_thresholds, family_rule,
                      load_families, pooled, refuse_evaluation_only_leaks, score_both, training_records)

    try:
        require_train_extra("tqdm")
        if apply and bundle == "default":
            raise ValueError("--apply rewrites a bundle; give a bundle folder, not the installed default")
        data = data_dir or default_data_dir()
        (_, _, guard), = _load_bundles((f"bundle={bundle}",), threads)
        trained, _ = training_records([guard.manifest], data, records)
        refuse_evaluation_only_leaks(trained, data)
        families, _ = load_families(data, cap=cap, seed=seed, trained=trained, half="tune")
        store = ScoreCache(cache, bundle_key(guard))
        scored, policy = {}, {}
        tuned: dict[str, list] = {"records": [], "slices": [], "on": [], "model": []}  # for the category gate
        for name, slices in families.items():
            recs = pooled(slices)
            if recs:
                sc = score_both(guard, recs, store, desc=name)
                scored[name] = (np.array([r.label == "unsafe" for r in recs]), sc.on[:, 0])
                policy[name] = sc
                tuned["records"] += recs
                tuned["slices"] += [s_name for s_name, s_recs in slices.items() for _ in s_recs]
                tuned["on"].append(sc.on)
                tuned["model"].append(sc.model_on)
        choice = choose_split_thresholds(scored, max_benign_fpr, RESPONSE_FAMILIES)
        own = choice["own_response_threshold"]
        t, stats = choice["threshold"], choice["stats"]
        rt = choice["response_threshold"] if own else None
        per_family = choice["split"]["per_family"] if own else stats["per_family"]
        rule = family_rule(max_benign_fpr)
        click.echo(f"{guard.model_id}: threshold {t:.2f} (was {guard.threshold:.4f})"
                   + (f", responses {rt:.2f} (was {guard.response_threshold:.4f})" if own else "")
                   + f"; tune half: mean family F1 {choice['split']['mean_f1'] if own else stats['mean_f1']:.3f}, "
                   "worst family benign FPR "
                   f"{max((m['fpr'] for m in per_family.values() if m['fpr'] is not None), default=0.0) if own else stats['worst_fpr']:.3f}")
        for name, m in per_family.items():
            f1 = "–" if m["f1"] is None else f"{m['f1']:.3f}"
            fpr = "–" if m["fpr"] is None else f"{m['fpr']:.3f}"
            y, sc = scored[name][0], policy[name]
            unchecked = (sc.flagged_by_policy(rt if own and name in RESPONSE_FAMILIES else t) & ~y).sum() \
                / max(int((~y).sum()), 1)
            click.echo(f"  {name:18s} F1 {f1}  benign FPR {fpr} (not fully checked {unchecked:.3f})")
        if stats["over_cap"]:
            y_of = {n: scored[n][0] for n in stats["over_cap"]}
            top = stats["grid_top"]
            why = "; ".join(
                f"{n}: benign FPR {stats['per_family'][n]['fpr_floor']:.3f} at {top:.2f}, of which "
                f"{(policy[n].flagged_by_policy(top) & ~y_of[n]).sum() / max(int((~y_of[n]).sum()), 1):.3f} "
                "not fully checked" for n in stats["over_cap"])
            click.echo(f"cap not met: no threshold up to {top:.2f} keeps every family's benign FPR <= "
                       f"{max_benign_fpr:.2f} ({why}). Fallback: {stats['fallback']}"
                       + (f" ({', '.join(n for n in scored if n not in stats['over_cap'])})"
                          if stats["fallback"] == "cap on the other families" else "") + ".", err=True)
            if strict:
                click.echo("error: --strict: the cap cannot be met; nothing written", err=True)
                sys.exit(1)
        if "split" in choice:
            sp = choice["split"]
            click.echo(f"responses alone: {sp['response_threshold']:.2f} with prompts at {sp['threshold']:.2f} "
                       f"(mean family F1 {sp['mean_f1']:.3f}; one threshold for both: {stats['mean_f1']:.3f}): "
                       + ("measures better; --apply writes it as response_threshold (spec 1.2, step role_thresholds)"
                          if own else "does not measure better; responses share the prompt threshold"))
        if own:
            rule += (f". Responses ({', '.join(RESPONSE_FAMILIES)}) by the same rule alone: {rt:.2f} "
                     f"(mean family F1 {choice['split']['mean_f1']:.3f} vs {stats['mean_f1']:.3f} with one threshold)")
        if stats["over_cap"]:
            rule += f". Over the cap at every threshold (fallback taken): {', '.join(stats['over_cap'])}"
        click.echo(f"rule: {rule}")
        role_changes, drop = guard.manifest.with_response_threshold(rt)
        updates: dict = {"threshold": float(t), "threshold_rule": rule, **role_changes,
                         "response_threshold": rt}  # (None: dropped below; category_gate reads it)
        if validation:
            updates |= _category_updates(guard, list(read_jsonl(validation)), updates["threshold"], rt)
        gate, table = category_gate(guard, tuned, updates)
        click.echo("\n".join(table))
        updates |= gate
        if rt is None:
            del updates["response_threshold"]
        metrics = dict(updates.get("metrics", guard.manifest.metrics))
        if "response_threshold_measured" in metrics:  # spec 1.1 recorded it; the manifest key holds it now
            del metrics["response_threshold_measured"]
            updates["metrics"] = metrics
        if apply:
            from ..export.build import presets_around

            from ..export.model_card import refresh_model_card

            rewrite_manifest(bundle, updates | {"presets": presets_around(updates["threshold"])}, drop)
            refresh_model_card(bundle, {})  # the card quotes the thresholds and metrics just written
            click.echo(f"wrote {Path(bundle) / 'manifest.json'} (sign it again: the signature was removed)")
    except USER_ERRORS as e:
        fail(e)


def _category_updates(guard, validation: list, threshold: float, response_threshold: float | None = None) -> dict:
    """Per-category thresholds fitted on held-out records at the new binary thresholds (responses at
    ``response_threshold`` when they have one); prints the table."""
    import numpy as np

    from ..export.build import validation_metrics
    from tinyguard.measure.thresholds import CATEGORY_RULE, fit_category_thresholds
    from .ood import score_records

    all_scores = score_records(guard, validation, desc="validation", policy=False)  # as `guard-cli eval` counts
    keep = [i for i, r in enumerate(validation) if r.label == "safe" or r.categories]
    known, scores = [validation[i] for i in keep], all_scores[keep]
    y = np.array([[c in r.categories for c in CATEGORIES] for r in known])
    t = np.array([response_threshold if response_threshold is not None and validation[i].role == "response"
                  else threshold for i in keep])
    thresholds, report = fit_category_thresholds(y, scores[:, 1:], scores[:, 0] >= t, list(CATEGORIES))
    for c, m in report.items():
        state = f"threshold {m['threshold']:.2f}" if m["fires"] else "does not fire (threshold 1.0)"
        click.echo(f"  {c:28s} {m['positives']:4d} positives  F1 {m['f1']:.3f}  {state}")
    # the card's in-distribution figures, recomputed at the thresholds being shipped
    metrics = {**guard.manifest.metrics,
               **validation_metrics(validation, all_scores, np.array(
                   [response_threshold if response_threshold is not None and r.role == "response" else threshold
                    for r in validation]), thresholds)}
    return {"category_thresholds": thresholds, "category_rule": CATEGORY_RULE.format(min_positives=10, min_f1=0.25),
            "categories_not_firing": [c for c, m in report.items() if not m["fires"]], "metrics": metrics}
