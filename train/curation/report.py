"""The curation report: ``report.md`` plus plots (matplotlib, Agg canvas, no pyplot state).

Counts before/after each round per method and per (label, category), drops and relabels by
reason with their meaning, and up to ``SAMPLES`` examples of what each round removed, changed
or kept against the teacher, per reason.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tinyguard.atomic import atomic_open, atomic_write_text

from .common import REASONS, Decision

SAMPLES = 3
SAMPLE_CHARS = 240


def _save(fig, path: Path) -> None:
    with atomic_open(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")


def _stages(counts: dict[str, Any]) -> list[tuple[str, dict]]:
    return [("input", counts["input"])] + [(f"{r['round']} {r['name']}", r["after"]) for r in counts["rounds"]]


def _bars(path: Path, stages: list[tuple[str, dict]], key: str, title: str) -> None:
    from matplotlib.figure import Figure

    names = sorted({k for _, s in stages for k in s[key]})
    fig = Figure(figsize=(max(6.0, 1.2 * len(stages)), 4.5))
    ax = fig.subplots()
    bottom = [0] * len(stages)
    for name in names:
        values = [s[key].get(name, 0) for _, s in stages]
        ax.bar([label for label, _ in stages], values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_title(title)
    ax.set_ylabel("candidates")
    ax.tick_params(axis="x", rotation=30)
    if names:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _save(fig, path)


def _categories(path: Path, counts: dict[str, Any]) -> None:
    from matplotlib.figure import Figure

    first, last = counts["input"]["by_category"], counts["final"]["by_category"]
    names = sorted(set(first) | set(last))
    fig = Figure(figsize=(7.0, max(3.0, 0.32 * len(names) + 1)))
    ax = fig.subplots()
    y = list(range(len(names)))
    ax.barh([i + 0.2 for i in y], [first.get(n, 0) for n in names], height=0.4, label="input")
    ax.barh([i - 0.2 for i in y], [last.get(n, 0) for n in names], height=0.4, label="curated")
    ax.set_yticks(y, names, fontsize=7)
    ax.set_title("Candidates per (label, category): input vs curated")
    ax.legend()
    _save(fig, path)


def _reasons(path: Path, decisions: list[Decision]) -> None:
    from matplotlib.figure import Figure

    tally: dict[str, int] = {}
    for d in decisions:
        if d.action in ("drop", "relabel"):
            key = f"{d.round} {d.action}: {d.reason}"
            tally[key] = tally.get(key, 0) + 1
    names = sorted(tally)
    fig = Figure(figsize=(7.0, max(2.5, 0.32 * len(names) + 1)))
    ax = fig.subplots()
    ax.barh(names, [tally[n] for n in names])
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title("Drops and relabels by round and reason")
    _save(fig, path)


def _quote(text: str) -> str:
    s = " ".join(text.split()).replace("|", "\\|").replace("`", "'")
    return s if len(s) <= SAMPLE_CHARS else s[:SAMPLE_CHARS - 1] + "…"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]


def markdown(counts: dict[str, Any], decisions: list[Decision], seed_issues: list[dict],
             plots: list[str]) -> str:
    stages = _stages(counts)
    seed = counts["seed"]
    lines = ["# Curation report", "",
             f"{counts['input']['total']} synthetic candidates in, **{counts['final']['total']}** curated records out. "
             f"Seed data compared against: {seed['total']} records ("
             + ", ".join(f"{k} {v}" for k, v in seed["by_split"].items()) + ").", ""]
    lines += [f"![{Path(p).stem}]({p})" for p in plots] + [""]

    lines += ["## Rounds", ""]
    lines += _table(["round", "before", "after", "dropped", "relabelled", "stripped"],
                    [[f"{r['round']} {r['name']}", r["before"]["total"], r["after"]["total"],
                      sum(r["dropped"].values()), sum(r["relabelled"].values()), sum(r["stripped"].values())]
                     for r in counts["rounds"]])

    lines += ["", "## Decisions by reason", ""]
    rows = []
    for r in counts["rounds"]:
        for action, key in (("drop", "dropped"), ("relabel", "relabelled"), ("strip", "stripped"), ("keep", "noted_keeps")):
            rows += [[f"{r['round']} {r['name']}", action, f"`{reason}`", n, REASONS.get(reason, "")]
                     for reason, n in r[key].items()]
    lines += _table(["round", "action", "reason", "candidates", "meaning"], rows) if rows else ["(none)"]

    for title, key in (("Per method", "by_method"), ("Per label / category", "by_category"),
                       ("Per label", "by_label"), ("Per source", "by_source")):
        names = sorted({k for _, s in stages for k in s[key]})
        lines += ["", f"## {title} after each round", ""]
        lines += _table([key.removeprefix("by_")] + [label for label, _ in stages],
                        [[n] + [s[key].get(n, 0) for _, s in stages] for n in names])

    verify_round = next((r for r in counts["rounds"] if r["name"] == "verify"), None)
    if verify_round:
        lines += ["", "## Round 4: label verification", "", "Kept by reason: "
                  + (", ".join(f"`{k}` {v}" for k, v in verify_round["extra"].get("kept_by_reason", {}).items()) or "none")]
    noise_round = next((r for r in counts["rounds"] if r["name"] == "noise"), None)
    if noise_round:
        e = noise_round["extra"]
        lines += ["", "## Round 5: label noise (cleanlab)", "",
                  f"Pool: {e.get('pool', 0)} records ({e.get('synthetic_pool', 0)} synthetic). "
                  f"Flagged synthetic: {e.get('flagged_synthetic', 0)}, dropped {e.get('dropped', 0)} "
                  f"(cap {e.get('cap', 0)}). Flagged seed records (kept, never dropped): "
                  f"{e.get('flagged_seed', 0)} ({', '.join(f'{k} {v}' for k, v in e.get('flagged_seed_by_split', {}).items()) or 'none'}). "
                  "Teacher probabilities on its own training records are in-sample.", ""]
        for row in seed_issues[:SAMPLES]:
            lines.append(f"- seed {row.get('split') or 'train'} / {row.get('source')} / labelled "
                         f"**{row.get('label')}**, teacher {row.get('teacher')}: \"{_quote(row.get('text', ''))}\"")
    div_round = next((r for r in counts["rounds"] if r["name"] == "diversity"), None)
    if div_round:
        e = div_round["extra"]
        lines += ["", "## Round 6: diversity", "",
                  f"{e.get('clusters', 0)} clusters; largest kept clusters: {e.get('largest_clusters_kept', [])}."]

    lines += ["", f"## Samples (up to {SAMPLES} per round and reason)", ""]
    groups: dict[tuple[int, str, str], list[Decision]] = {}
    for d in decisions:
        group = groups.setdefault((d.round, d.action, d.reason), [])
        if len(group) < SAMPLES:
            group.append(d)
    for (rnd, action, reason), group in groups.items():
        lines += ["", f"### Round {rnd} {group[0].round_name}: {action} `{reason}`", ""]
        for d in group:
            extra = f" → \"{_quote(d.after)}\"" if d.action == "strip" else (f" → **{d.after}**" if d.after else "")
            detail = f" ({d.detail})" if d.detail else ""
            cats = "/" + ",".join(d.categories) if d.categories else ""
            lines.append(f"- {d.method} / {d.label}{cats}{detail}: \"{_quote(d.text)}\"{extra}")
    return "\n".join(lines) + "\n"


def write_report(out_dir: Path, counts: dict[str, Any], decisions: list[Decision],
                 seed_issues: list[dict]) -> Path:
    """Write ``report.md`` and its plots into ``out_dir``; return the report's path."""
    out_dir = Path(out_dir)
    stages = _stages(counts)
    _bars(out_dir / "counts.png", stages, "by_method", "Candidates per method after each round")
    _bars(out_dir / "labels.png", stages, "by_label", "Candidates per label after each round")
    _categories(out_dir / "categories.png", counts)
    _reasons(out_dir / "reasons.png", decisions)
    plots = ["counts.png", "labels.png", "categories.png", "reasons.png"]
    path = out_dir / "report.md"
    atomic_write_text(path, markdown(counts, decisions, seed_issues, plots))
    return path
