"""``guard-cli eval`` / ``robustness`` / ``bench`` / ``calibrate``: measuring a bundle, and
refitting its threshold, on this machine and the user's labelled data.

The work lives in :mod:`tinyguard.measure.metrics`, :mod:`tinyguard.measure.robustness`, :mod:`tinyguard.measure.bench`
and :mod:`tinyguard.measure.calibrate` (imported when a command runs, so ``--help`` stays instant);
these commands read input, call them and write the report (``--format``, ``--output``).
"""
from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from tinyguard.atomic import atomic_write_text
from tinyguard.cli.inputs import read_labelled, scored_labelled
from tinyguard.cli.options import (CliError, RenamedOption, backend_option, bundle_option, check_output,
                                   command_line, emit, load_guard, no_defenses_option, one_line, report_options,
                                   skip_errors_option, threshold_option, warn)
from tinyguard.cli.output import eval_table
from tinyguard.cli.signing import trusted_key_option
from tinyguard.taxonomy import CATEGORIES, N_OUTPUTS

if TYPE_CHECKING:
    from tinyguard.scoring.guard import Guard
    from tinyguard.measure.metrics import Labels
    from tinyguard.verdict import Verdict


@click.command("eval")
@click.argument("file", metavar="FILE.jsonl")
@bundle_option
@backend_option
@threshold_option
@report_options("the metrics as a table")
@skip_errors_option
@no_defenses_option
@trusted_key_option
def eval_cmd(file: str, bundle: str | None, backend: str, threshold: float | None, fmt: str, output: str | None,
             skip_errors: bool, no_defenses: bool, trusted_keys: tuple[str, ...], allow_unsigned: bool) -> None:
    """Measure the model on a labelled FILE.jsonl.

    \b
    Each line: {"text": ..., "label": "safe"|"unsafe" (or 0/1, true/false),
                "role": "prompt"|"response", "context": ..., "categories": [names],
                "hard_negative": true}   (all but text and label optional)

    Prints n, positives, precision, recall, F1, AUPRC and FPR at the threshold, the FPR on
    hard negatives (safe texts that look unsafe), and per-category rows for categories with
    labels. Category rows use rows whose categories are known: safe rows, and unsafe rows
    with a non-empty "categories" list; they score the raw category scores against each
    category's threshold. The figures are computed exactly as the export computes a model
    card's (tinyguard.measure.metrics.guard_metrics).

    \b
    Examples:
      guard-cli eval data/test.jsonl
      guard-cli eval data/test.jsonl --format json --output metrics.json
      guard-cli eval data/test.jsonl --threshold 0.3 --skip-errors
    """
    check_output(output, file)
    guard = load_guard(bundle, defenses=not no_defenses, backend=backend, trusted_keys=trusted_keys,
                       allow_unsigned=allow_unsigned)
    _, labels, verdicts, left_out = scored_labelled(guard, file, threshold, skip_errors)
    report = eval_report(labels, verdicts, guard, threshold, file)
    report["skipped_lines"] = left_out
    emit(json.dumps(report, ensure_ascii=False, indent=2) if fmt == "json" else eval_table(report), output)


def eval_report(labels: "Labels", verdicts: list["Verdict"], guard: "Guard",
                threshold: float | None, file: str = "") -> dict[str, Any]:
    """``guard-cli eval``'s report: :func:`~tinyguard.measure.metrics.guard_metrics` of the verdicts'
    scores at the guard's thresholds (or ``threshold``), flattened, with the model and file. Without
    ``threshold`` each line counts at the threshold its verdict was judged at (its role's, spec 1.2)."""
    import numpy as np

    from tinyguard.measure.metrics import guard_metrics

    t: Any = float(threshold) if threshold is not None else np.array([v.threshold for v in verdicts], dtype=np.float64)
    scores = np.array([[v.score, *(v.category_scores[c] for c in CATEGORIES)] for v in verdicts],
                      dtype=np.float64).reshape(len(verdicts), N_OUTPUTS)
    m = guard_metrics(labels, scores, t, {c: guard.manifest.category_threshold(c) for c in CATEGORIES})
    report: dict[str, Any] = {"model": guard.model_id, "backend": getattr(guard, "backend", "onnx"), "file": file,
                              "bundle_verified": guard.bundle_verified}
    report.update(m["validation"])
    report["threshold"] = guard.threshold if threshold is None else float(threshold)
    if threshold is None and guard.response_threshold != guard.threshold:
        report["response_threshold"] = guard.response_threshold  # responses' own (spec 1.2)
    report["hard_negative_count"] = m["hard_negatives"]["n"]
    report["hard_negative_fpr"] = m["hard_negatives"]["fpr"]
    report["categories"] = m["categories"]
    return report


