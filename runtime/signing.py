"""Ed25519 signatures over a bundle's ``manifest.json``.

Why the manifest: it pins the sha256 of every file the loader opens (model, tokenizer, GGUF,
...), so one signature over its exact bytes covers the whole bundle. The signature cannot
live inside the manifest it signs, so it sits beside it in ``manifest.sig``, a small JSON
object::

    {"format": "tinyguard-signature/1", "algorithm": "ed25519", "key_id": "<16 hex>",
     "manifest_sha256": "<64 hex>", "signature": "<base64 of 64 bytes>"}

The signed message is ``DOMAIN + manifest bytes`` (a fixed prefix, so a signature made with
the key for anything else can never pass as a bundle signature). ``key_id`` is the first 16
hex digits of sha256 over the raw 32-byte public key; it only picks which trusted key to try.

Keys are PEM files: private keys PKCS#8 (``-----BEGIN PRIVATE KEY-----``, kept out of any
repository, mode 0600), public keys SubjectPublicKeyInfo (``-----BEGIN PUBLIC KEY-----``).
The project's public key ships in the package (:data:`PROJECT_KEY`).

``cryptography`` is an optional dependency (``pip install 'tinyguard[verify]'``), imported only
here and only when a signature is made or checked. When trusted keys are given and it is
missing, loading fails closed (BundleError with the install line), never skips the check.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Union

from tinyguard.bundle import BundleError, MANIFEST, SIGNATURE_FILE, load_bundle, read_manifest_bytes
from tinyguard.atomic import atomic_write_text

FORMAT = "tinyguard-signature/1"
ALGORITHM = "ed25519"
DOMAIN = b"tinyguard bundle manifest signature v1\n"
INSTALL = "pip install 'tinyguard[verify]'  (from a checkout: pip install -e '.[verify]')"
#: The project's public key; ``trusted_keys=["project"]`` (CLI: ``--trusted-key project``) names it.
PROJECT_KEY = Path(__file__).resolve().parent / "keys" / "tinyguard-project.pub"
PROJECT = "project"

KeySource = Union[str, "os.PathLike[str]", "PublicKey"]


class SignatureError(BundleError):
    """A bundle's signature is missing, malformed, by an untrusted key, or does not match."""


