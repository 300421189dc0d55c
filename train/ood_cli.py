"""``guard-cli ood``: the out-of-distribution yardstick (``report`` for bundles, ``lofo`` for recipes).

Flat click commands (testable alone); torch and friends load inside them.
"""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click


def _fail(e: BaseException) -> None:
    click.echo(f"error: {' '.join(str(e).split())}", err=True)
    sys.exit(2)


def _named(value: str) -> tuple[str, str | None]:
    """``NAME=PATH`` or ``PATH`` (named after its folder); ``default`` is the bundled model."""
    if "=" in value:
        name, path = value.split("=", 1)
    else:
        name, path = (value, None) if value == "default" else (Path(value).name, value)
    return name, (None if path in (None, "default") else path)


@click.group("ood")
def ood() -> None:
    """Out-of-distribution yardstick: judge models on whole sources they never saw.

    \b
    report  bundles side by side on the fixed suite (sources no default model trains on)
    lofo    training recipes by leave-one-family-out with a cheap frozen-encoder proxy
    """


@ood.command("report")
@click.option("--bundle", "bundles", multiple=True, default=("default",), show_default=True,
              help="NAME=PATH of a bundle to score (repeat); 'default' is the bundled model.")
@click.option("--records", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="records.jsonl of the run(s) the bundles were trained on: suite texts found in its "
                   "train split are removed (leak guard).")
@click.option("--validation", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A validation.jsonl for the in-distribution extras (responses, per category).")
@click.option("--cap", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Texts per label per slice (0: all), a seeded sample.")
@click.option("--slice", "only", multiple=True, help="Only these slices (repeat); default: all.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Seed data folder (default: $TINYGUARD_DATA or ../shared/data).")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("train/reports/ood.md"),
              show_default=True, help="Markdown report; a .json twin is written beside it.")
def report(bundles: tuple[str, ...], records: Path | None, validation: Path | None, cap: int,
           only: tuple[str, ...], data_dir: Path | None, threads: int, out: Path) -> None:
    """Score bundles on the out-of-distribution suite and write them side by side.

    Headline: mean AUPRC and F1 over slices with both labels, mean false-positive rate over
    benign text, mean recall over unsafe text; then every slice and every category.

    \b
    Examples:
      guard-cli ood report                                   # the bundled default model
      guard-cli ood report --bundle old=default --bundle new=runs/balanced/bundle \\
          --records runs/balanced/data/records.jsonl --validation runs/balanced/data/validation.jsonl
    """
    from tinyguard import Guard

    from . import require_train_extra
    from .ood import evaluate_bundle, report_markdown, write_report
    from .ood_suite import SUITE, load_suite
    from .records import read_jsonl
    from .registry import default_data_dir

    try:
        require_train_extra("tqdm")
        unknown = sorted(set(only) - {s.name for s in SUITE})
        if unknown:
            raise ValueError(f"unknown slice(s) {unknown}; known: {', '.join(s.name for s in SUITE)}")
        named = [_named(b) for b in bundles]
        if len({n for n, _ in named}) != len(named):
            raise ValueError("two bundles share a name; use NAME=PATH")
        trained = [r for r in read_jsonl(records) if r.split == "train"] if records else []
        suite, leaks = load_suite(data_dir or default_data_dir(), cap=cap, trained=trained, only=only)
        val = list(read_jsonl(validation)) if validation else []
        results = {}
        for name, path in named:
            guard = Guard.load(path, threads=threads)
            click.echo(f"{name}: {guard.model_id}", err=True)
            results[name] = evaluate_bundle(guard, suite, validation=val)
        command = "guard-cli ood report " + " ".join(shlex.quote(a) for a in sys.argv[3:])
        markdown = report_markdown(results, command=command.strip(), leaks=leaks, cap=cap)
        write_report(out, results, markdown)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        _fail(e)
    click.echo(markdown.split("## Per slice")[0].rstrip())
    click.echo(f"\nwrote {out} and {out.with_suffix('.json')}")
