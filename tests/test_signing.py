"""Bundle signatures: a swapped model with a re-pinned hash is refused once keys are given.

Uses the real fixture bundle, real Ed25519 keys (cryptography, the ``verify`` extra) and
guard-cli through click's runner.
"""
from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

import pytest
from fixtures_bundle import BIAS, build_model
from optional_deps import require
from test_cli import _jsonl, _one_error_line, run

from tinyguard import Guard
from tinyguard.bundle import BundleError, default_bundle_path, load_bundle, rewrite_manifest
from tinyguard.signing import PROJECT_KEY, SignatureError, generate_key, load_public_key, sign_bundle

require("cryptography")  # the verify extra
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("keys")
    mine, mine_pub = generate_key(d / "mine.key")
    other, other_pub = generate_key(d / "other.key")
    return {"key": mine, "pub": mine_pub, "other_key": other, "other_pub": other_pub}


def _swap_model(bundle: Path) -> None:
    """The issue's attack: lower the unsafe bias and re-pin the model's hash in the manifest."""
    path = build_model(bundle / "model.int8.onnx", unsafe_bias=BIAS - 5000.0)  # "bomb" logit is ~+125
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["model.int8.onnx"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def test_swapped_model_loads_without_keys_and_is_refused_with_them(fresh_bundle: Path, keys: dict) -> None:
    sign_bundle(fresh_bundle, keys["key"])
    signed = Guard.load(fresh_bundle, threads=1, trusted_keys=[keys["pub"]])
    assert signed.check("how do i make a bomb").flagged
    assert signed.manifest.signed_by == load_public_key(keys["pub"]).key_id
    _swap_model(fresh_bundle)
    swapped = Guard.load(fresh_bundle, threads=1)  # hashes alone cannot tell: documented
    assert not swapped.check("how do i make a bomb").flagged
    with pytest.raises(SignatureError, match="does not match manifest.json .*changed after it was signed"):
        Guard.load(fresh_bundle, threads=1, trusted_keys=[keys["pub"]])
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "--trusted-key", str(keys["pub"]), "bomb"),
                    "signature", "does not match")
    _one_error_line(run("verify", "--bundle", str(fresh_bundle), "--trusted-key", str(keys["pub"])), "does not match")


def test_unsigned_or_untrusted_or_forged_bundles_are_refused(fresh_bundle: Path, keys: dict) -> None:
    with pytest.raises(SignatureError, match="not signed .*guard-cli sign"):
        load_bundle(fresh_bundle, trusted_keys=[keys["pub"]])
    assert load_bundle(fresh_bundle).signed_by == ""  # no keys given: an unsigned bundle still loads
    sign_bundle(fresh_bundle, keys["other_key"])
    with pytest.raises(SignatureError, match="not a trusted key"):
        load_bundle(fresh_bundle, trusted_keys=[keys["pub"]])
    assert load_bundle(fresh_bundle, trusted_keys=[keys["pub"], keys["other_pub"]]).signed_by  # any trusted key
    sig_path = fresh_bundle / "manifest.sig"
    record = json.loads(sig_path.read_text())
    forged = bytearray(base64.b64decode(record["signature"]))
    forged[0] ^= 1
    sig_path.write_text(json.dumps({**record, "signature": base64.b64encode(bytes(forged)).decode()}))
    with pytest.raises(SignatureError, match="signature is not valid"):
        load_bundle(fresh_bundle, trusted_keys=[keys["other_pub"]])
    for bad in ("not json", json.dumps({**record, "algorithm": "rsa"}), json.dumps({**record, "signature": "%%"})):
        sig_path.write_text(bad)
        with pytest.raises(SignatureError):
            load_bundle(fresh_bundle, trusted_keys=[keys["other_pub"]])
    with pytest.raises(ValueError, match="empty"):
        load_bundle(fresh_bundle, trusted_keys=[])
    with pytest.raises(BundleError, match="not a PEM public key .*private key"):
        load_bundle(fresh_bundle, trusted_keys=[keys["key"]])


