"""Model bundles: a folder with ``manifest.json`` plus hash-pinned files.

Why so strict: a guard that silently runs a swapped or half-copied model is worse than no
guard. :func:`load_bundle` refuses anything that does not match its manifest, with a
one-line reason; :func:`write_bundle` and :func:`rewrite_manifest` never leave a bundle
half-written. Only JSON, ONNX, tokenizer JSON and Markdown live in a bundle: no pickles.

Hashes catch a corrupted or half-copied bundle, not a swapped one: whoever can edit the model
can edit its hash in the manifest too. Authenticity comes from an Ed25519 signature over the
manifest (``manifest.sig``, see :mod:`tinyguard.signing`), checked on every load against the
keys :mod:`tinyguard.bundle.trust` names (:func:`read_bundle` skips it, for code that just wrote one).
The manifest's schema (parsed strictly, typed) lives in :mod:`tinyguard.bundle.manifest`.
:mod:`tinyguard.signing` and :mod:`tinyguard.bundle.trust` import this module at their top, so this
one imports them inside :func:`load_bundle`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from tinyguard.atomic import atomic_write_text, fsync_dir, fsync_file, temp_path
from tinyguard.bundle.manifest import (BundleError, ENCODING_BOUNDS, MANIFEST, Manifest, REQUIRED_KEYS,
                                SCHEMA_VERSION, SIGNATURE_FILE, as_manifest, check_file_name, manifest_json,
                                parse_manifest, parse_manifest_bytes, read_manifest_bytes)
from tinyguard.bundle.tiers import DEFAULT_TIER, TIERS, installed_tiers, resolve_model, tier_path
from tinyguard.bundle.trust import check_trust
from tinyguard.errors import one_line as _one_line
from tinyguard.signing import KeySource, load_private_key, public_of, signature_record



def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks so big models do not fill memory."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_bundle_path() -> Path:
    """The bundled default model: the default tier's folder, package data under ``tinyguard/models``."""
    return tier_path(DEFAULT_TIER)


# ---------------------------------------------------------------- loading

def load_bundle(path: str | os.PathLike[str] | None = None, *, verify: bool = True,
                trusted_keys: "KeySource | Iterable[KeySource] | None" = None,
                allow_unsigned: bool = False) -> Manifest:
    """Read and validate a bundle folder: its manifest, every file's sha256 (``verify``, the
    default) and the Ed25519 signature over the manifest (always).

    The signature must be by a trusted key: ``trusted_keys`` (paths to Ed25519 PEM public keys,
    or ``"project"`` for the key shipped with tinyguard), or when None the default keys (the
    project key for a bundled model; for any other bundle also the keys the user trusts, see
    :mod:`tinyguard.bundle.trust`); else :class:`tinyguard.signing.SignatureError`. ``allow_unsigned``
    loads it anyway and records why in ``Manifest.unverified``. The signature is checked on the
    very bytes that are parsed. ``manifest.json`` or a listed file that is a symbolic link is refused.
    """
    root = resolve_model(path)
    if not root.is_dir():
        hint = " (the default model is not installed; pass a bundle folder)" if path is None else ""
        if isinstance(path, str) and path in TIERS:
            hint = f" (the {path} tier is not installed in this build; installed: {', '.join(installed_tiers()) or 'none'})"
        raise BundleError(f"bundle folder not found: {root}{hint}")
    data = read_manifest_bytes(root)
    manifest = parse_manifest(parse_manifest_bytes(data, root), root)
    if verify:
        _verify_files(manifest, root)

    trust = check_trust(root, data, trusted_keys, allow_unsigned=allow_unsigned)
    return replace(manifest, signed_by=trust.signed_by, signer=trust.key, unverified=trust.problem)


def read_bundle(path: str | os.PathLike[str], *, verify: bool = True) -> Manifest:
    """A bundle's manifest and (``verify``) file hashes, without its signature: for code that has
    just written the bundle (it is unsigned until ``guard-cli sign``), never for scoring with it."""
    root = Path(path)
    if not root.is_dir():
        raise BundleError(f"bundle folder not found: {root}")
    manifest = parse_manifest(parse_manifest_bytes(read_manifest_bytes(root), root), root)
    if verify:
        _verify_files(manifest, root)
    return replace(manifest, unverified=f"bundle {root}: signature not checked")


