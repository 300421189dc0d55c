"""MODEL_CARD.md: what the bundle is, what it was trained on, how well it does, and the
command that reproduces every figure in it."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

from tinyguard.bundle.folder import read_bundle, write_bundle
from tinyguard.bundle.manifest import Manifest, as_manifest


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _student_lines(manifest: Manifest) -> list[str]:
    """Extra Model bullets for distilled students: other artifacts and the distillation recipe."""
    lines: list[str] = []
    artifacts = manifest.artifacts or {}
    if artifacts.get("ort"):
        lines.append(f"- ONNX Runtime Mobile: `{artifacts['ort']}` (ORT format of the same int8 model).")
    for qtype, name in (artifacts.get("gguf") or {}).items():
        lines.append(f"- llama.cpp: `{name}` ({qtype} GGUF of the encoder, run as a BERT embedding model with "
                     "mean pooling; the 16-logit head is in the file's `tinyguard.head.*` metadata).")
    training = manifest.training
    kd = training.get("distillation")
    if kd:
        agree = training.get("teacher_agreement", {})
        lines.append(f"- Distillation: temperature {kd.get('temperature')}, KD weight {kd.get('kd_weight')} "
                     f"(rest: hard labels), category weight {kd.get('category_weight')}; "
                     f"{_fmt(training.get('labelled'))} labelled + {_fmt(training.get('unlabelled'))} unlabelled "
                     f"texts (teacher scores only), {_fmt(training.get('params'))} parameters, vocabulary "
                     f"{_fmt(training.get('vocab_size'))} tokens; agrees with the teacher on "
                     f"{_fmt(agree.get('label_agreement@0.5'))} of validation texts at score 0.5.")
    return lines


def _ood_lines(ood: dict[str, Any]) -> list[str]:
    """Yardstick v1's section (written by v1's retired ``guard-cli ood report --card``), headed as
    retired so a reader does not take it for the current yardstick; it stays on the cards that carry it."""
    h = ood.get("headline", {})
    lines = ["## Out-of-distribution yardstick v1 (retired; figures as measured then)", "",
             "Kept for the record: v1 read slices, not families (yardstick v2 replaces it where a card has both), "
             "and its command below no longer runs as written (`guard-cli ood report` writes v2). "
             "Scored by the runtime (defenses on) at the bundle's threshold on slices from sets no "
             "default model trains on (`train/ood_suite.py`). Headline: mean over slices with both "
             "labels (AUPRC, F1), mean false-positive rate over benign-holding slices, mean recall over "
             "unsafe-holding slices.", "",
             "| mean AUPRC | mean F1 | benign FPR | unsafe recall |", "|---|---|---|---|",
             f"| {_fmt(h.get('mean_auprc'))} | {_fmt(h.get('mean_f1'))} | {_fmt(h.get('benign_fpr'))} | "
             f"{_fmt(h.get('unsafe_recall'))} |", "",
             "| slice | unsafe / safe | AUPRC | F1 | recall | FPR |", "|---|---|---|---|---|---|"]
    for name, sm in ood.get("slices", {}).items():
        lines.append(f"| {name} | {sm.get('unsafe')} / {sm.get('safe')} | {_fmt(sm.get('auprc'))} | "
                     f"{_fmt(sm.get('f1'))} | {_fmt(sm.get('recall'))} | {_fmt(sm.get('fpr'))} |")
    lines += ["", f"Command: `{ood.get('command', 'n/a')}`", ""]
    return lines


def _ood_v2_lines(ood: dict[str, Any]) -> list[str]:
    """Yardstick v2 (``guard-cli ood report --card``): six families weighted equally, phrasings."""
    h = ood.get("headline", {})
    fpr = h.get("benign_fpr", {})
    lines = ["## Out-of-distribution yardstick v2 (families this model never trained on)", "",
             "Six families, each weighted equally, scored by the runtime (defenses on) at the bundle's thresholds "
             "(each text at its role's) "
             "on the report half (`train/ood_suite.py`, `FAMILIES`). AUPRC is prevalence-neutral (each label "
             "weighted to half of a family, so families with different label mixes compare); a benign FPR counts "
             "texts flagged because they could not be fully checked (the `on_unchecked` policy), shown in brackets. "
             "Style gap: mean |score difference| between "
             "a request's formal phrasing and its casual, polite and role-framed restatements "
             "(`train/ood_restyle.py`).", "",
             "| mean family AUPRC | worst family AUPRC | style gap | casual / formal recall |", "|---|---|---|---|",
             f"| {_fmt(h.get('mean_family_auprc'))} | {_fmt(h.get('worst_family_auprc'))} ({h.get('worst_family')}) | "
             f"{_fmt(h.get('style_gap'))} | {_fmt(h.get('casual_over_formal_recall'))} |", "",
             "| family | AUPRC (defenses on / off) | benign FPR on (not fully checked) / off |", "|---|---|---|"]
    policy = h.get("benign_fpr_policy", {})
    for name, f in ood.get("families", {}).items():
        lines.append(f"| {name} | {_fmt(f.get('auprc'))} / {_fmt(f.get('auprc_off'))} | "
                     f"{_fmt(fpr.get(name))} ({_fmt(policy.get(name))}) / "
                     f"{_fmt(h.get('benign_fpr_off', {}).get(name))} |")
    lines += ["", f"Command: `{ood.get('command', 'n/a')}`", ""]
    return lines


def _adversarial_lines(adv: dict[str, Any] | None) -> list[str]:
    """The adversarial rounds behind the bundle (``guard-cli adversarial``) and the data they added."""
    if not adv:
        return []
    lines = ["", f"Adversarial rounds (`{adv.get('source', 'synthetic-adversarial')}` rows, config "
             f"`{adv.get('config')}`): attackers {adv.get('attackers')} on {adv.get('base_model')} tried to make "
             "earlier guards miss unsafe text (evade) or flag benign text (false alarm); successes whose label "
             f"the verifier {adv.get('verifier')}, embedding similarity and rule checks confirmed were curated "
             "and trained on:", "", "| round | harvested | harvested by goal | curated | curated by goal |",
             "|---|---|---|---|---|"]

    def goals(counts: dict[str, int] | None) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted((counts or {}).items())) or "–"

    for r in adv.get("rounds", []):
        lines.append(f"| {r.get('round')} | {r.get('harvested')} | {goals(r.get('harvested_by_goal'))} | "
                     f"{r.get('curated')} | {goals(r.get('by_goal'))} |")
    where = [f"{name}: {adv[key]}" for key, name in (("seeds", "Seeds"), ("guard0", "guard 0"),
                                                      ("retrain", "each guard"), ("run", "run folder")) if adv.get(key)]
    return lines + (["", "; ".join(where) + "."] if where else [])


def _threshold_line(manifest: Manifest) -> str:
    """The binary thresholds as shipped: one for both roles, or (spec 1.2) prompts' and responses' own."""
    rule = f"chosen by the rule: {manifest.threshold_rule or 'n/a'}."
    if manifest.response_threshold is None:
        return f"- Threshold {manifest.threshold:.4f}, {rule}"  # prompts and responses alike
    return (f"- Thresholds: prompts {manifest.threshold:.4f}, responses {manifest.response_threshold:.4f} "
            f"(their own: `response_threshold`; a runtime older than spec 1.2 refuses the bundle), {rule}")


def _category_line(manifest: Manifest) -> str:
    """Category thresholds as shipped, and the categories that never fire (said, not hidden)."""
    t = manifest.category_thresholds
    off = manifest.categories_not_firing
    if len(set(t.values())) <= 1 and not off:
        return f"- Category thresholds: {_fmt(next(iter(t.values()), None))} each."
    fires = ", ".join(f"{c} {v:.2f}" for c, v in t.items() if c not in off)
    line = f"- Category thresholds ({manifest.category_rule or 'per category'}): {fires}."
    if off:
        line += (f" **Not shipped as firing** (threshold 1.0, too few validation positives or no better "
                 f"than chance): {', '.join(off)}; their scores are reported but never set a category.")
    return line


def _tier_lines(t: dict[str, Any]) -> list[str]:
    """The tier section (``scripts/tier_figures.py``): what the tier costs and how it reads phrasing."""
    lines = [f"## Tier: {t.get('tier', 'n/a')}", ""]
    b = t.get("bench") or {}
    if b:
        lines.append(f"- Size {b.get('bundle_mb', 0):.1f} MB; p50 at 32 tokens, 1 thread, defenses on: "
                     f"{b.get('p50_ms_32', 0):.2f} ms" + (f" ({b['ratio']:.2f}x the {b['reference_model']} "
                                                          f"measured in the same run)" if b.get("ratio") else "")
                     + f" on {b.get('cpu', 'n/a')}. Command: `{b.get('command', 'n/a')}`")
    p = t.get("phrasing") or {}
    if p:
        lines.append(f"- Phrasing probe ({p.get('unsafe', 0)} harmful, {p.get('safe', 0)} benign requests, each formal "
                     f"and casual): recall formal {p['recall_formal']:.3f} / casual {p['recall_casual']:.3f}, benign "
                     f"FPR formal {p['fpr_formal']:.3f} / casual {p['fpr_casual']:.3f}, style gap "
                     f"{p['style_gap']:.3f}. Command: `{p.get('command', 'n/a')}`")
    return lines + [""]


def render_model_card(manifest: Manifest | Mapping[str, Any], *, reproduce: str) -> str:
    """MODEL_CARD.md of a bundle with this manifest (a Manifest, or a manifest dict: checked)."""
    manifest = as_manifest(manifest)
    m = manifest.metrics
    val = m.get("validation", {})
    hn = m.get("hard_negatives", {})
    data = manifest.data
    training = manifest.training
    lines = [
        f"# {manifest.name} {manifest.version}",
        "",
        "An offline safety classifier for LLM prompts and responses (tinyguard bundle, "
        f"schema {manifest.schema_version}). It outputs `flagged`, an unsafe `score` and "
        "per-category scores for the MLCommons hazard taxonomy (S1-S14) plus `jailbreak`.",
        "",
        *(_ood_v2_lines(m["ood_v2"]) if m.get("ood_v2") else []),
        *(_ood_lines(m["ood"]) if m.get("ood") else []),
        *(_tier_lines(m["tier"]) if isinstance(m.get("tier"), dict) else []),
        "## Model",
        "",
        f"- Base: {training.get('base_model', 'n/a')}, fine-tuned with a binary unsafe head and a "
        "multi-label category head over mean-pooled tokens.",
        f"- Artifact: `{manifest.model_file}` (dynamic int8 ONNX), tokenizer `tokenizer.json`.",
        f"- Max length {manifest.encoding['max_length']} tokens per window; the runtime scores every "
        "window of a text and each of its sentences alone, and keeps the maximum (see README, "
        "\"Defenses\").",
        _threshold_line(manifest),
        _category_line(manifest),
        *_student_lines(manifest),
        "",
        "## Validation metrics (in distribution)",
        "",
        "Measured on the int8 bundle over the validation split carved from the seed data "
        "(stratified by source, after cross-set deduplication), at the shipped thresholds, from the "
        "model's scores as `guard-cli eval` counts them. They are optimistic for other traffic: the "
        "split shares sources with training.",
        "",
        "| metric | validation | hard-negative slice |",
        "|---|---|---|",
        f"| texts | {_fmt(val.get('n'))} | {_fmt(hn.get('n'))} |",
        f"| unsafe | {_fmt(val.get('positives'))} | 0 |",
        f"| precision | {_fmt(val.get('precision'))} | |",
        f"| recall | {_fmt(val.get('recall'))} | |",
        f"| F1 | {_fmt(val.get('f1'))} | |",
        f"| AUPRC | {_fmt(val.get('auprc'))} | |",
        f"| false-positive rate | {_fmt(val.get('fpr'))} | {_fmt(hn.get('fpr'))} |",
        "",
        "The hard-negative slice holds benign texts on sensitive topics (refusals and safe answers to "
        "harmful requests, neutral statements about groups, benign seed prompts that mention weapons, "
        "drugs, hacking or death, and a reviewed hand-written set). A model that learned topics instead "
        "of intent flags these.",
        "",
    ]
    per_cat = m.get("categories", {})
    if per_cat:
        lines += ["### Per category (validation records with that category label)", "",
                  "| category | positives | precision | recall | F1 | AUPRC |", "|---|---|---|---|---|---|"]
        for name, cm in per_cat.items():
            lines.append(f"| {name} | {_fmt(cm.get('positives'))} | {_fmt(cm.get('precision'))} | "
                         f"{_fmt(cm.get('recall'))} | {_fmt(cm.get('f1'))} | {_fmt(cm.get('auprc'))} |")
        lines.append("")
    parity = m.get("parity", {})
    if parity:
        lines += ["## Export parity gates", "", "| gate | n | label agreement | max abs score diff |", "|---|---|---|---|"]
        for name, p in parity.items():
            lines.append(f"| {name} | {p['n']} | {p['agreement']:.4f} | {p['max_score_diff']:.4f} |")
        lines.append("")
    lines += ["## Training data", "",
              f"Licence classes used: {', '.join(data.get('licence_classes', []))}. "
              "Only sets of those classes were loaded.", "",
              "| source | licence | class | train records used | validation records |", "|---|---|---|---|---|"]
    for s in data.get("sources", []):
        lines.append(f"| {s.get('name')} | {s.get('licence', 'n/a')} | {s.get('licence_class', 'n/a')} | "
                     f"{s.get('train', 0)} | {s.get('validation', 0)} |")
    synthetic = data.get("synthetic")
    if synthetic:
        lines += ["", f"Synthetic data (`synthetic-*` rows): {synthetic.get('candidates')} candidates written by "
                  f"{synthetic.get('generator')} and the rule operators from train-split seeds, "
                  f"{synthetic.get('curated')} kept after six curation rounds (label verification by "
                  f"{synthetic.get('teacher_for_verification')}):", "",
                  "| round | in | out |", "|---|---|---|"]
        for r in synthetic.get("rounds", []):
            if isinstance(r, dict):
                lines.append(f"| {r.get('name', r.get('round'))} | {r.get('in', r.get('before'))} | "
                             f"{r.get('out', r.get('after'))} |")
    lines += _adversarial_lines(data.get("adversarial"))
    lines += ["",
              f"Teacher training: {_fmt(training.get('train_records'))} records "
              f"({_fmt(training.get('train_unsafe'))} unsafe), {_fmt(training.get('steps'))} steps, "
              f"seed {_fmt(training.get('seed'))}.", "",
              "## Limitations", "",
              ("- Adversarial records were written to fool earlier guards and kept only when the label "
               "signals agreed (see above); a small attacker finds only some of the blind spots. "
               if data.get("adversarial") else
               "- Synthetic data was written by a small local model and curated automatically; no "
               "adversarial (GAN-style) rounds yet. " if synthetic else
               "- Trained on public seed sets only (no synthetic or adversarial rounds yet). ")
              + "The seed data has a topic shortcut, so watch the hard-negative false-positive rate.",
              "- Mostly English; other languages appear only where seed sets carry them.",
              "- Category scores are weaker than the binary score: many unsafe seed records have no category.",
              "",
              "## Reproduce", "", "```", reproduce, "```", ""]
    return "\n".join(lines)


def refresh_model_card(bundle_dir: str | Path, metrics_updates: dict[str, Any]) -> Path:
    """Merge ``metrics_updates`` into a bundle's ``metrics`` and rewrite its card, atomically
    (``write_bundle`` re-pins every hash; a signature no longer matches and is dropped)."""
    manifest = read_bundle(bundle_dir)  # rewritten below, so unsigned after it either way
    reproduce = manifest.reproduce or _reproduce_block(Path(bundle_dir) / "MODEL_CARD.md")
    return rewrite_with_card(bundle_dir, metrics={**manifest.metrics, **metrics_updates}, reproduce=reproduce)


def rewrite_with_card(bundle_dir: str | Path, **changes: Any) -> Path:
    """Replace top-level manifest keys of a bundle and re-render its MODEL_CARD.md to match,
    atomically (``write_bundle`` re-pins every hash; a signature no longer matches and is dropped)."""
    root = Path(bundle_dir)
    manifest = read_bundle(root)  # rewritten below, so unsigned after it either way
    new = manifest.updated(**changes)
    with tempfile.TemporaryDirectory(prefix="card-") as tmp:
        card = Path(tmp) / "MODEL_CARD.md"
        card.write_text(render_model_card(new, reproduce=new.reproduce or "n/a"), encoding="utf-8")
        files = {n: (card if n == "MODEL_CARD.md" else root / n) for n in manifest.files}
        files.setdefault("MODEL_CARD.md", card)
        return write_bundle(root, files, new)


def _reproduce_block(card: Path) -> str:
    """The command block under '## Reproduce' of an existing card (bundles before 0.2 kept it only there)."""
    if not card.is_file():
        return "n/a"
    text = card.read_text(encoding="utf-8")
    if "## Reproduce" not in text:
        return "n/a"
    block = text.split("## Reproduce", 1)[1].split("```")
    return block[1].strip("\n") if len(block) > 2 else "n/a"
