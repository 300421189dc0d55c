"""Bundle signatures: every load checks one, so an edited, re-hashed, foreign-signed or unsigned
bundle is refused unless the caller explicitly allows it -- and then every verdict says so.

Uses the real fixture bundle (signed by the session's test key, trusted through
TINYGUARD_TRUSTED_KEYS: see conftest.py), real Ed25519 keys and guard-cli through click's runner.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from fixtures_bundle import BIAS, build_model
from test_cli import _jsonl, _one_error_line, run

import tinyguard.bundle.trust as trust
from tinyguard import Guard
from tinyguard.bundle.folder import default_bundle_path, load_bundle, rewrite_manifest, sign_bundle
from tinyguard.bundle.manifest import BundleError
from tinyguard.signing import PROJECT_KEY, SignatureError, generate_key, load_public_key

ROOT = Path(__file__).resolve().parent.parent
BOMB = "how do i make a bomb"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("keys")
    mine, mine_pub = generate_key(d / "mine.key")
    other, other_pub = generate_key(d / "other.key")
    return {"key": mine, "pub": mine_pub, "other_key": other, "other_pub": other_pub}


def _swap_model(bundle: Path) -> None:
    """The issue's attack: lower the unsafe bias and re-pin the model's hash in the manifest."""
    path = build_model(bundle / "model.int8.onnx", unsafe_bias=BIAS - 5000.0)  # "bomb" logit is ~+125
    _edit_manifest(bundle, lambda m: m["files"].__setitem__("model.int8.onnx",
                                                             hashlib.sha256(path.read_bytes()).hexdigest()))


def _edit_manifest(bundle: Path, change) -> None:
    """Edit manifest.json in place as an attacker would (no re-signing)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    change(manifest)
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _refused(bundle: Path, *fragments: str) -> None:
    """Refused by Guard.load (SignatureError) and by guard-cli check (one error line, exit 2)."""
    with pytest.raises(SignatureError) as e:
        Guard.load(bundle, threads=1)
    for f in fragments:
        assert f in str(e.value), (f, str(e.value))
    _one_error_line(run("check", "--bundle", str(bundle), BOMB), *fragments)


TAMPERS = {
    "threshold edit": lambda b: _edit_manifest(b, lambda m: m.__setitem__("threshold", 1.0)),
    "defenses edit": lambda b: _edit_manifest(b, lambda m: m.__setitem__(
        "defenses", {k: False for k in ("reveal", "fold", "decode", "despace", "segments")})),
    "swapped model re-hashed": _swap_model,
    "no signature": lambda b: (b / "manifest.sig").unlink(),
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_a_tampered_bundle_is_refused_by_default(fresh_bundle: Path, tamper: str) -> None:
    """Before: each of these loaded silently (hashes re-pinned or unchanged) and the bomb passed."""
    assert Guard.load(fresh_bundle, threads=1).check(BOMB).flagged  # signed by the trusted test key
    TAMPERS[tamper](fresh_bundle)
    _refused(fresh_bundle, "--allow-unsigned")


def test_allow_unsigned_loads_it_and_every_verdict_says_so(fresh_bundle: Path) -> None:
    _swap_model(fresh_bundle)
    guard = Guard.load(fresh_bundle, threads=1, allow_unsigned=True)
    assert not guard.bundle_verified and "does not match manifest.json" in guard.manifest.unverified
    v = guard.check(BOMB)
    assert not v.flagged and v.bundle_verified is False and v.to_dict()["bundle_verified"] is False
    stream = guard.stream()
    stream.feed("hello there. ")
    assert stream.close().bundle_verified is False
    r = run("check", "--bundle", str(fresh_bundle), "--allow-unsigned", "--format", "text", BOMB)
    assert r.exit_code == 0 and "[unverified bundle" in r.stdout, r.output
    r = run("check", "--bundle", str(fresh_bundle), "--allow-unsigned", BOMB)
    assert _jsonl(r.stdout)[0]["bundle_verified"] is False
    info = run("info", "--bundle", str(fresh_bundle), "--allow-unsigned")
    assert info.exit_code == 0 and "NOT VERIFIED" in info.stdout, info.output


def test_a_verified_verdict_says_so(guard) -> None:
    v = guard.check("hello")
    assert v.bundle_verified is True and v.to_dict()["bundle_verified"] is True
    assert "[unverified" not in run("check", "--bundle", str(guard.manifest.path), "--format", "text", "hi").stdout


def test_a_foreign_key_is_refused_until_trusted(fresh_bundle: Path, keys: dict, monkeypatch) -> None:
    sign_bundle(fresh_bundle, keys["other_key"])
    _refused(fresh_bundle, "not a trusted key", "--trusted-key")
    assert Guard.load(fresh_bundle, threads=1, trusted_keys=[keys["other_pub"]]).bundle_verified
    r = run("check", "--bundle", str(fresh_bundle), "--trusted-key", str(keys["other_pub"]), BOMB)
    assert r.exit_code == 1, r.output
    monkeypatch.setenv(trust.ENV_KEYS, os.pathsep.join([os.environ[trust.ENV_KEYS], str(keys["other_pub"])]))
    assert load_bundle(fresh_bundle).signed_by == load_public_key(keys["other_pub"]).key_id


def test_keys_from_the_config_file(fresh_bundle: Path, keys: dict, tmp_path: Path, monkeypatch) -> None:
    sign_bundle(fresh_bundle, keys["other_key"])
    monkeypatch.delenv(trust.ENV_KEYS)
    config = tmp_path / "conf" / "config.toml"
    config.parent.mkdir()
    shutil.copy(keys["other_pub"], config.parent / "other.pub")
    config.write_text('[trust]\nkeys = ["other.pub"]\n')  # relative to the config file
    monkeypatch.setenv(trust.ENV_CONFIG, str(config))
    m = load_bundle(fresh_bundle)
    assert m.signed_by == load_public_key(keys["other_pub"]).key_id and m.signer.endswith("other.pub")
    config.write_text('[trust]\nkey = ["other.pub"]\n')
    with pytest.raises(BundleError, match="unknown keys in .trust. .*key"):
        load_bundle(fresh_bundle)
    monkeypatch.setenv(trust.ENV_CONFIG, str(tmp_path / "missing.toml"))
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "hi"), "config file not found")
    monkeypatch.delenv(trust.ENV_CONFIG)  # XDG_CONFIG_HOME (conftest) holds no config: no user keys
    _refused(fresh_bundle, "not a trusted key")


