"""``guard-cli conformance export``: golden vectors of a bundle, for ports of the runtime.

Why a command: every shipped bundle carries its own conformance file (``conformance.jsonl.gz``,
pinned in its manifest), and a port (``js/``) must pass all of it; see :mod:`tinyguard.measure.conformance`
and ``docs/bundle-spec.md``.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

from tinyguard.cli.options import CliError, bundle_option, check_output, load_guard


@click.group()
def conformance() -> None:
    """Golden vectors: every step from text to verdict, for ports of the runtime.

    \b
    Examples:
      guard-cli conformance export --output /tmp/conformance.jsonl.gz
      guard-cli conformance export --bundle DIR --pin   # into DIR, pinned in its manifest
    """


@conformance.command("export")
@bundle_option
@click.option("--texts", "texts", metavar="FILE", default=None,
              help="Seed texts: JSON Lines (or .jsonl.gz) with \"text\", optional \"role\", \"context\", "
                   "\"source\" (\"source\" also names its licence: {\"source\": \"advbench\", \"licence\": \"MIT\"}). "
                   "Default: the seeds every export uses (tinyguard/data/conformance-seeds.jsonl.gz).")
@click.option("--output", "output", metavar="FILE", default=None,
              help="Where to write the gzip JSON Lines file (default with --pin: the bundle's "
                   "conformance.jsonl.gz).")
@click.option("--pin", is_flag=True,
              help="Write the file into the bundle and pin its sha256 in manifest.json (the signature "
                   "is removed: sign again with guard-cli sign).")
@click.option("--plain", type=click.IntRange(min=0), default=160, show_default=True,  # conformance.PLAIN
              help="Seed texts used as they are (the rest of the cases are built from them).")
def export(bundle: str | None, texts: str | None, output: str | None, pin: bool, plain: int) -> None:
    """Write at least 1,000 cases with their expected values (normalized text, pieces, token ids,
    planned entries with window digests and top logits, verdict) for the bundle. The bundle export
    (export/build.py) writes and pins them itself; this re-does it for a bundle made another way.

    \b
    Examples:
      guard-cli conformance export --output /tmp/conformance.jsonl.gz
      guard-cli conformance export --bundle DIR --pin && guard-cli sign --bundle DIR --key KEY
      guard-cli conformance export --texts seeds.jsonl --output /tmp/c.jsonl.gz   # other seed texts
    """
    from tinyguard.measure import conformance as conf

    if output is None and not pin:
        raise click.UsageError("give --output FILE, or --pin to write into the bundle")
    try:
        conf.read_seeds(texts or conf.SEEDS_FILE)
    except ValueError as e:
        raise CliError(str(e)) from None
    guard = load_guard(bundle, threads=1)
    root = guard.manifest.path
    assert root is not None
    check_output(output)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(output) if output is not None else Path(tmp) / conf.FILE_NAME
        n, size = conf.export(guard, target, seeds=texts or conf.SEEDS_FILE, plain=plain)
        click.echo(f"wrote {output or root / conf.FILE_NAME}: {n} cases, {size:,} bytes")
        if pin:  # (the bundle is rewritten from verified files: the new one is copied in last)
            conf.pin(root, target)
    if pin:
        click.echo(f"pinned {conf.FILE_NAME} in {root}/manifest.json (unsigned now: guard-cli sign --bundle {root} "
                   f"--key KEY)")
