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

``cryptography`` is a runtime dependency (every load checks a signature, see
:mod:`tinyguard.bundle.trust`), imported only here and only when a signature is made or checked.
Checking imports its Ed25519 module alone (~8 ms); a public key in the one fixed PEM layout of
Ed25519 (RFC 8410) is read without its ``serialization`` module (~15 ms more), which only
signing, keygen and an odd key file import. If it is missing, loading fails closed
(:class:`SignatureError` with the install line), never skips the check.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Union

from tinyguard.atomic import atomic_write_text
from tinyguard.bundle.manifest import BundleError, MANIFEST, SIGNATURE_FILE, read_manifest_bytes

FORMAT = "tinyguard-signature/1"
ALGORITHM = "ed25519"
DOMAIN = b"tinyguard bundle manifest signature v1\n"
INSTALL = "pip install cryptography  (a dependency of tinyguard: pip install tinyguard installs it)"
#: The project's public key; ``trusted_keys=["project"]`` (CLI: ``--trusted-key project``) names it.
PROJECT_KEY = Path(__file__).resolve().parent / "keys" / "tinyguard-project.pub"
PROJECT = "project"

KeySource = Union[str, "os.PathLike[str]", "PublicKey"]


class SignatureError(BundleError):
    """A bundle's signature is missing, malformed, by an untrusted key, or does not match.

    ``kind``: "unsigned", "untrusted" (a key nobody trusted), "invalid" (does not match: the
    bundle or signature was edited), "malformed", or "unavailable" (no verifier installed)."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def _missing() -> SignatureError:
    return SignatureError(f"bundle signatures (signing and checking) need the 'cryptography' package, "
                          f"which is not installed: {INSTALL}", "unavailable")


def _verifier() -> Any:
    """What checking needs: ``InvalidSignature`` and the Ed25519 module (not ``serialization``)."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise _missing() from None
    return InvalidSignature, ed25519


def _crypto() -> Any:
    """The ``cryptography`` pieces signing and key files need; SignatureError (fail closed) when missing."""
    invalid, ed25519 = _verifier()
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise _missing() from None
    return invalid, serialization, ed25519


#: DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410, section 4): the 32 key bytes follow.
_SPKI_ED25519 = bytes.fromhex("302a300506032b6570032100")
_PEM_PUBLIC = re.compile(rb"\A\s*-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----\s*\Z")


def _raw_ed25519_pem(data: bytes) -> bytes | None:
    """The raw key of a PEM Ed25519 public key in its one DER layout, else None (then the
    ``cryptography`` parser decides, and names what is wrong)."""
    m = _PEM_PUBLIC.match(data)
    if m is None:
        return None
    try:
        der = base64.b64decode(b"".join(m.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(der) != len(_SPKI_ED25519) + 32 or not der.startswith(_SPKI_ED25519):
        return None
    return der[len(_SPKI_ED25519):]


@dataclass(frozen=True)
class PublicKey:
    """A trusted Ed25519 public key: its raw 32 bytes, its id, and where it came from."""

    raw: bytes
    source: str = ""

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    def verifies(self, signature: bytes, message: bytes) -> bool:
        invalid, ed25519 = _verifier()
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
    raw = _raw_ed25519_pem(data)
    if raw is not None:
        return PublicKey(raw, label)
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
        raise ValueError("trusted_keys is empty: pass None for the default keys (see tinyguard.bundle.trust), "
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


def read_signature(root: Path) -> dict[str, str] | None:
    """The parsed ``manifest.sig`` of a bundle, None when it has none; SignatureError when malformed."""
    path = root / SIGNATURE_FILE
    if path.is_symlink():
        raise SignatureError(f"bundle {root}: {SIGNATURE_FILE} is a symbolic link; a bundle holds its own files",
                             "malformed")
    if not path.exists():
        return None
    where = f"bundle {root}: {SIGNATURE_FILE}"
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SignatureError(f"{where} cannot be read as JSON: {' '.join(str(e).split())}", "malformed") from None
    if not isinstance(record, dict):
        raise SignatureError(f"{where} must hold a JSON object", "malformed")
    if record.get("format") != FORMAT or record.get("algorithm") != ALGORITHM:
        raise SignatureError(f"{where}: unknown format/algorithm {record.get('format')!r}/"
                             f"{record.get('algorithm')!r}; this runtime reads {FORMAT}/{ALGORITHM}", "malformed")
    for k in ("key_id", "signature"):
        if not isinstance(record.get(k), str):
            raise SignatureError(f"{where}: '{k}' must be a string", "malformed")
    return record


def check_signature(root: Path, manifest_bytes: bytes, trusted: list[PublicKey]) -> PublicKey:
    """The trusted key that signed ``manifest_bytes`` (the bundle's manifest), else SignatureError."""
    record = read_signature(root)
    if record is None:
        raise SignatureError(f"bundle {root} is not signed (no {SIGNATURE_FILE}); sign it with: "
                             f"guard-cli sign --bundle {root} --key PRIVATE_KEY", "unsigned")
    ids = ", ".join(k.key_id for k in trusted)
    candidates = [k for k in trusted if k.key_id == record["key_id"]]
    if not candidates:
        raise SignatureError(f"bundle {root} is signed by key {record['key_id']}, which is not a trusted "
                             f"key (trusted: {ids})", "untrusted")
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