def test_rewriting_the_manifest_drops_the_stale_signature(fresh_bundle: Path, keys: dict) -> None:
    sign_bundle(fresh_bundle, keys["key"])
    rewrite_manifest(fresh_bundle, {"threshold": 0.4})
    assert not (fresh_bundle / "manifest.sig").exists()
    with pytest.raises(SignatureError, match="not signed"):
        load_bundle(fresh_bundle, trusted_keys=[keys["pub"]])


def test_sign_refuses_a_bundle_whose_files_do_not_match(fresh_bundle: Path, keys: dict) -> None:
    (fresh_bundle / "tokenizer.json").write_text("{}")
    _one_error_line(run("sign", "--bundle", str(fresh_bundle), "--key", str(keys["key"])), "sha256 mismatch")
    assert not (fresh_bundle / "manifest.sig").exists()


def test_cli_sign_verify_info_keygen(fresh_bundle: Path, keys: dict, tmp_path: Path) -> None:
    b = str(fresh_bundle)
    assert "signature   none (unsigned" in run("info", "--bundle", b).stdout
    r = run("sign", "--bundle", b, "--key", str(keys["key"]))
    assert r.exit_code == 0 and "manifest.sig" in r.stdout, r.output
    r = run("verify", "--bundle", b, "--trusted-key", str(keys["pub"]))
    assert r.exit_code == 0 and r.stdout.startswith("ok: ") and "signed by trusted key" in r.stdout
    _one_error_line(run("verify", "--bundle", b), "not a trusted key")  # default: the project key
    ok = run("check", "--bundle", b, "--trusted-key", str(keys["pub"]), "how do i make a bomb")
    assert ok.exit_code == 1 and _jsonl(ok.stdout)[0]["flagged"] is True
    _one_error_line(run("check", "--bundle", b, "--trusted-key", str(keys["other_pub"]), "hi"), "not a trusted key")
    _one_error_line(run("eval", str(tmp_path / "x.jsonl"), "--bundle", b, "--trusted-key", str(keys["other_pub"])),
                    "not a trusted key")
    info = run("info", "--bundle", b, "--trusted-key", str(keys["pub"]))
    assert info.exit_code == 0 and "valid, and a trusted key" in info.stdout
    r = run("keygen", str(tmp_path / "new.key"))
    assert r.exit_code == 0 and (tmp_path / "new.pub").is_file()
    assert oct((tmp_path / "new.key").stat().st_mode & 0o777) == "0o600"
    _one_error_line(run("keygen", str(tmp_path / "new.key")), "refusing to overwrite")


def test_missing_cryptography_fails_closed(fresh_bundle: Path, keys: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_bundle(fresh_bundle, keys["key"])
    for name in [m for m in sys.modules if m == "cryptography" or m.startswith("cryptography.")]:
        monkeypatch.setitem(sys.modules, name, None)  # import cryptography... now raises ImportError
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(BundleError, match=r"need the 'cryptography' package.*pip install 'tinyguard\[verify\]'"):
        Guard.load(fresh_bundle, threads=1, trusted_keys=[keys["pub"]])
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "--trusted-key", "project", "hi"),
                    "pip install 'tinyguard[verify]'")
    assert Guard.load(fresh_bundle, threads=1).check("bomb").flagged  # without keys nothing needs it


def test_default_bundle_is_signed_by_the_project_key() -> None:
    root = default_bundle_path()
    m = load_bundle(root, trusted_keys=["project"])
    assert m.signed_by == load_public_key(PROJECT_KEY).key_id
    assert "manifest.sig" not in m.files, "the signature cannot be pinned by the manifest it signs"
    # After replacing the default bundle, re-sign it:
    #   guard-cli sign --key /work/keys/tinyguard-signing.key


def test_no_private_key_ships_in_the_package() -> None:
    for path in [*(ROOT / "runtime" / "keys").iterdir(), *default_bundle_path().iterdir()]:
        assert b"PRIVATE KEY" not in path.read_bytes(), path
    assert PROJECT_KEY.read_text().startswith("-----BEGIN PUBLIC KEY-----")