@click.command()
@click.argument("file", metavar="FILE.jsonl")
@bundle_option
@backend_option
@threshold_option
@click.option("--attacks", metavar="A,B,...", default=None,
              help="Attacks to run (default: all of tinyguard.measure.operators.OPERATORS and tinyguard.measure.attacks.ATTACKS).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the attack operators.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Use at most N unsafe and N safe lines (a seeded sample) to save time.")
@report_options("a markdown table")
@click.option("--out", "markdown_copy", metavar="FILE.md", default=None, hidden=True,
              help="Earlier spelling: also write the markdown table to FILE.md, whatever --format prints.")
@skip_errors_option
@trusted_key_option
def robustness(file: str, bundle: str | None, backend: str, threshold: float | None, attacks: str | None, seed: int,
               limit: int | None, fmt: str, output: str | None, markdown_copy: str | None, skip_errors: bool,
               trusted_keys: tuple[str, ...], allow_unsigned: bool) -> None:
    """Recall and benign FPR under cheap attacks, with and without defenses.

    Applies each attack operator (typos, casing, spacing, punctuation, leetspeak, homoglyphs,
    zero-width, emoji, base64, hex, rot13, URL-encoding, jailbreak wrapper) and each attack of
    tinyguard.measure.attacks (benign padding before/after: pad_prefix_1/40/1000, pad_suffix_1/40/1000;
    tag_smuggling, bidi, embedded_encoding, spaced_letters) to the unsafe lines of a labelled
    FILE.jsonl (recall per attack) and to its safe lines (false-positive rate per attack), and
    scores each attacked text once: "no defenses" is the score of the normalized text as written,
    "defenses" the max over its readings, views and segments. A row meets the target when, with
    defenses, recall >= 0.9 x clean recall and FPR <= clean FPR + 5 points.

    \b
    Examples:
      guard-cli robustness data/validation.jsonl --output robustness.md
      guard-cli robustness data/test.jsonl --attacks leetspeak,base64 --limit 200 --format json
      guard-cli robustness data/validation.jsonl --attacks pad_prefix_40,bidi --limit 100
    """
    from tinyguard.measure.robustness import robustness_markdown, robustness_report, sample

    check_output(output, file)
    check_output(markdown_copy, file)
    items = sample(read_labelled(file, skip_errors=skip_errors), limit, seed)
    names = [a.strip() for a in attacks.split(",") if a.strip()] if attacks else None
    guard = load_guard(bundle, defenses=True, backend=backend, trusted_keys=trusted_keys, allow_unsigned=allow_unsigned)
    report = robustness_report(guard, items, attacks=names, seed=seed, threshold=threshold, file=file)
    md = robustness_markdown(report, command_line())
    if markdown_copy:
        atomic_write_text(markdown_copy, md)
    emit(json.dumps(report, ensure_ascii=False, indent=2) if fmt == "json" else md, output)


@click.command()
@bundle_option
@backend_option
@click.option("--device", "device", metavar="devices/NAME.toml", default=None,
              help="A device profile: check each of its budgets and report met/missed.")
@click.option("--threads", type=click.IntRange(min=1), default=None, metavar="N",
              help="Threads for the throughput run (default: the profile's, else all available CPUs).")
@click.option("--quick", is_flag=True, help="A few iterations only: checks that everything runs (numbers are rough).")
@report_options("a markdown summary")
@click.option("--out-dir", "--out", "out_dir", cls=RenamedOption, old=("--out",), metavar="DIR", default=None,
              help="Also keep the results: DIR/<machine>-<date>.json and .md (e.g. devices/results).")
@click.option("--machine", default=None, metavar="NAME",
              help="Machine name for the results files (default: from the architecture and CPU model).")
@click.option("--note", default="", metavar="TEXT",
              help="A note stored with the results (e.g. 'machine busy with a training job').")
@click.option("--fail-on-miss", is_flag=True, help="Exit 1 when a device budget is missed.")
@click.option("--serve", "serve", is_flag=True,
              help="Measure `guard-cli serve` instead: --clients concurrent clients send --requests requests "
                   "(needs the serve extra); reported next to in-process check_batch throughput.")
