"""What ``guard-cli`` prints for people: a verdict line, the eval table and the bundle summary,
and the sink ``check`` streams into (stdout, or a file written atomically).

Kept apart from the commands so wording and layout live in one place and can be tested on
plain dicts; JSON output is the data itself and needs no rendering.
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator

import click

from tinyguard.atomic import atomic_open
from tinyguard.cli.policy import unchecked_note
from tinyguard.taxonomy import CATEGORIES

if TYPE_CHECKING:
    from tinyguard.verdict import Verdict


# ---------------------------------------------------------------- check

@contextlib.contextmanager
def output_stream(path: str | None) -> Iterator[Any]:
    """stdout, or FILE written atomically (temp file + rename) when the command succeeds."""
    if path is None:
        yield _Stdout()
        return

    with atomic_open(path) as f:  # a bad path fails here, before any scoring output
        yield f


class _Stdout:
    def write(self, text: str) -> None:
        click.echo(text, nl=False)


def verdict_line(v: "Verdict") -> str:
    """``FLAGGED 0.981  indiscriminate_weapons 0.97``, ``FLAGGED 0.912  no category fired`` or
    ``ok      0.012`` (each followed by ``[unverified bundle: ...]`` when the guard was loaded
    with --allow-unsigned). Only categories that fired are named: a category whose head does not fire
    (its threshold, or one the model ships as never firing) is not offered as the reason."""
    by_score = sorted(v.category_scores.items(), key=lambda kv: -kv[1])
    line = f"{'FLAGGED' if v.flagged else 'ok':7} {v.score:.3f}"
    if v.flagged and v.score >= v.threshold:  # (flagged only as not fully checked: no category to name)
        shown = [(c, s) for c, s in by_score if v.categories[c]]
        line += "  " + (", ".join(f"{c} {s:.2f}" for c, s in shown) if shown else "no category fired")
    return line + unchecked_note(v) + ("" if v.bundle_verified else "  [unverified bundle: loaded with --allow-unsigned]")


# ---------------------------------------------------------------- eval

def fmt(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def eval_table(r: dict[str, Any]) -> str:
    via = f", backend {r['backend']}" if r.get("backend", "onnx") != "onnx" else ""
    unverified = "  [unverified bundle: loaded with --allow-unsigned]" if r.get("bundle_verified") is False else ""
    both = f", responses {r['response_threshold']:g}" if r.get("response_threshold") is not None else ""
    out = [f"{r['model']} on {r['file']} (threshold {r['threshold']:g}{both}{via}){unverified}", ""]
    rows = [("n", r["n"]), ("positives", r["positives"]), ("precision", r["precision"]),
            ("recall", r["recall"]), ("F1", r["f1"]), ("AUPRC", r["auprc"]), ("FPR", r["fpr"])]
    out += [f"  {name:<10} {fmt(value):>8}" for name, value in rows]
    out.append(f"  {'TP/FP/TN/FN':<10} {r['tp']}/{r['fp']}/{r['tn']}/{r['fn']}")
    if r["hard_negative_count"]:
        out.append(f"  hard-negative FPR {fmt(r['hard_negative_fpr'])} "
                   f"({r['hard_negative_count']} safe hard negatives)")
    if r["categories"]:
        out += ["", f"  {'category':<26} {'pos':>5} {'precision':>9} {'recall':>7} {'F1':>7} "
                    f"{'AUPRC':>7} {'FPR':>7} {'thresh':>6}"]
        for name, m in r["categories"].items():
            out.append(f"  {name:<26} {m['positives']:>5} {fmt(m['precision']):>9} {fmt(m['recall']):>7} "
                       f"{fmt(m['f1']):>7} {fmt(m['auprc']):>7} {fmt(m['fpr']):>7} {m['threshold']:>6.2f}")
    return "\n".join(out)


# ---------------------------------------------------------------- info

def size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def firing(raw: dict[str, Any], thresholds: dict[str, float]) -> tuple[list[str], list[str]]:
    """(categories that can fire, categories that never do): the manifest's
    ``categories_not_firing`` when it has one, else those at threshold 1.0 or above."""
    never = raw.get("categories_not_firing")
    if not isinstance(never, list):
        never = [c for c in CATEGORIES if thresholds[c] >= 1.0]
    return [c for c in CATEGORIES if c not in never], [c for c in CATEGORIES if c in never]


_HEADLINE = {"mean_auprc": "mean AUPRC", "mean_f1": "mean F1", "unsafe_recall": "unsafe recall",
             "benign_fpr": "benign FPR"}


def tier_lines(tiers: list[dict[str, Any]]) -> list[str]:
    """One line per shipped tier: model, size, p50, phrasing gap, OOD AUPRC (what it records)."""
    out = []
    for i, t in enumerate(tiers):
        head = "tiers       " if i == 0 else "            "
        if "error" in t:
            out.append(f"{head}{t['tier']}: {t['error']}")
            continue
        parts = [f"{t['tier']}{' (default)' if t['default'] else ''}: {t['model']}, {t['size_mb']:.1f} MB"]
        b = ((t.get("figures") or {}).get("bench")) or {}
        if b.get("p50_ms_32") is not None:
            parts.append(f"p50 {b['p50_ms_32']:.2f} ms at 32 tokens")
        p = ((t.get("figures") or {}).get("phrasing")) or {}
        if p:
            parts.append(f"recall formal/casual {p['recall_formal']:.2f}/{p['recall_casual']:.2f}, "
                         f"style gap {p['style_gap']:.2f}")
        if isinstance(t.get("ood"), dict) and t["ood"].get("mean_auprc") is not None:
            parts.append(f"OOD mean AUPRC {fmt(t['ood']['mean_auprc'])}")
        out.append(head + "; ".join(parts) + f"  (--model {t['tier']})")
    return out


def info_summary(s: dict[str, Any]) -> str:
    """The bundle in a dozen lines (``s``: the ``info --format json`` object)."""
    m = s["manifest"]
    total = sum(s["sizes"].values())
    out = [s["model"] + (f"  (created {m['created']})" if m.get("created") else ""),
           f"bundle      {s['path']}  ({len(s['sizes'])} files, {size(total)}; every sha256 matches the manifest)"]
    onnx, gguf, auto = s["backends"].get("onnx"), s["models"].get("gguf") or {}, s["default_backend"]

    def one(name: str, file: str, default: bool) -> str:
        return f"{name} {file} ({size(s['sizes'][file])}{', default' if default else ''})"

    models = [one("ONNX", onnx, auto == "onnx")] if onnx else ["ONNX: none"]
    models += [one(f"GGUF {q}", f, auto == "gguf" and f == s["backends"].get("gguf")) for q, f in gguf.items()] \
        or ["GGUF: none (--backend gguf is not available)"]
    out.append("model       " + "; ".join(models))
    presets = ", ".join(f"{k} {v:g}" for k, v in sorted(m.get("presets", {}).items(), key=lambda kv: kv[1]))
    own = (f" prompts, {m['response_threshold']:g} responses (their own)"
           if m.get("response_threshold") is not None else "")
    out.append(f"threshold   {m['threshold']:g}{own}" + (f"   presets: {presets}" if presets else ""))
    if m.get("threshold_rule"):
        out.append(f"            rule: {m['threshold_rule']}")
    fires, never = firing(m, s["category_thresholds"])
    out.append(f"categories  fire ({len(fires)}): "
               + ", ".join(f"{c} {s['category_thresholds'][c]:g}" for c in fires) if fires else "categories  none fire")
    if never:
        out.append(f"            never fire ({len(never)}): " + ", ".join(never))
    metrics = m.get("metrics") or {}
    head = (metrics.get("ood") or {}).get("headline")
    if isinstance(head, dict) and head:
        slices = len((metrics.get("ood") or {}).get("slices") or {})
        named = [(_HEADLINE.get(k, k.replace("_", " ")), v) for k, v in
                 sorted(head.items(), key=lambda kv: list(_HEADLINE).index(kv[0]) if kv[0] in _HEADLINE else 99)]
        out.append("OOD         " + ", ".join(f"{k} {fmt(v)}" for k, v in named)
                   + (f"  ({slices} held-out slices)" if slices else ""))
    val, hn = metrics.get("validation"), metrics.get("hard_negatives") or {}
    if isinstance(val, dict) and val:
        line = f"validation  F1 {fmt(val.get('f1'))}, AUPRC {fmt(val.get('auprc'))}, FPR {fmt(val.get('fpr'))}"
        line += f" on {val['n']} texts" if "n" in val else ""
        if hn.get("n"):
            line += f"; hard-negative FPR {fmt(hn.get('fpr'))} on {hn['n']}"
        out.append(line)
    out.append(f"signature   {s['signature']}")
    out.append(f"defenses    {s['defenses']}")
    sources = ((m.get("data") or {}).get("sources")) or []
    if sources:
        licences = sorted({str(x.get("licence", "?")) for x in sources if isinstance(x, dict)})
        out.append(f"data        {len(sources)} source{'s' if len(sources) > 1 else ''}; "
                   f"licences: {', '.join(licences)}")
    out += tier_lines(s.get("tiers") or [])
    out.append("more        guard-cli info --format json (files, encoding, taxonomy, sources, every metric)")
    return "\n".join(out)
