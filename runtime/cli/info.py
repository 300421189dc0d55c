"""``guard-cli info``: what a bundle is, in a dozen lines (everything with ``--format json``).

The bundle, guard and signing modules (numpy) are imported when the command runs, so
``import tinyguard.cli.main`` and ``--help`` stay free of numpy and onnxruntime."""
from __future__ import annotations

import json
from typing import Any

import click

from tinyguard.cli.options import bundle_option, emit, report_options
from tinyguard.cli.output import info_summary
from tinyguard.cli.signing import trusted, trusted_key_option
from tinyguard.errors import one_line
from tinyguard.taxonomy import CATEGORIES


@click.command()
@bundle_option
@report_options("a short summary: model, size, thresholds, categories that fire, headline metrics, "
                "signature, GGUF")
@trusted_key_option
def info(bundle: str | None, fmt: str, output: str | None, trusted_keys: tuple[str, ...],
         allow_unsigned: bool) -> None:
    """Describe a bundle: model, size, thresholds, categories, metrics, signature.

    The bundle is verified first, as every load does: every file's sha256, and the signature
    over the manifest against the trusted keys (the project key for a bundled model; see
    `guard-cli check --help`); `info` says which key verified it. With --allow-unsigned it
    describes an unverified bundle and says why it is not verified.
    The summary names the categories that can fire and those that never do (threshold 1.0),
    and the out-of-distribution headline when the manifest has one; --format json prints the
    path, every file's size, the models and backends, and the whole manifest.

    \b
    Examples:
      guard-cli info
      guard-cli info --bundle runs/export/bundle --format json > manifest.json
      guard-cli info --trusted-key project          # fails unless signed by the project key
    """
    from tinyguard.bundle.folder import load_bundle
    from tinyguard.scoring.guard import bundle_models, select_model

    m = load_bundle(bundle, trusted_keys=trusted(trusted_keys), allow_unsigned=allow_unsigned)
    assert m.path is not None
    sizes = {name: (m.path / name).stat().st_size for name in m.files}
    models = bundle_models(m)
    backends = {b: select_model(m, b)[1] for b in ("onnx", "gguf") if b in models}
    auto = "onnx" if "onnx" in backends else "gguf"
    data = {"path": str(m.path), "model": m.model_id, "sizes": sizes, "models": models,
            "backends": backends, "default_backend": auto, "manifest": m.to_dict(),
            "signature": {"verified": not m.unverified, "key_id": m.signed_by, "key": m.signer,
                          "problem": m.unverified},
            "tiers": tier_table()}
    if fmt == "json":
        emit(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), output)
        return
    emit(info_summary({**data, "signature": _signature_line(m), "defenses": _defenses_line(m.defenses),
                       "category_thresholds": {c: m.category_threshold(c) for c in CATEGORIES}}), output)


def _signature_line(m: Any) -> str:
    from tinyguard.signing import SignatureError, read_signature

    if m.signed_by:
        return f"ed25519, verified against trusted key {m.signed_by} ({m.signer}); files match their sha256"
    try:
        record = read_signature(m.path)
    except SignatureError as e:
        return f"NOT VERIFIED: unreadable ({one_line(e)})"
    if record is None:
        return "NOT VERIFIED: none (unsigned; guard-cli sign adds one)"
    return f"NOT VERIFIED: ed25519, key {record['key_id']} ({m.unverified})"


def _defenses_line(value: Any) -> str:
    from tinyguard.scoring.defenses import DefenseSettings

    try:
        d = DefenseSettings.from_value(value)
    except ValueError as e:
        return f"invalid: {e}"
    on = [k for k, v in d.to_dict().items() if v]
    off = [k for k, v in d.to_dict().items() if not v]
    if value is None:
        return "all on (the manifest sets none: the default)"
    return "all on" if not off else f"on: {', '.join(on) or 'none'}; off: {', '.join(off)}"


def tier_table() -> list[dict[str, Any]]:
    """Each tier shipped in this install: its model, size and the figures its manifest records."""
    from tinyguard.bundle.folder import BundleError, load_bundle
    from tinyguard.bundle.tiers import DEFAULT_TIER, TIERS, tier_path

    rows = []
    for name, tier in TIERS.items():
        row: dict[str, Any] = {"tier": name, "default": name == DEFAULT_TIER, "summary": tier.summary,
                               "device_profile": tier.device_profile, "path": str(tier_path(name))}
        if not (tier_path(name) / "manifest.json").is_file():
            rows.append({**row, "error": "not installed in this build"})
            continue
        try:
            m = load_bundle(name, verify=False)  # the bundle in use is verified above; this is a listing
        except BundleError as e:
            row["error"] = one_line(e)
        else:
            assert m.path is not None
            row["model"] = m.model_id
            row["size_mb"] = round(sum((m.path / f).stat().st_size for f in m.files) / 1e6, 2)
            row["ood"] = (m.metrics.get("ood") or {}).get("headline")
            row["figures"] = m.metrics.get("tier")
        rows.append(row)
    return rows
