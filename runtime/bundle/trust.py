"""Which keys a bundle's signature is checked against, and what a load does when it fails.

Why fail closed: hashes in ``manifest.json`` catch a corrupted file, not an edited bundle --
whoever can raise the threshold or swap the model can re-hash it. Only a signature by a key the
user trusts tells a bundle from a tampered copy, so every load checks one (``Guard.load``,
every ``guard-cli`` command that loads a bundle), and an unsigned, foreign-signed or edited
bundle is refused unless the caller explicitly allows it.

Which keys:

* a *bundled* model (any folder inside the package's ``models/`` folder: the default and any
  other shipped tier) is checked against the project key shipped in the package
  (:data:`tinyguard.signing.PROJECT_KEY`) and nothing else: no local setting can vouch for an
  edited copy of a shipped model;
* any other bundle against the project key plus the keys the user trusts: the paths in
  :data:`ENV_KEYS` (separated by ``os.pathsep``) and ``keys`` in the ``[trust]`` table of the
  user config file (:func:`config_path`);
* keys given explicitly (``trusted_keys=``, ``--trusted-key``) replace both lists.

``allow_unsigned=True`` (``--allow-unsigned``) loads a bundle whose signature fails; the
reason is kept (:class:`Trust`), every verdict of that guard says ``bundle_verified: false``,
and its text line says ``unverified bundle``. File hashes are checked either way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyguard.bundle.manifest import BundleError, models_path
from tinyguard.configfile import load_toml, refuse_unknown
from tinyguard.signing import (
    PROJECT, KeySource, PublicKey, SignatureError, check_signature, load_public_key, load_trusted_keys,
    read_signature,
)

ENV_KEYS = "TINYGUARD_TRUSTED_KEYS"
ENV_CONFIG = "TINYGUARD_CONFIG"
_TRUST_KEYS = frozenset({"keys"})
ALLOW = "--allow-unsigned (Guard.load(..., allow_unsigned=True)) loads it unverified"
HOW_TO_TRUST = f"trust its signer's key with --trusted-key PUB, {ENV_KEYS} or [trust] keys in the config file; {ALLOW}"


@dataclass(frozen=True)
class Trust:
    """The outcome of a bundle's signature check."""

    signed_by: str = ""  # id of the trusted key whose signature matched ("" when none did)
    key: str = ""  # where that key came from ("project key", a path)
    problem: str = ""  # why the bundle is not verified (only with allow_unsigned; "" when verified)

    @property
    def verified(self) -> bool:
        return bool(self.signed_by)


def is_bundled(root: Path) -> bool:
    """True for a folder inside the package's ``models/`` folder (a model shipped with tinyguard)."""
    try:
        return root.resolve().parent == models_path().resolve()
    except OSError:
        return False


def config_path() -> Path:
    """The user config file: ``$TINYGUARD_CONFIG``, else ``$XDG_CONFIG_HOME/tinyguard/config.toml``
    (``~/.config`` when unset)."""
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tinyguard" / "config.toml"


def user_keys() -> list[str]:
    """The public key paths the user trusts: :data:`ENV_KEYS`, then the config file's ``[trust] keys``
    (relative paths are relative to the config file)."""
    keys = [p for p in os.environ.get(ENV_KEYS, "").split(os.pathsep) if p.strip()]
    path = config_path()
    explicit = bool(os.environ.get(ENV_CONFIG))
    if not path.is_file():
        if explicit:
            raise BundleError(f"config file not found: {path} (from {ENV_CONFIG})")
        return keys
    try:
        raw = load_toml(path, "tinyguard config")
        refuse_unknown(raw, {"trust"}, f"config file {path}")
        table = raw.get("trust", {})
        if not isinstance(table, dict):
            raise ValueError(f"config file {path}: [trust] must be a table")
        refuse_unknown(table, _TRUST_KEYS, f"[trust] of config file {path}")
        listed = table.get("keys", [])
        if not isinstance(listed, list) or not all(isinstance(k, str) for k in listed):
            raise ValueError(f"config file {path}: [trust] keys must be a list of paths")
    except (OSError, ValueError) as e:
        raise BundleError(" ".join(str(e).split())) from None
    return keys + [str((path.parent / Path(k).expanduser())) for k in listed]


def default_keys(root: Path) -> list[PublicKey]:
    """The keys a bundle at ``root`` is checked against when none are given (see module docstring)."""
    sources: list[KeySource] = [PROJECT] if is_bundled(root) else [PROJECT, *user_keys()]
    return [load_public_key(k) for k in sources]


def check_trust(root: Path, manifest_bytes: bytes, trusted_keys: Any = None, *,
                allow_unsigned: bool = False) -> Trust:
    """Check the signature of the bundle at ``root`` over ``manifest_bytes`` (its manifest).

    ``trusted_keys``: keys to use instead of :func:`default_keys`. A missing, malformed,
    untrusted or non-matching signature raises :class:`SignatureError` (one line, with what to
    do), or with ``allow_unsigned`` is returned as :attr:`Trust.problem`. A key that cannot be
    read is an error either way: it is the caller's setting, not the bundle's fault.
    """
    keys = load_trusted_keys(trusted_keys) if trusted_keys is not None else default_keys(root)
    try:
        if read_signature(root) is None and allow_unsigned:
            return Trust(problem=f"bundle {root} is not signed")
        key = check_signature(root, manifest_bytes, keys)
    except SignatureError as e:
        if allow_unsigned:
            return Trust(problem=" ".join(str(e).split()))
        if is_bundled(root) and trusted_keys is None:
            hint = ("a bundled model must be signed by the project key (reinstall tinyguard, or re-sign it: "
                    f"guard-cli sign --key PROJECT_PRIVATE_KEY); {ALLOW}")
        else:
            hint = HOW_TO_TRUST if e.kind in ("unsigned", "untrusted") else ALLOW
        raise SignatureError(f"{' '.join(str(e).split())}; {hint}", e.kind) from None
    return Trust(signed_by=key.key_id, key=key.source or key.key_id)