def _crypto() -> Any:
    """The ``cryptography`` pieces this module needs; BundleError (fail closed) when missing."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise BundleError(f"bundle signatures (signing and checking) need the 'cryptography' package, "
                          f"which is not installed: {INSTALL}") from None
    return InvalidSignature, serialization, ed25519


@dataclass(frozen=True)
class PublicKey:
    """A trusted Ed25519 public key: its raw 32 bytes, its id, and where it came from."""

    raw: bytes
    source: str = ""

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    def verifies(self, signature: bytes, message: bytes) -> bool:
        invalid, _, ed25519 = _crypto()
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except invalid:
            return False
        return True

    def to_pem(self) -> str:
        _, serialization, ed25519 = _crypto()
        key = ed25519.Ed25519PublicKey.from_public_bytes(self.raw)
        return key.public_bytes(serialization.Encoding.PEM,
                                serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()[:16]


def load_public_key(source: KeySource) -> PublicKey:
    """A public key from a PEM file (or ``"project"``: the key shipped with tinyguard)."""
    if isinstance(source, PublicKey):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"a trusted key is a path to a PEM public key file, not {type(source).__name__}")
    path = PROJECT_KEY if str(source) == PROJECT else Path(source).expanduser()
    label = "project key" if str(source) == PROJECT else str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BundleError(f"cannot read trusted key {label}: {e.strerror or e}") from None
    _, serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        hint = " (that is a private key; trust its .pub file)" if b"PRIVATE KEY" in data else ""
        raise BundleError(f"trusted key {label} is not a PEM public key{hint}") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise BundleError(f"trusted key {label} is not an Ed25519 key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PublicKey(raw, label)


def load_trusted_keys(keys: KeySource | Iterable[KeySource]) -> list[PublicKey]:
    """Every key in ``keys`` (one source or several); an empty list is an error, not "trust all"."""
    items = [keys] if isinstance(keys, (str, os.PathLike, PublicKey)) else list(keys)
    if not items:
        raise ValueError("trusted_keys is empty: pass None to load without a signature check, "
                         "or at least one public key")
    return [load_public_key(k) for k in items]


def load_private_key(path: str | os.PathLike[str]) -> Any:
    """An ``Ed25519PrivateKey`` from a PKCS#8 PEM file (unencrypted)."""
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as e:
        raise BundleError(f"cannot read signing key {p}: {e.strerror or e}") from None
    _, serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise BundleError(f"signing key {p} is not an unencrypted PEM private key: {e}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise BundleError(f"signing key {p} is not an Ed25519 key")
    return key


def public_of(private_key: Any) -> PublicKey:
    _, serialization, _ = _crypto()
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PublicKey(raw)


def generate_key(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write a new private key to ``path`` (mode 0600, never over an existing file) and its
    public key to ``path`` with suffix ``.pub``. Returns both paths."""
    _, serialization, ed25519 = _crypto()
    private = Path(path)
    public = private.with_suffix(".pub")
    if public == private:
        raise ValueError(f"the private key path must not end in .pub: {private}")
    for p in (private, public):
        if p.exists():
            raise FileExistsError(f"refusing to overwrite {p}")
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)

    atomic_write_text(public, public_of(key).to_pem())
    return private, public


# ---------------------------------------------------------------- signing and checking

def signature_record(manifest_bytes: bytes, private_key: Any) -> dict[str, str]:
    """The ``manifest.sig`` object for ``manifest_bytes`` signed with ``private_key``."""
    sig = private_key.sign(DOMAIN + manifest_bytes)
    return {"format": FORMAT, "algorithm": ALGORITHM, "key_id": public_of(private_key).key_id,
            "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
            "signature": base64.b64encode(sig).decode("ascii")}


def sign_bundle(bundle: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> dict[str, str]:
    """Sign a bundle's manifest with the private key at ``key_path``; writes ``manifest.sig``.

    The bundle is verified first (every file's sha256), so a signature never vouches for files
    that do not match; the new signature is checked back before this returns.
    """
    key = load_private_key(key_path)
    root = Path(bundle)
    load_bundle(root)
    data = read_manifest_bytes(root)
    record = signature_record(data, key)
    atomic_write_text(root / SIGNATURE_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    load_bundle(root, trusted_keys=[public_of(key)])
    return record


def read_signature(root: Path) -> dict[str, str] | None:
    """The parsed ``manifest.sig`` of a bundle, None when it has none; SignatureError when malformed."""
    path = root / SIGNATURE_FILE
    if not path.exists():
        return None
    where = f"bundle {root}: {SIGNATURE_FILE}"
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SignatureError(f"{where} cannot be read as JSON: {' '.join(str(e).split())}") from None
    if not isinstance(record, dict):
        raise SignatureError(f"{where} must hold a JSON object")
    if record.get("format") != FORMAT or record.get("algorithm") != ALGORITHM:
        raise SignatureError(f"{where}: unknown format/algorithm {record.get('format')!r}/"
                             f"{record.get('algorithm')!r}; this runtime reads {FORMAT}/{ALGORITHM}")
    for k in ("key_id", "signature"):
        if not isinstance(record.get(k), str):
            raise SignatureError(f"{where}: '{k}' must be a string")
    return record


def check_signature(root: Path, manifest_bytes: bytes, trusted: list[PublicKey]) -> PublicKey:
    """The trusted key that signed ``manifest_bytes`` (the bundle's manifest), else SignatureError."""
    record = read_signature(root)
    if record is None:
        raise SignatureError(f"bundle {root} is not signed (no {SIGNATURE_FILE}) and trusted keys were "
                             f"given; sign it with: guard-cli sign --bundle {root} --key PRIVATE_KEY")
    ids = ", ".join(k.key_id for k in trusted)
    candidates = [k for k in trusted if k.key_id == record["key_id"]]
    if not candidates:
        raise SignatureError(f"bundle {root} is signed by key {record['key_id']}, which is not a trusted "
                             f"key (trusted: {ids})")
    try:
        signature = base64.b64decode(record["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"bundle {root}: {SIGNATURE_FILE} 'signature' is not base64") from None
    for key in candidates:
        if len(signature) == 64 and key.verifies(signature, DOMAIN + manifest_bytes):
            return key
    changed = record.get("manifest_sha256") not in (None, hashlib.sha256(manifest_bytes).hexdigest())
    why = "the manifest changed after it was signed" if changed else "the signature is not valid"
    raise SignatureError(f"bundle {root}: signature by key {record['key_id']} does not match {MANIFEST} "
                         f"({why}); the bundle was modified, or must be re-signed with guard-cli sign")
