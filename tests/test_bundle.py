"""Bundle loading refuses anything that does not match its manifest; writing is atomic."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fixtures_bundle import fixture_manifest
from tinyguard.bundle.folder import (Manifest, SCHEMA_VERSION, default_bundle_path, load_bundle, rewrite_manifest,
                              sha256_file, write_bundle)
from tinyguard.bundle.manifest import BundleError
from tinyguard.taxonomy import CATEGORIES


def _edit_manifest(bundle: Path, **changes) -> None:
    path = bundle / "manifest.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir())


def test_load_ok(bundle_dir: Path) -> None:
    m = load_bundle(bundle_dir)
    assert isinstance(m, Manifest)
    assert m.schema_version == SCHEMA_VERSION == 1
    assert m.model_id == "tinyguard-fixture@0.0.1"
    assert m.path == bundle_dir
    assert tuple(m.labels["categories"]) == CATEGORIES
    assert m.threshold == 0.5 and m.presets["strict"] == 0.3
    assert m.encoding_config().max_length == 128
    assert set(m.files) == {"model.int8.onnx", "tokenizer.json", "MODEL_CARD.md"}
    for name, digest in m.files.items():
        assert sha256_file(bundle_dir / name) == digest
    assert m.raw["data"]["sources"][0]["licence"] == "CC0-1.0"
    written = (bundle_dir / "manifest.json").read_text()
    assert written == json.dumps(json.loads(written), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_tampered_model_byte_is_refused_naming_the_file(fresh_bundle: Path) -> None:
    model = fresh_bundle / "model.int8.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"sha256 mismatch for model\.int8\.onnx") as e:
        load_bundle(fresh_bundle)
    assert "\n" not in str(e.value)


def test_deleted_tokenizer_is_refused(fresh_bundle: Path) -> None:
    (fresh_bundle / "tokenizer.json").unlink()
    with pytest.raises(BundleError, match=r"tokenizer\.json .*missing"):
        load_bundle(fresh_bundle)


def test_unknown_schema_version_is_refused(fresh_bundle: Path) -> None:
    _edit_manifest(fresh_bundle, schema_version=2)
    with pytest.raises(BundleError, match="schema_version 2"):
        load_bundle(fresh_bundle)


def test_corrupt_manifest_json_is_refused(fresh_bundle: Path) -> None:
    path = fresh_bundle / "manifest.json"
    path.write_text(path.read_text()[:-20])
    with pytest.raises(BundleError, match="not valid JSON"):
        load_bundle(fresh_bundle)


def test_missing_manifest_and_folder_are_refused(fresh_bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not found"):
        load_bundle(tmp_path / "nowhere")
    (fresh_bundle / "manifest.json").unlink()
    with pytest.raises(BundleError, match="manifest.json is missing"):
        load_bundle(fresh_bundle)


def test_missing_required_keys_are_named(fresh_bundle: Path) -> None:
    path = fresh_bundle / "manifest.json"
    data = json.loads(path.read_text())
    del data["threshold"], data["encoding"]
    path.write_text(json.dumps(data))
    with pytest.raises(BundleError, match="missing required keys: threshold, encoding"):
        load_bundle(fresh_bundle)


@pytest.mark.parametrize("name", ["../model.int8.onnx", "/etc/passwd", "sub/../../x", ".hidden", "a\\..\\b"])
def test_path_traversal_names_are_refused(fresh_bundle: Path, name: str) -> None:
    m = json.loads((fresh_bundle / "manifest.json").read_text())
    files = dict(m["files"], **{name: "0" * 64})
    _edit_manifest(fresh_bundle, files=files)
    with pytest.raises(BundleError, match="unsafe file name"):
        load_bundle(fresh_bundle)


def test_model_must_be_listed_in_files(fresh_bundle: Path) -> None:
    m = json.loads((fresh_bundle / "manifest.json").read_text())
    files = {k: v for k, v in m["files"].items() if k != "model.int8.onnx"}
    _edit_manifest(fresh_bundle, files=files)
    with pytest.raises(BundleError, match=r"model_file model\.int8\.onnx is not listed"):
        load_bundle(fresh_bundle)


def test_symlink_escaping_the_bundle_is_refused(fresh_bundle: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes((fresh_bundle / "MODEL_CARD.md").read_bytes())  # same hash
    (fresh_bundle / "MODEL_CARD.md").unlink()
    os.symlink(outside, fresh_bundle / "MODEL_CARD.md")
    with pytest.raises(BundleError, match="is a symbolic link"):
        load_bundle(fresh_bundle)


def test_taxonomy_mismatch_is_refused(fresh_bundle: Path) -> None:
    _edit_manifest(fresh_bundle, labels={"binary": "unsafe", "categories": list(reversed(CATEGORIES))})
    with pytest.raises(BundleError, match="do not match this runtime's taxonomy"):
        load_bundle(fresh_bundle)


def _source_files(bundle: Path) -> dict[str, Path]:
    return {name: bundle / name for name in ("model.int8.onnx", "tokenizer.json", "MODEL_CARD.md")}


def test_write_bundle_failure_leaves_old_bundle_intact(bundle_dir: Path, tmp_path: Path) -> None:
    out = write_bundle(tmp_path / "out", _source_files(bundle_dir), fixture_manifest())
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    # Fails after every file was copied: the manifest cannot be serialized.
    bad = dict(fixture_manifest(), metrics={"oops": {1, 2}})
    with pytest.raises(TypeError):
        write_bundle(out, _source_files(bundle_dir), bad)
    # Fails at the final validation: the model is not among the files.
    files = {k: v for k, v in _source_files(bundle_dir).items() if k != "model.int8.onnx"}
    with pytest.raises(BundleError, match="not listed"):
        write_bundle(out, files, fixture_manifest())
    # Fails before anything is copied: a source does not exist.
    with pytest.raises(BundleError, match="not a file"):
        write_bundle(out, dict(_source_files(bundle_dir), extra=tmp_path / "missing"), fixture_manifest())

    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _siblings(out) == ["out"]  # no half-written temp or backup folders left behind
    load_bundle(out, allow_unsigned=True)  # write_bundle leaves it unsigned


def test_write_bundle_failure_leaves_no_new_folder(bundle_dir: Path, tmp_path: Path) -> None:
    bad = dict(fixture_manifest(), schema_version=7)
    with pytest.raises(BundleError, match="schema_version 7"):
        write_bundle(tmp_path / "new", _source_files(bundle_dir), bad)
    assert list(tmp_path.iterdir()) == []


def test_write_bundle_replaces_an_existing_bundle(bundle_dir: Path, tmp_path: Path) -> None:
    out = write_bundle(tmp_path / "out", _source_files(bundle_dir), fixture_manifest())
    write_bundle(out, _source_files(bundle_dir), dict(fixture_manifest(), version="0.0.2"))
    assert load_bundle(out, allow_unsigned=True).model_id == "tinyguard-fixture@0.0.2"
    assert _siblings(out) == ["out"]


def test_write_bundle_refuses_to_replace_a_non_bundle_folder(bundle_dir: Path, tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(BundleError, match="not a bundle folder"):
        write_bundle(precious, _source_files(bundle_dir), fixture_manifest())
    assert (precious / "notes.txt").read_text() == "keep me"


def test_rewrite_manifest_updates_keys_and_keeps_hashes(fresh_bundle: Path) -> None:
    files_before = load_bundle(fresh_bundle).files
    new = rewrite_manifest(fresh_bundle, {"threshold": 0.42, "metrics": {"calibrated": True}})
    assert new.threshold == 0.42
    again = load_bundle(fresh_bundle, allow_unsigned=True)  # the rewrite dropped the signature
    assert again.threshold == 0.42 and again.metrics == {"calibrated": True}
    assert again.files == files_before
    assert sorted(p.name for p in fresh_bundle.iterdir()) == ["MODEL_CARD.md", "manifest.json",
                                                              "model.int8.onnx", "tokenizer.json"]
    assert oct((fresh_bundle / "manifest.json").stat().st_mode & 0o777) == oct(0o644)


def test_rewrite_manifest_refuses_bad_updates_and_leaves_manifest(fresh_bundle: Path) -> None:
    before = (fresh_bundle / "manifest.json").read_bytes()
    with pytest.raises(BundleError, match="threshold"):
        rewrite_manifest(fresh_bundle, {"threshold": 1.5})
    with pytest.raises(BundleError, match="files"):
        rewrite_manifest(fresh_bundle, {"files": {}})
    assert (fresh_bundle / "manifest.json").read_bytes() == before


def test_default_bundle_path_is_package_data() -> None:
    import tinyguard
    from tinyguard.bundle.tiers import DEFAULT_TIER

    assert default_bundle_path() == Path(tinyguard.__file__).resolve().parent / "models" / DEFAULT_TIER


# ---------------------------------------------------------------- the typed manifest schema

def _edit_raw(bundle: Path, old: str, new: str) -> None:
    path = bundle / "manifest.json"
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_duplicate_keys_are_refused_at_any_depth(fresh_bundle: Path) -> None:
    threshold = json.loads((fresh_bundle / "manifest.json").read_text())["threshold"]
    _edit_raw(fresh_bundle, f'\n  "threshold": {threshold},', f'\n  "threshold": {threshold}, "threshold": 0.999,')
    with pytest.raises(BundleError, match="duplicate key 'threshold'"):
        load_bundle(fresh_bundle)
    _edit_raw(fresh_bundle, f'"threshold": {threshold}, "threshold": 0.999,', f'"threshold": {threshold},')
    load_bundle(fresh_bundle)  # the signed bytes again
    _edit_raw(fresh_bundle, '"max_chunks": 64', '"max_chunks": 64, "max_chunks": 1')
    with pytest.raises(BundleError, match="duplicate key 'max_chunks'"):
        load_bundle(fresh_bundle)


@pytest.mark.parametrize("value, message", [
    (True, "must be an integer, not True"), (1e9, "must be an integer"), (64.0, "must be an integer"),
    ("64", "must be an integer"), (10**9, r"must be in \[1, 4096\]"), (0, r"must be in \[1, 4096\]"),
    (None, "must be an integer"),
])
def test_encoding_values_are_typed_not_coerced(fresh_bundle: Path, value, message: str) -> None:
    enc = dict(fixture_manifest()["encoding"], max_chunks=value)
    _edit_manifest(fresh_bundle, encoding=enc)
    with pytest.raises(BundleError, match=f"encoding.max_chunks' {message}"):
        load_bundle(fresh_bundle)


def test_encoding_keys_and_relations_are_checked(fresh_bundle: Path) -> None:
    base = fixture_manifest()["encoding"]
    for enc, message in (({**base, "max_chunk": 3}, "unknown keys"),
                         ({k: v for k, v in base.items() if k != "stride"}, "missing"),
                         ({**base, "stride": base["max_length"]}, "must be below max_length"),
                         ({**base, "max_length": False}, "must be an integer")):
        _edit_manifest(fresh_bundle, encoding=enc)
        with pytest.raises(BundleError, match=message):
            load_bundle(fresh_bundle)


def test_other_wrong_types_are_refused(fresh_bundle: Path) -> None:
    good = json.loads((fresh_bundle / "manifest.json").read_text())
    for changes, message in (({"threshold": True}, "'threshold' must be a number"),
                             ({"normalization": {k: 1 for k in good["normalization"]}}, "true/false"),
                             ({"taxonomy": [{"code": 1}]}, "'taxonomy'"),
                             ({"created": 20250101}, "'created' must be a string"),
                             ({"calibration": []}, "'calibration' must be an object"),
                             ({"files": {**good["files"], "manifest.sig": "0" * 64}}, "unsafe file name")):
        (fresh_bundle / "manifest.json").write_text(json.dumps({**good, **changes}))
        with pytest.raises(BundleError, match=message):
            load_bundle(fresh_bundle)
    (fresh_bundle / "manifest.json").write_text(json.dumps(good).replace('"threshold": 0.5,', '"threshold": NaN,', 1))
    with pytest.raises(BundleError, match="NaN"):
        load_bundle(fresh_bundle)


def test_steps_name_what_the_verdicts_need_and_an_unknown_step_refuses_the_bundle(fresh_bundle: Path) -> None:
    """Manifest key ``steps`` (spec section 5): a step this runtime does not implement is never skipped."""
    from dataclasses import fields

    from tinyguard.bundle import steps
    from tinyguard.scoring.defenses import DefenseSettings

    assert steps.DEFENSES == tuple(f.name for f in fields(DefenseSettings))
    enc = load_bundle(fresh_bundle, allow_unsigned=True).encoding
    _edit_manifest(fresh_bundle, steps=steps.implied(None, enc))
    assert load_bundle(fresh_bundle, allow_unsigned=True).raw["steps"][0] == "normalize"
    _edit_manifest(fresh_bundle, steps=[*steps.implied(None, enc), "transliterate"])
    with pytest.raises(BundleError, match=r"need steps this runtime does not implement: \['transliterate'\]"):
        load_bundle(fresh_bundle, allow_unsigned=True)
    _edit_manifest(fresh_bundle, steps=[s for s in steps.implied(None, enc) if s != "decode"])
    with pytest.raises(BundleError, match=r"'steps' does not match .*on but not listed: \['decode'\]"):
        load_bundle(fresh_bundle, allow_unsigned=True)
    # (spec 1.1: the ciphers step runs inside decode, so it goes with it)
    _edit_manifest(fresh_bundle, defenses={"decode": False},
                   steps=[s for s in steps.implied(None, enc) if s not in ("decode", "ciphers")])
    assert load_bundle(fresh_bundle, allow_unsigned=True).defenses == {"decode": False}
    _edit_manifest(fresh_bundle, defenses={"decode": False}, steps=[s for s in steps.implied(None, enc) if s != "decode"])
    with pytest.raises(BundleError, match=r"listed but off: \['ciphers'\]"):
        load_bundle(fresh_bundle, allow_unsigned=True)
    _edit_manifest(fresh_bundle, steps="normalize")
    with pytest.raises(BundleError, match="must be a list of distinct step names"):
        load_bundle(fresh_bundle, allow_unsigned=True)
