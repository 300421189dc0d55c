"""Model bundles: a folder with ``manifest.json`` plus hash-pinned files.

Why so strict: a guard that silently runs a swapped or half-copied model is worse than no
guard. :func:`load_bundle` refuses anything that does not match its manifest, with a
one-line reason; :func:`write_bundle` and :func:`rewrite_manifest` never leave a bundle
half-written. Only JSON, ONNX, tokenizer JSON and Markdown live in a bundle: no pickles.

Hashes catch a corrupted or half-copied bundle, not a swapped one: whoever can edit the model
can edit its hash in the manifest too. Authenticity comes from an Ed25519 signature over the
manifest (``manifest.sig``, see :mod:`tinyguard.signing`), checked when ``trusted_keys`` is given.
The manifest is parsed strictly: duplicate keys, wrong types (``true`` for an int, ``1e9`` for
an int) and out-of-range encoding values are refused, never coerced.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from tinyguard.atomic import atomic_write_text, fsync_dir, fsync_file
from tinyguard.encoding import EncodingConfig
from tinyguard.taxonomy import CATEGORIES

if TYPE_CHECKING:
    from tinyguard.signing import KeySource

SCHEMA_VERSION = 1  # signatures live beside the manifest, so they did not change its schema
MANIFEST = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
#: Inclusive bounds of the ``encoding`` values this runtime accepts (all required ints).
ENCODING_BOUNDS: dict[str, tuple[int, int]] = {
    "max_length": (16, 8192), "context_tokens": (0, 8192), "stride": (0, 8192), "max_chunks": (1, 4096),
}

#: Keys every manifest must have; ``data``, ``metrics``, ``training``, ``created`` are optional.
REQUIRED_KEYS: tuple[str, ...] = (
    "schema_version", "name", "version", "model_file", "tokenizer_file", "labels", "taxonomy",
    "threshold", "category_thresholds", "presets", "encoding", "normalization", "files",
)
# A bundle is flat: plain file names only, so no name can reach outside the folder.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BundleError(Exception):
    """A bundle is missing, malformed, or does not match its manifest (one-line message)."""


@dataclass(frozen=True)
class Manifest:
    """The parsed, validated ``manifest.json`` of one bundle; ``raw`` keeps every key."""

    schema_version: int
    name: str
    version: str
    model_file: str
    tokenizer_file: str
    labels: dict[str, Any]
    taxonomy: list[dict[str, Any]]
    threshold: float
    category_thresholds: dict[str, float]
    presets: dict[str, float]
    encoding: dict[str, int]
    normalization: dict[str, bool]
    files: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    path: Path | None = None  # the bundle folder it was read from
    signed_by: str = ""  # id of the trusted key whose signature was checked ("" when none was)

    @property
    def model_id(self) -> str:
        return f"{self.name}@{self.version}"

    def category_threshold(self, name: str) -> float:
        """The category's own threshold, falling back to the binary one when not set."""
        return float(self.category_thresholds.get(name, self.threshold))

    def encoding_config(self) -> EncodingConfig:
        return EncodingConfig.from_dict(self.encoding)

    def file_path(self, name: str) -> Path:
        if self.path is None:
            raise BundleError("manifest was not read from a bundle folder")
        return self.path / name


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks so big models do not fill memory."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_bundle_path() -> Path:
    """The bundled default model, shipped as package data in ``tinyguard/models/default``."""
    return Path(__file__).resolve().parent / "models" / "default"


# ---------------------------------------------------------------- loading

def load_bundle(path: str | os.PathLike[str] | None = None, *, verify: bool = True,
                trusted_keys: "KeySource | Iterable[KeySource] | None" = None) -> Manifest:
    """Read and validate a bundle folder; with ``verify`` (default) check every file's sha256.

    ``trusted_keys`` (paths to Ed25519 PEM public keys, or ``"project"`` for the key shipped
    with tinyguard): the manifest must carry a valid signature by one of them, else
    :class:`tinyguard.signing.SignatureError`. The signature is checked on the very bytes that
    are then parsed. None (default) checks no signature.
    """
    root = Path(path) if path is not None else default_bundle_path()
    if not root.is_dir():
        hint = " (the default model is not installed; pass a bundle folder)" if path is None else ""
        raise BundleError(f"bundle folder not found: {root}{hint}")
    signed_by = ""
    if trusted_keys is not None:
        from tinyguard.signing import load_trusted_keys

        trusted = load_trusted_keys(trusted_keys)  # before reading: a bad key is the caller's error
    data = read_manifest_bytes(root)
    if trusted_keys is not None:
        from tinyguard.signing import check_signature

        signed_by = check_signature(root, data, trusted).key_id
    manifest = parse_manifest(_parse_manifest_bytes(data, root), root)
    if verify:
        _verify_files(manifest, root)
    return manifest if not signed_by else _with_signer(manifest, signed_by)