@click.option("--clients", type=click.IntRange(min=1), default=32, show_default=True, metavar="N",
              help="With --serve: concurrent keep-alive clients.")
@click.option("--requests", "n_requests", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --serve: requests to send, each once (default 10000; --quick 200).")
@click.option("--server-args", default="", metavar="ARGS",
              help="With --serve: more `guard-cli serve` options, e.g. \"--max-batch 1\" (no micro-batching).")
@trusted_key_option
def bench(bundle: str | None, backend: str, device: str | None, threads: int | None, quick: bool, fmt: str,
          output: str | None, out_dir: str | None, machine: str | None, note: str, fail_on_miss: bool,
          serve: bool, clients: int, n_requests: int | None, server_args: str,
          trusted_keys: tuple[str, ...], allow_unsigned: bool) -> None:
    """Latency, throughput, cold start, peak memory and size of a bundle on this machine.

    \b
    Measures:
      latency     p50/p95/p99 ms per text at 1 thread, for ~16, 32, 128 and 512 tokens
      throughput  texts/s with batching at N threads
      cold start  a new `guard-cli check` process to its first verdict, and its peak RSS
      signature   in a fresh process: importing the verifier and checking the bundle's signature
      size        the bundle's files in MB (10^6 bytes)
      defenses    the cost of building de-obfuscation views

    \b
    Examples:
      guard-cli bench --device devices/laptop-x86.toml --out-dir devices/results
      guard-cli bench --device devices/tier-standard.toml   # the standard tier against its budgets
      guard-cli bench --quick --format json
      guard-cli bench --bundle STUDENT_BUNDLE --backend gguf --quick
      guard-cli bench --serve --clients 32 --requests 10000 --threads 1
      guard-cli bench --serve --quick --server-args "--max-batch 1"

    With --serve: a `guard-cli serve` child process on a loopback port, driven by --clients
    keep-alive clients until --requests requests are answered; reports requests/s, p50/p95/p99,
    errors, answers that differ from Guard.check of their own text, the server's peak RSS, and
    in-process check_batch throughput (batches of 32 and of 1, same threads) from the same run.
    """
    from tinyguard.measure.bench import bench_markdown, load_profile, run_bench, write_results

    check_output(output)
    if serve:
        _bench_serve(bundle, threads or 1, clients, n_requests or (200 if quick else 10_000), server_args,
                     fmt, output, note)
        return
    profile = load_profile(device) if device else None
    if bundle is None and profile is not None and profile.get("tier"):
        bundle = profile["tier"]  # a tier's profile benchmarks that tier unless --model says otherwise
    try:
        result = run_bench(bundle, quick=quick, threads=threads, profile=profile, command=command_line(),
                           machine=machine, note=note, backend=backend, trusted_keys=trusted_keys,
                           allow_unsigned=allow_unsigned)
    except ImportError as e:  # backend gguf without llama-cpp-python
        raise CliError(one_line(e)) from None
    if out_dir:
        js, md = write_results(result, out_dir)
        click.echo(f"wrote {js} and {md}", err=True)
    emit(json.dumps(result, ensure_ascii=False, indent=2) if fmt == "json" else bench_markdown(result), output)
    if fail_on_miss and profile is not None and not result["device"]["all_met"]:
        sys.exit(1)


def _bench_serve(bundle: str | None, threads: int, clients: int, requests: int, server_args: str, fmt: str,
                 output: str | None, note: str) -> None:
    import shlex

    from tinyguard.serve.deps import require

    try:
        require()
    except ImportError as e:
        raise CliError(one_line(e)) from None
    from tinyguard.serve.benchmark import run_serve_bench, serve_markdown

    result = run_serve_bench(bundle, threads=threads, clients=clients, requests=requests,
                             server_args=tuple(shlex.split(server_args)), command=command_line(), note=note,
                             progress=lambda m: click.echo(m, err=True))
    emit(json.dumps(result, ensure_ascii=False, indent=2) if fmt == "json" else serve_markdown(result), output)


@click.command()
@click.argument("file", metavar="FILE.jsonl")
@click.option("--target-fpr", type=click.FloatRange(0.0, 1.0), required=True, metavar="X",
              help="The false-positive rate allowed on the file's safe lines (e.g. 0.01).")
@bundle_option
@click.option("--out-bundle", "--out", "out_bundle", cls=RenamedOption, old=("--out",), metavar="DIR",
              default=None, help="Write a calibrated copy of the bundle to DIR (hashes re-pinned; the source "
                                 "is untouched).")
@click.option("--in-place", is_flag=True,
              help="Rewrite the source bundle's manifest instead (atomically). Never the default.")
@click.option("--min-per-label", type=click.IntRange(min=1), default=50, show_default=True, metavar="N",
              help="Refuse to write with fewer than N unsafe or N safe lines.")
@click.option("--max-recall-loss", type=click.FloatRange(0.0, 1.0), default=0.10, show_default=True, metavar="F",
              help="Refuse to write when recall on FILE would fall below (1 - F) x its recall at the "
                   "current threshold.")
@click.option("--force", is_flag=True, help="Write even when a check above fails (recorded in the manifest).")
@report_options("the before/after table and the checks")
@skip_errors_option
@no_defenses_option
@trusted_key_option
def calibrate(file: str, target_fpr: float, bundle: str | None, out_bundle: str | None, in_place: bool,
              min_per_label: int, max_recall_loss: float, force: bool, fmt: str, output: str | None,
              skip_errors: bool, no_defenses: bool, trusted_keys: tuple[str, ...], allow_unsigned: bool) -> None:
    """Refit the threshold on your labelled data for a target false-positive rate.

    The new threshold is the lowest one whose FPR on FILE's safe lines is <= X, so recall is
    as high as that FPR allows. Prints precision/recall/FPR before and after, the safe-labelled
    lines that score above the current threshold (a mislabelled or poisoned line shows here),
    and the checks. Without --out-bundle or --in-place nothing is written (a dry run).

    \b
    Checks (a failed one refuses --out-bundle/--in-place, exit 2, unless --force):
      at least --min-per-label lines of each label (default 50)
      recall on FILE keeps at least 1 - --max-recall-loss of its current value (default 0.10)

    \b
    Examples:
      guard-cli calibrate my_traffic.jsonl --target-fpr 0.01                   # a dry run
      guard-cli calibrate my_traffic.jsonl --target-fpr 0.01 --out-bundle my-bundle
      guard-cli sign --bundle my-bundle --key ~/.keys/guard.key   # the new manifest is unsigned
      guard-cli check --bundle my-bundle "some text"
    """
    from tinyguard.measure.calibrate import Rails, calibration, check_target, summary, write_calibrated

    if out_bundle and in_place:
        raise click.UsageError("give --out-bundle DIR or --in-place, not both")
    check_output(output, file)
    if out_bundle:
        check_target(bundle, out_bundle)  # before any scoring
    guard = load_guard(bundle, defenses=not no_defenses, trusted_keys=trusted_keys, allow_unsigned=allow_unsigned)
    lines, labels, verdicts, left_out = scored_labelled(guard, file, None, skip_errors)
    report = calibration(guard, labels.unsafe, lines, [v.score for v in verdicts], target_fpr, file=file,
                         roles=[v.role for v in verdicts],
                         rails=Rails(min_per_label, max_recall_loss))
    report["skipped_lines"] = left_out
    refused = bool(report["refusals"]) and not force and bool(out_bundle or in_place)
    written = None
    if (out_bundle or in_place) and not refused:
        written = write_calibrated(bundle, report, out=out_bundle, in_place=in_place)
        report["written"] = str(written)
    if fmt == "json":
        emit(json.dumps(report, ensure_ascii=False, indent=2), output)
    else:
        out = summary(report)
        if written:
            out.append(f"wrote calibrated bundle {written} (unsigned: its manifest changed; "
                       f"guard-cli sign --bundle {written} --key KEY signs it)")
        elif not refused:
            out.append("dry run: pass --out-bundle DIR (or --in-place) to write the bundle"
                       + (" (the checks above would refuse it without --force)" if report["refusals"] else ""))
        emit("\n".join(out), output)
    if refused:
        more = f" (and {len(report['refusals']) - 1} more)" if len(report["refusals"]) > 1 else ""
        raise CliError(f"calibration refused, nothing written: {report['refusals'][0]}{more}; "
                       f"--force writes it anyway")
    if written and report["refusals"]:
        for reason in report["refusals"]:
            warn(f"written despite a failed check (--force): {reason}")