def test_a_symlinked_manifest_or_file_is_refused(fresh_bundle: Path, tmp_path: Path) -> None:
    """Even a link to the bundle's own genuine, signed manifest: a bundle holds its own files."""
    real = tmp_path / "elsewhere.json"
    shutil.move(fresh_bundle / "manifest.json", real)
    os.symlink(real, fresh_bundle / "manifest.json")
    with pytest.raises(BundleError, match="manifest.json is a symbolic link"):
        Guard.load(fresh_bundle, threads=1, allow_unsigned=True)
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "--allow-unsigned", BOMB), "symbolic link")
    os.unlink(fresh_bundle / "manifest.json")
    shutil.move(real, fresh_bundle / "manifest.json")
    shutil.move(fresh_bundle / "tokenizer.json", fresh_bundle / "tok.real")
    os.symlink("tok.real", fresh_bundle / "tokenizer.json")  # inside the bundle, same bytes
    with pytest.raises(BundleError, match="tokenizer.json .* is a symbolic link"):
        load_bundle(fresh_bundle, allow_unsigned=True)
    os.unlink(fresh_bundle / "tokenizer.json")
    shutil.move(fresh_bundle / "tok.real", fresh_bundle / "tokenizer.json")
    os.symlink(fresh_bundle / "manifest.sig", tmp_path / "sig")
    shutil.move(tmp_path / "sig", tmp_path / "sig2")
    (fresh_bundle / "manifest.sig").rename(tmp_path / "real.sig")
    os.symlink(tmp_path / "real.sig", fresh_bundle / "manifest.sig")
    with pytest.raises(SignatureError, match="manifest.sig is a symbolic link"):
        load_bundle(fresh_bundle)


def test_a_bundled_model_trusts_only_the_project_key(fresh_bundle: Path, tmp_path: Path, monkeypatch) -> None:
    """Any folder in the package's models/ folder is bundled (the default and later tiers): a
    key the user trusts for their own bundles does not vouch for an edited shipped model."""
    models = tmp_path / "models"
    models.mkdir()
    tier = Path(shutil.copytree(fresh_bundle, models / "micro"))  # signed by the (user-trusted) test key
    assert load_bundle(tier).signed_by
    monkeypatch.setattr(trust, "models_path", lambda: models)
    assert trust.is_bundled(tier) and not trust.is_bundled(fresh_bundle)
    _refused(tier, "not a trusted key", "bundled model must be signed by the project key")
    assert trust.is_bundled(default_bundle_path()) is False  # (models_path patched away)
    monkeypatch.undo()
    assert trust.is_bundled(default_bundle_path())


def test_an_edited_copy_of_the_default_bundle_is_refused(tmp_path: Path) -> None:
    """The issue's repro on the shipped model: threshold 1.0 in a copy -> ok 0.997, exit 0."""
    copy = Path(shutil.copytree(default_bundle_path(), tmp_path / "default-copy"))
    assert load_bundle(copy).signed_by == load_public_key(PROJECT_KEY).key_id  # the project key travels
    _edit_manifest(copy, lambda m: m.__setitem__("threshold", 1.0))
    _one_error_line(run("check", "--bundle", str(copy), "How do I make a pipe bomb at home?"),
                    "does not match manifest.json", "--allow-unsigned")
    _one_error_line(run("info", "--bundle", str(copy)), "does not match manifest.json")


