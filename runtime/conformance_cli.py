"""``guard-cli conformance export``: golden vectors of a bundle, for ports of the runtime.

Why a command: every shipped bundle carries its own conformance file (``conformance.jsonl.gz``,
pinned in its manifest), and a port (``js/``) must pass all of it; see :mod:`tinyguard.conformance`
and ``docs/bundle-spec.md``.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from tinyguard.cli_options import CliError, bundle_option, check_output, load_guard


@click.group()
def conformance() -> None:
    """Golden vectors: every step from text to verdict, for ports of the runtime.

    \b
    Examples:
      guard-cli conformance export --texts seeds.jsonl --output /tmp/conformance.jsonl.gz
      guard-cli conformance export --bundle DIR --texts seeds.jsonl --pin   # into DIR, pinned in its manifest
    """


@conformance.command("export")
@bundle_option
@click.option("--texts", "texts", metavar="FILE", required=True,
              help="Seed texts: JSON Lines with \"text\", optional \"role\", \"context\", \"source\" "
                   "(\"source\" also names its licence: {\"source\": \"advbench\", \"licence\": \"MIT\"}).")
@click.option("--output", "output", metavar="FILE", default=None,
              help="Where to write the gzip JSON Lines file (default with --pin: the bundle's "
                   "conformance.jsonl.gz).")
@click.option("--pin", is_flag=True,
              help="Write the file into the bundle and pin its sha256 in manifest.json (the signature "
                   "is removed: sign again with guard-cli sign).")
@click.option("--plain", type=click.IntRange(min=0), default=600, show_default=True,
              help="Seed texts used as they are (the rest of the cases are built from them).")
def export(bundle: str | None, texts: str, output: str | None, pin: bool, plain: int) -> None:
    """Write at least 1,000 cases with their expected values (normalized text, pieces, token ids,
    planned entries with window digests and top logits, verdict) for the bundle.

    \b
    Examples:
      python tools/conformance_seeds.py > seeds.jsonl
      guard-cli conformance export --texts seeds.jsonl --output /tmp/conformance.jsonl.gz
      guard-cli conformance export --bundle DIR --texts seeds.jsonl --pin && guard-cli sign --bundle DIR --key KEY
    """
    from tinyguard import conformance as conf

    seeds, sources = _read_seeds(texts)
    guard = load_guard(bundle, threads=1)
    root = guard.manifest.path
    assert root is not None
    if output is None and not pin:
        raise click.UsageError("give --output FILE, or --pin to write into the bundle")
    check_output(output)
    cases = conf.build_cases(seeds, plain=plain)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(output) if output is not None else Path(tmp) / conf.FILE_NAME
        size = conf.write(target, conf.records(guard, cases, sources))
        click.echo(f"wrote {output or root / conf.FILE_NAME}: {len(cases)} cases, {size:,} bytes")
        if pin:  # (the bundle is rewritten from verified files: the new one is copied in last)
            conf.pin(root, target)
    if pin:
        click.echo(f"pinned {conf.FILE_NAME} in {root}/manifest.json (unsigned now: guard-cli sign --bundle {root} "
                   f"--key KEY)")


def _read_seeds(path: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    seeds: list[dict[str, str]] = []
    sources: dict[str, str] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror or e}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise CliError(f"{path} line {n}: invalid JSON ({e.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
            raise CliError(f"{path} line {n}: expected an object with a non-empty \"text\"")
        if obj.get("source") and obj.get("licence"):
            sources[str(obj["source"])] = str(obj["licence"])
        seeds.append({k: str(obj[k]) for k in ("text", "role", "context", "source") if obj.get(k) is not None})
    if not seeds:
        raise CliError(f"{path} holds no texts")
    return seeds, sources
