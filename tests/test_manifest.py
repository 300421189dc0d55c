"""The manifest schema (tinyguard.bundle.manifest): one typed object, read and written in one module."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_bundle import fixture_manifest
from tinyguard.bundle.folder import default_bundle_path, load_bundle, write_bundle
from tinyguard.bundle.manifest import (BundleError, MANIFEST, Manifest, manifest_json, new_manifest, parse_manifest,
                                parse_manifest_bytes)
from tinyguard.taxonomy import CATEGORIES


def test_the_shipped_manifest_round_trips_byte_for_byte() -> None:
    # What the signature covers: reading and writing back must not change a byte.
    root = default_bundle_path()
    data = (root / MANIFEST).read_bytes()
    m = parse_manifest(parse_manifest_bytes(data, root), root)
    assert manifest_json(m).encode("utf-8") == data
    assert manifest_json(m.to_dict()).encode("utf-8") == data


def test_optional_keys_are_typed(bundle_dir: Path) -> None:
    m = load_bundle(default_bundle_path(), verify=False)
    assert m.reproduce.startswith("guard-cli ") and m.threshold_rule and m.category_rule
    assert all(c in CATEGORIES for c in m.categories_not_firing)
    f = load_bundle(bundle_dir)
    assert (f.reproduce, f.threshold_rule, f.categories_not_firing, f.artifacts, f.defenses) == ("", "", [], None, None)


def test_new_manifest_is_checked_and_writes_a_bundle(bundle_dir: Path, tmp_path: Path) -> None:
    m = new_manifest(name="x", version="1.0", model_file="model.int8.onnx", encoding={"max_length": 128,
                     "context_tokens": 0, "stride": 0, "max_chunks": 64}, threshold=0.7,
                     category_threshold={"hate": 0.9}, reproduce="make it", created="2026-01-01")
    assert isinstance(m, Manifest) and m.files == {} and m.category_threshold("hate") == 0.9
    assert m.category_threshold("privacy") == 0.7 and m.reproduce == "make it"
    files = {n: bundle_dir / n for n in ("model.int8.onnx", "tokenizer.json")}
    out = load_bundle(write_bundle(tmp_path / "b", files, m), allow_unsigned=True)
    assert out.model_id == "x@1.0" and set(out.files) == set(files) and out.reproduce == "make it"
    with pytest.raises(BundleError, match="'threshold' must be a number in"):
        new_manifest(name="x", version="1", model_file="m.onnx", encoding={}, threshold=2.0)


def test_updated_keeps_unknown_keys_and_refuses_bad_ones(bundle_dir: Path) -> None:
    m = load_bundle(bundle_dir).updated(future_key={"kept": True}, threshold=0.4)
    assert m.threshold == 0.4 and m.to_dict()["future_key"] == {"kept": True} and m.files
    with pytest.raises(BundleError, match="computed hashes"):
        m.updated(files={})
    with pytest.raises(BundleError, match="'reproduce' must be a string"):
        m.updated(reproduce=["guard-cli pipeline"])
    with pytest.raises(BundleError, match="'categories_not_firing' must be a list of category names"):
        m.updated(categories_not_firing=["S1"])


def test_a_draft_without_files_is_only_a_draft() -> None:
    draft = fixture_manifest()
    assert parse_manifest(draft, pinned=False).files == {}
    with pytest.raises(BundleError, match="missing required keys: files"):
        parse_manifest(draft)


def test_without_drops_optional_keys_only(bundle_dir: Path) -> None:
    m = load_bundle(bundle_dir).updated(artifacts={"ort": "model.ort"})
    slim = m.without("artifacts")
    assert slim.artifacts is None and "artifacts" not in slim.to_dict() and slim.files == m.files
    with pytest.raises(BundleError, match="missing required keys: threshold"):
        m.without("threshold")