def _verify_files(manifest: Manifest, root: Path) -> None:
    resolved_root = root.resolve()
    for name, expected in manifest.files.items():
        fpath = root / name
        if fpath.is_symlink():
            raise BundleError(f"bundle {root}: file {name} listed in {MANIFEST} is a symbolic link; "
                              f"a bundle holds its own files")
        if not fpath.is_file():
            raise BundleError(f"bundle {root}: file {name} listed in {MANIFEST} is missing")
        if resolved_root not in fpath.resolve().parents:
            raise BundleError(f"bundle {root}: file {name} points outside the bundle folder")
        actual = sha256_file(fpath)
        if actual != expected:
            raise BundleError(f"bundle {root}: sha256 mismatch for {name} (manifest {expected[:12]}..., "
                              f"file {actual[:12]}...); the file was modified or corrupted")


# ---------------------------------------------------------------- writing

def write_bundle(out_dir: str | os.PathLike[str], files: Mapping[str, str | os.PathLike[str]],
                 manifest: Manifest | Mapping[str, Any]) -> Path:
    """Write a bundle atomically: copy ``files`` (bundle name -> source path) into a temp
    sibling, pin their sha256 in the manifest's ``files`` (any it had are replaced), validate it
    by loading it back, then swap it in for ``out_dir``. On any failure ``out_dir`` is left as it
    was. ``manifest``: a :class:`Manifest` (:func:`tinyguard.bundle.manifest.new_manifest`, or a loaded
    one's :meth:`~Manifest.updated`) or a manifest dict."""
    out = Path(out_dir)
    for name, src in files.items():
        check_file_name(name, "write_bundle")
        if not Path(src).is_file():
            raise BundleError(f"write_bundle: source for {name} is not a file: {src}")
    if out.exists() and not _replaceable(out):
        raise BundleError(f"write_bundle: refusing to replace {out}: it is not a bundle folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    with temp_path(tmp):
        _fill_and_swap(tmp, out, files, manifest)
    fsync_dir(out.parent)
    return out


def _fill_and_swap(tmp: Path, out: Path, files: Mapping[str, str | os.PathLike[str]],
                   manifest: Manifest | Mapping[str, Any]) -> None:
    """write_bundle's body: fill ``tmp``, check it, swap it in for ``out``; ``tmp`` removed on failure."""
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700; an installed model must be readable by all
        hashes: dict[str, str] = {}
        for name, src in files.items():
            shutil.copyfile(src, tmp / name)
            fsync_file(tmp / name)
            hashes[name] = sha256_file(tmp / name)
        data = manifest.to_dict() if isinstance(manifest, Manifest) else dict(manifest)
        data.setdefault("schema_version", SCHEMA_VERSION)
        data["files"] = hashes
        _write_json(tmp / MANIFEST, data)
        fsync_dir(tmp)
        read_bundle(tmp)  # never publish a bundle the loader would refuse (it is signed later)
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def rewrite_manifest(bundle_dir: str | os.PathLike[str], updates: Mapping[str, Any],
                     drop: Iterable[str] = ()) -> Manifest:
    """Replace top-level manifest keys (e.g. thresholds after calibration) and leave out the
    optional keys ``drop``, atomically.

    The bundle is verified first; ``files`` cannot be updated because hashes are computed,
    never set. A signature (``manifest.sig``) no longer matches the new manifest, so it is
    removed: the bundle is unsigned until signed again. Returns the new Manifest.
    """
    if "files" in updates:
        raise BundleError("rewrite_manifest: 'files' holds computed hashes; use write_bundle to change files")
    new = read_bundle(bundle_dir).replaced(updates, drop)
    root = Path(bundle_dir)
    _write_json(root / MANIFEST, new.raw)
    (root / SIGNATURE_FILE).unlink(missing_ok=True)
    return new


def _replaceable(out: Path) -> bool:
    """Only an empty folder or an existing bundle may be replaced (never a user's folder)."""
    return out.is_dir() and (not any(out.iterdir()) or (out / MANIFEST).is_file())


def _swap_in(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first and restored on failure.

    POSIX cannot rename a folder over a non-empty one, so between the two renames a reader may
    briefly find no folder at ``out`` -- but never a half-written one.
    """
    if not out.exists():
        os.rename(tmp, out)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    backup.rmdir()
    os.rename(out, backup)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(backup, out)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    atomic_write_text(path, manifest_json(data))


def sign_bundle(bundle: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> dict[str, str]:
    """Sign a bundle's manifest with the private key at ``key_path``; writes ``manifest.sig``.

    The bundle is verified first (every file's sha256), so a signature never vouches for files
    that do not match; the new signature is checked back before this returns.
    """
    key = load_private_key(key_path)
    root = Path(bundle)
    load_bundle(root, allow_unsigned=True)  # files and schema; the old signature (if any) is replaced
    data = read_manifest_bytes(root)
    record = signature_record(data, key)
    atomic_write_text(root / SIGNATURE_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    load_bundle(root, trusted_keys=[public_of(key)])
    return record