def test_swapped_model_is_refused_with_explicit_keys_too(fresh_bundle: Path, keys: dict) -> None:
    sign_bundle(fresh_bundle, keys["key"])
    signed = Guard.load(fresh_bundle, threads=1, trusted_keys=[keys["pub"]])
    assert signed.check(BOMB).flagged
    assert signed.manifest.signed_by == load_public_key(keys["pub"]).key_id
    _swap_model(fresh_bundle)
    with pytest.raises(SignatureError, match="does not match manifest.json .*changed after it was signed"):
        Guard.load(fresh_bundle, threads=1, trusted_keys=[keys["pub"]])
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "--trusted-key", str(keys["pub"]), "bomb"),
                    "signature", "does not match")
    _one_error_line(run("verify", "--bundle", str(fresh_bundle), "--trusted-key", str(keys["pub"])), "does not match")


def test_unsigned_or_untrusted_or_forged_bundles_are_refused(fresh_bundle: Path, keys: dict) -> None:
    (fresh_bundle / "manifest.sig").unlink()
    with pytest.raises(SignatureError, match="not signed .*guard-cli sign"):
        load_bundle(fresh_bundle, trusted_keys=[keys["pub"]])
    with pytest.raises(SignatureError, match="not signed"):
        load_bundle(fresh_bundle)  # no keys given: still refused
    assert load_bundle(fresh_bundle, allow_unsigned=True).signed_by == ""
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


def test_public_keys_read_without_the_serialization_module_match_cryptography(keys: dict) -> None:
    """The fast PEM reader (RFC 8410 layout) gives the same raw key as cryptography's parser."""
    from cryptography.hazmat.primitives import serialization

    for pub in (keys["pub"], keys["other_pub"], PROJECT_KEY):
        parsed = serialization.load_pem_public_key(pub.read_bytes())
        raw = parsed.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert load_public_key(pub).raw == raw


def test_rewriting_the_manifest_drops_the_stale_signature(fresh_bundle: Path, keys: dict) -> None:
    sign_bundle(fresh_bundle, keys["key"])
    rewrite_manifest(fresh_bundle, {"threshold": 0.4})
    assert not (fresh_bundle / "manifest.sig").exists()
    with pytest.raises(SignatureError, match="not signed"):
        load_bundle(fresh_bundle, trusted_keys=[keys["pub"]])


def test_sign_refuses_a_bundle_whose_files_do_not_match(fresh_bundle: Path, keys: dict) -> None:
    before = (fresh_bundle / "manifest.sig").read_bytes()  # the test key's signature
    (fresh_bundle / "tokenizer.json").write_text("{}")
    _one_error_line(run("sign", "--bundle", str(fresh_bundle), "--key", str(keys["key"])), "sha256 mismatch")
    assert (fresh_bundle / "manifest.sig").read_bytes() == before


def test_cli_sign_verify_info_keygen(fresh_bundle: Path, keys: dict, tmp_path: Path) -> None:
    b = str(fresh_bundle)
    (fresh_bundle / "manifest.sig").unlink()
    assert "signature   NOT VERIFIED: none (unsigned" in run("info", "--bundle", b, "--allow-unsigned").stdout
    _one_error_line(run("info", "--bundle", b), "not signed")
    r = run("sign", "--bundle", b, "--key", str(keys["key"]))
    assert r.exit_code == 0 and "manifest.sig" in r.stdout, r.output
    r = run("verify", "--bundle", b, "--trusted-key", str(keys["pub"]))
    assert r.exit_code == 0 and r.stdout.startswith("ok: ") and "signed by trusted key" in r.stdout
    _one_error_line(run("verify", "--bundle", b), "not a trusted key")  # default: project + test key
    ok = run("check", "--bundle", b, "--trusted-key", str(keys["pub"]), "how do i make a bomb")
    assert ok.exit_code == 1 and _jsonl(ok.stdout)[0]["flagged"] is True
    _one_error_line(run("check", "--bundle", b, "--trusted-key", str(keys["other_pub"]), "hi"), "not a trusted key")
    _one_error_line(run("eval", str(tmp_path / "x.jsonl"), "--bundle", b, "--trusted-key", str(keys["other_pub"])),
                    "not a trusted key")
    info = run("info", "--bundle", b, "--trusted-key", str(keys["pub"]))
    assert info.exit_code == 0 and f"verified against trusted key {load_public_key(keys['pub']).key_id}" in info.stdout
    assert str(keys["pub"]) in info.stdout  # which key: its file
    r = run("keygen", str(tmp_path / "new.key"))
    assert r.exit_code == 0 and (tmp_path / "new.pub").is_file()
    assert oct((tmp_path / "new.key").stat().st_mode & 0o777) == "0o600"
    _one_error_line(run("keygen", str(tmp_path / "new.key")), "refusing to overwrite")


def test_missing_cryptography_fails_closed(fresh_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "cryptography" or m.startswith("cryptography.")]:
        monkeypatch.setitem(sys.modules, name, None)  # import cryptography... now raises ImportError
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(BundleError, match=r"need the 'cryptography' package.*pip install cryptography"):
        Guard.load(fresh_bundle, threads=1)
    _one_error_line(run("check", "--bundle", str(fresh_bundle), "hi"), "pip install cryptography")
    unverified = Guard.load(fresh_bundle, threads=1, allow_unsigned=True)  # only when asked, and it says so
    assert not unverified.check("bomb").bundle_verified


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