def _with_signer(manifest: Manifest, key_id: str) -> Manifest:
    from dataclasses import replace

    return replace(manifest, signed_by=key_id)


def read_manifest_bytes(root: Path) -> bytes:
    """The exact bytes of a bundle's ``manifest.json`` (what a signature covers)."""
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise BundleError(f"bundle {root}: {MANIFEST} is missing")
    try:
        return mpath.read_bytes()
    except OSError as e:
        raise BundleError(f"bundle {root}: cannot read {MANIFEST}: {_one_line(e)}") from None


def _parse_manifest_bytes(data: bytes, root: Path) -> dict[str, Any]:
    try:
        raw = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BundleError(f"bundle {root}: {MANIFEST} is not valid JSON: {_one_line(e)}") from None
    except ValueError as e:  # a duplicate key or NaN/Infinity
        raise BundleError(f"bundle {root}: {MANIFEST}: {_one_line(e)}") from None
    if not isinstance(raw, dict):
        raise BundleError(f"bundle {root}: {MANIFEST} must hold a JSON object")
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON allows a key twice and Python keeps the last; a manifest must not (two thresholds)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} (a manifest names each key once)")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a manifest may hold")


def parse_manifest(raw: Mapping[str, Any], root: Path | None = None) -> Manifest:
    """Validate a manifest dict's keys and types (not file hashes) and build a Manifest."""
    where = f"bundle {root}" if root is not None else "manifest"

    def bad(msg: str) -> BundleError:
        return BundleError(f"{where}: {msg}")

    if not isinstance(raw, Mapping):
        raise bad(f"{MANIFEST} must hold a JSON object")
    version = raw.get("schema_version")
    if "schema_version" in raw and (not isinstance(version, int) or isinstance(version, bool)
                                    or version != SCHEMA_VERSION):
        raise bad(f"unknown schema_version {version!r}; this runtime reads schema_version {SCHEMA_VERSION}")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise bad(f"{MANIFEST} is missing required keys: {', '.join(missing)}")

    for key in ("name", "version", "model_file", "tokenizer_file"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise bad(f"'{key}' must be a non-empty string")
    files = raw["files"]
    if not isinstance(files, dict):
        raise bad("'files' must map file names to sha256 hex digests")
    for name, digest in files.items():
        check_file_name(name, where)
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise bad(f"'files' entry for {name} is not a lowercase sha256 hex digest")
    for key in ("model_file", "tokenizer_file"):
        check_file_name(raw[key], where)
        if raw[key] not in files:
            raise bad(f"{key} {raw[key]} is not listed in 'files' (its hash must be pinned)")

    labels = raw["labels"]
    if not isinstance(labels, dict) or not isinstance(labels.get("categories"), list):
        raise bad("'labels' must be an object with a 'categories' list")
    if tuple(labels["categories"]) != CATEGORIES:
        raise bad(f"label categories {labels['categories']} do not match this runtime's taxonomy "
                  f"{list(CATEGORIES)} (same names, same order)")
    if "binary" in labels and not isinstance(labels["binary"], str):
        raise bad("'labels.binary' must be a string")
    if not isinstance(raw["taxonomy"], list) or not all(
            isinstance(e, dict) and all(isinstance(v, str) for v in e.values()) for e in raw["taxonomy"]):
        raise bad("'taxonomy' must be a list of objects of strings (code, name, description)")

    threshold = _unit_float(raw["threshold"], "threshold", bad)
    cat_t = raw["category_thresholds"]
    if not isinstance(cat_t, dict):
        raise bad("'category_thresholds' must be an object")
    unknown = [k for k in cat_t if k not in CATEGORIES]
    if unknown:
        raise bad(f"category_thresholds names unknown categories: {', '.join(map(str, unknown))}")
    cat_t = {k: _unit_float(v, f"category_thresholds.{k}", bad) for k, v in cat_t.items()}
    presets = raw["presets"]
    if not isinstance(presets, dict):
        raise bad("'presets' must be an object")
    presets = {str(k): _unit_float(v, f"presets.{k}", bad) for k, v in presets.items()}

    cfg = _encoding(raw["encoding"], bad)
    normalization = raw["normalization"]
    if not isinstance(normalization, dict) or not all(isinstance(v, bool) for v in normalization.values()):
        raise bad("'normalization' must be an object of true/false settings")
    for key in ("data", "metrics", "training", "calibration"):  # defenses, artifacts: checked where read
        if key in raw and not isinstance(raw[key], dict):
            raise bad(f"'{key}' must be an object")
    if "created" in raw and not isinstance(raw["created"], str):
        raise bad("'created' must be a string")

    return Manifest(
        schema_version=SCHEMA_VERSION, name=raw["name"], version=raw["version"],
        model_file=raw["model_file"], tokenizer_file=raw["tokenizer_file"],
        labels=dict(labels), taxonomy=list(raw["taxonomy"]), threshold=threshold,
        category_thresholds=cat_t, presets=presets, encoding=cfg.to_dict(),
        normalization=dict(raw["normalization"]), files=dict(files),
        data=dict(raw.get("data") or {}), metrics=dict(raw.get("metrics") or {}),
        training=dict(raw.get("training") or {}), created=str(raw.get("created", "")),
        raw=dict(raw), path=root,
    )


def _encoding(encoding: Any, bad: Any) -> EncodingConfig:
    """The ``encoding`` object, typed strictly: ints are ints (not ``true``, not ``1e9``), in bounds."""
    if not isinstance(encoding, dict):
        raise bad("'encoding' must be an object")
    known = {f.name: f.default for f in fields(EncodingConfig)}
    unknown = sorted(set(encoding) - set(known))
    if unknown:
        raise bad(f"'encoding' has unknown keys {unknown}; this runtime reads {sorted(known)}")
    missing = [k for k in ENCODING_BOUNDS if k in known and k not in encoding]
    if missing:
        raise bad(f"'encoding' is missing {missing}")
    for key, value in encoding.items():
        default = known[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise bad(f"'encoding.{key}' must be true or false, not {value!r}")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad(f"'encoding.{key}' must be an integer, not {value!r}")
            lo, hi = ENCODING_BOUNDS.get(key, (0, 1 << 31))
            if not lo <= value <= hi:
                raise bad(f"'encoding.{key}' must be in [{lo}, {hi}], not {value}")
        elif isinstance(default, float) and (isinstance(value, bool) or not isinstance(value, (int, float))
                                             or not math.isfinite(value)):
            raise bad(f"'encoding.{key}' must be a number, not {value!r}")
    for key in ("context_tokens", "stride"):
        if key in encoding and encoding[key] >= encoding["max_length"]:
            raise bad(f"'encoding.{key}' ({encoding[key]}) must be below max_length ({encoding['max_length']})")
    try:
        return EncodingConfig.from_dict(encoding)
    except (TypeError, ValueError) as e:
        raise bad(f"'encoding' is invalid: {_one_line(e)}") from None


def _unit_float(value: Any, key: str, bad: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0 \
            or math.isnan(value):
        raise bad(f"'{key}' must be a number in [0, 1], not {value!r}")
    return float(value)


def check_file_name(name: Any, where: str = "bundle") -> str:
    """Refuse names that could leave the bundle folder (``../x``, ``/abs``, ``a/b``, ``.hidden``)."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or name in (MANIFEST, SIGNATURE_FILE):
        raise BundleError(f"{where}: unsafe file name {name!r} (must be a plain file name inside "
                          f"the bundle, not {MANIFEST} or {SIGNATURE_FILE})")
    return name


def _verify_files(manifest: Manifest, root: Path) -> None:
    resolved_root = root.resolve()
    for name, expected in manifest.files.items():
        fpath = root / name
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
                 manifest: Mapping[str, Any]) -> Path:
    """Write a bundle atomically: copy ``files`` (bundle name -> source path) into a temp
    sibling, pin their sha256 in ``manifest['files']``, validate it by loading it back, then
    swap it in for ``out_dir``. On any failure ``out_dir`` is left as it was."""
    out = Path(out_dir)
    for name, src in files.items():
        check_file_name(name, "write_bundle")
        if not Path(src).is_file():
            raise BundleError(f"write_bundle: source for {name} is not a file: {src}")
    if out.exists() and not _replaceable(out):
        raise BundleError(f"write_bundle: refusing to replace {out}: it is not a bundle folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700; an installed model must be readable by all
        hashes: dict[str, str] = {}
        for name, src in files.items():
            shutil.copyfile(src, tmp / name)
            fsync_file(tmp / name)
            hashes[name] = sha256_file(tmp / name)
        data = dict(manifest)
        data.setdefault("schema_version", SCHEMA_VERSION)
        data["files"] = hashes
        _write_json(tmp / MANIFEST, data)
        fsync_dir(tmp)
        load_bundle(tmp)  # never publish a bundle the loader would refuse
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(out.parent)
    return out


def rewrite_manifest(bundle_dir: str | os.PathLike[str], updates: Mapping[str, Any]) -> Manifest:
    """Replace top-level manifest keys (e.g. thresholds after calibration), atomically.

    The bundle is verified first; ``files`` cannot be updated because hashes are computed,
    never set. A signature (``manifest.sig``) no longer matches the new manifest, so it is
    removed: the bundle is unsigned until signed again. Returns the new Manifest.
    """
    if "files" in updates:
        raise BundleError("rewrite_manifest: 'files' holds computed hashes; use write_bundle to change files")
    current = load_bundle(bundle_dir)
    root = Path(bundle_dir)
    data = {**current.raw, **updates}
    new = parse_manifest(data, root)
    _write_json(root / MANIFEST, data)
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
    atomic_write_text(path, json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())
