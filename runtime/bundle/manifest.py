"""The bundle manifest (``manifest.json``): its schema, read and written here only.

Why one module: every layer reads a bundle's manifest (the runtime to score, export to write it,
training and distillation to report on it). Reading keys out of a raw dict in each of them lets
a misspelt key or a wrong type through as a silent default; :class:`Manifest` is the one typed
view, :func:`parse_manifest` the one place that checks it, :func:`new_manifest` the one way to
make one and :func:`manifest_json` the one way to write it.

The manifest is parsed strictly: duplicate keys, wrong types (``true`` for an int, ``1e9`` for
an int) and out-of-range encoding values are refused, never coerced. Keys this runtime does not
know are kept (``raw``) and written back unchanged, so a rewrite never drops them.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable, Mapping

from tinyguard.bundle import steps as _steps
from tinyguard.errors import one_line
from tinyguard.taxonomy import CATEGORIES, CATEGORY_TABLE
from tinyguard.text.encoding import EncodingConfig
from tinyguard.text.normalize import SETTINGS as NORMALIZATION

SCHEMA_VERSION = 1  # signatures live beside the manifest, so they did not change its schema
MANIFEST = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
#: Inclusive bounds of the ``encoding`` values this runtime accepts (all required ints).
ENCODING_BOUNDS: dict[str, tuple[int, int]] = {
    "max_length": (16, 8192), "context_tokens": (0, 8192), "stride": (0, 8192), "max_chunks": (1, 4096),
}

#: Keys every manifest must have; the others (``data``, ``metrics``, ``training``, ...) are optional.
REQUIRED_KEYS: tuple[str, ...] = (
    "schema_version", "name", "version", "model_file", "tokenizer_file", "labels", "taxonomy",
    "threshold", "category_thresholds", "presets", "encoding", "normalization", "files",
)
#: Optional free-text keys (how the thresholds were chosen, the command that rebuilds the bundle).
_TEXT_KEYS: tuple[str, ...] = ("reproduce", "threshold_rule", "category_rule")
# A bundle is flat: plain file names only, so no name can reach outside the folder.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BundleError(Exception):
    """A bundle is missing, malformed, or does not match its manifest (one-line message)."""


@dataclass(frozen=True)
class Manifest:
    """The parsed, validated ``manifest.json`` of one bundle; ``raw`` keeps every key as read.

    Build one with :func:`parse_manifest` (or :func:`new_manifest`, :meth:`updated`), never
    field by field: ``raw`` is what gets written, the fields are its checked, typed view."""

    schema_version: int
    name: str
    version: str
    model_file: str
    tokenizer_file: str
    labels: dict[str, Any]
    taxonomy: list[dict[str, Any]]
    threshold: float  # the binary threshold of prompts (and of responses without ``response_threshold``)
    category_thresholds: dict[str, float]
    presets: dict[str, float]
    encoding: dict[str, int]
    normalization: dict[str, bool]
    files: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)  # training data sources and licences
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)  # the last ``guard-cli calibrate``
    created: str = ""
    reproduce: str = ""  # the commands that rebuild the bundle
    threshold_rule: str = ""
    category_rule: str = ""
    categories_not_firing: list[str] = field(default_factory=list)
    #: other model files (``{"ort": FILE, "gguf": {QTYPE: FILE}}``); checked where read
    #: (:func:`tinyguard.scoring.sessions.bundle_models`), None when absent
    artifacts: Any = None
    #: ``{defense: bool}``; checked where read (:meth:`tinyguard.scoring.defenses.DefenseSettings.from_value`)
    defenses: Any = None
    #: ISO 639-1 codes of the languages the model was trained on; text in another Latin-script
    #: language is unread (:mod:`tinyguard.scoring.languages`). Absent: English only.
    languages: tuple[str, ...] = ("en",)
    #: spec 1.2: the binary threshold of responses when they measure better with one of their own
    #: (``guard-cli ood threshold --apply``); None: responses use ``threshold``
    response_threshold: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    path: Path | None = None  # the bundle folder it was read from
    signed_by: str = ""  # id of the trusted key whose signature was checked ("" when none was)
    signer: str = ""  # where that key came from ("project key", a path)
    unverified: str = ""  # why the signature was not verified (loaded with allow_unsigned); "" when it was

    @property
    def model_id(self) -> str:
        return f"{self.name}@{self.version}"

    def threshold_for(self, role: str) -> float:
        """The binary threshold a text of ``role`` ("prompt" or "response") is judged at."""
        if role not in ("prompt", "response"):
            raise ValueError(f"role must be 'prompt' or 'response', not {role!r}")
        return self.response_threshold if role == "response" and self.response_threshold is not None \
            else self.threshold

    def category_threshold(self, name: str) -> float:
        """The category's own threshold, falling back to the binary one when not set."""
        return float(self.category_thresholds.get(name, self.threshold))

    def encoding_config(self) -> EncodingConfig:
        return EncodingConfig.from_dict(self.encoding)

    def file_path(self, name: str) -> Path:
        if self.path is None:
            raise BundleError("manifest was not read from a bundle folder")
        return self.path / name

    def to_dict(self) -> dict[str, Any]:
        """Every key, as written to ``manifest.json`` (a copy)."""
        return json.loads(json.dumps(self.raw))

    def updated(self, **changes: Any) -> "Manifest":
        """A checked copy with top-level keys replaced (``files`` cannot be: hashes are computed
        by :func:`tinyguard.bundle.folder.write_bundle`); what it writes is what :func:`manifest_json` gives."""
        return self.replaced(changes)

    def without(self, *keys: str) -> "Manifest":
        """A checked copy with optional top-level keys left out (a required one is refused)."""
        return self.replaced({}, drop=keys)

    def replaced(self, changes: Mapping[str, Any], drop: Iterable[str] = ()) -> "Manifest":
        """A checked copy with ``changes`` made and the optional keys ``drop`` left out, checked
        once as a whole (a key and the step that goes with it change together)."""
        drop = tuple(drop)
        if "files" in changes:
            raise BundleError("'files' holds computed hashes; write_bundle sets them")
        raw = {k: v for k, v in {**self.raw, **changes}.items() if k not in drop}
        return parse_manifest(raw, self.path, pinned="files" in self.raw and "files" not in drop)

    def with_response_threshold(self, value: float | None) -> tuple[dict[str, Any], tuple[str, ...]]:
        """(changes, keys to drop) for :meth:`replaced` that give responses a threshold of their own
        (None: none, responses use ``threshold``), with ``steps`` naming ``role_thresholds`` iff
        there is one (spec 1.2: a runtime that lacks the step then refuses the bundle)."""
        listed = self.raw.get("steps")
        if listed is None:
            listed = _steps.implied(self.defenses if isinstance(self.defenses, dict) else None, self.encoding)
        listed = [s for s in listed if s != _steps.ROLE_THRESHOLDS]
        if value is None:
            return ({"steps": listed} if "steps" in self.raw else {}), ("response_threshold",)
        return {"response_threshold": float(value), "steps": [*listed, _steps.ROLE_THRESHOLDS]}, ()


def new_manifest(*, name: str, version: str, model_file: str, encoding: Mapping[str, Any], threshold: float,
                 category_threshold: float | Mapping[str, float] = 0.5, presets: Mapping[str, float] | None = None,
                 tokenizer_file: str = "tokenizer.json", created: str | None = None, **optional: Any) -> Manifest:
    """A manifest for a new bundle: labels, taxonomy and normalization of this runtime, files
    left for :func:`tinyguard.bundle.folder.write_bundle` to pin. ``optional``: the optional keys
    (``metrics``, ``training``, ``data``, ``reproduce``, ...). Checked like one read from disk."""
    cat_t = (dict(category_threshold) if isinstance(category_threshold, Mapping)
             else {c: category_threshold for c in CATEGORIES})
    raw = {
        "schema_version": SCHEMA_VERSION, "name": name, "version": version,
        "model_file": model_file, "tokenizer_file": tokenizer_file,
        "labels": {"binary": "unsafe", "categories": list(CATEGORIES)},
        "taxonomy": [{"code": c, "name": n, "description": d} for c, n, d in CATEGORY_TABLE],
        "threshold": float(threshold), "category_thresholds": cat_t, "presets": dict(presets or {}),
        "encoding": dict(encoding), "normalization": dict(NORMALIZATION),
        "created": created if created is not None else _dt.date.today().isoformat(),
        **optional,
    }
    return parse_manifest(raw, pinned=False)


def as_manifest(manifest: "Manifest | Mapping[str, Any]", *, pinned: bool = False) -> Manifest:
    """A :class:`Manifest` from either a Manifest or a manifest dict (checked)."""
    return manifest if isinstance(manifest, Manifest) else parse_manifest(manifest, pinned=pinned)


def manifest_json(manifest: "Manifest | Mapping[str, Any]") -> str:
    """The text of ``manifest.json``: sorted keys, 2-space indent, UTF-8 as is, no NaN."""
    data = manifest.raw if isinstance(manifest, Manifest) else manifest
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def parse_manifest_bytes(data: bytes, root: Path) -> dict[str, Any]:
    """The JSON object in a manifest's bytes, parsed strictly (no duplicate keys, no NaN)."""
    try:
        raw = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BundleError(f"bundle {root}: {MANIFEST} is not valid JSON: {one_line(e)}") from None
    except ValueError as e:  # a duplicate key or NaN/Infinity
        raise BundleError(f"bundle {root}: {MANIFEST}: {one_line(e)}") from None
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


def parse_manifest(raw: Mapping[str, Any], root: Path | None = None, *, pinned: bool = True) -> Manifest:
    """Validate a manifest dict's keys and types (not file hashes) and build a Manifest.

    ``pinned=False`` checks a manifest about to be written, before :func:`tinyguard.bundle.folder.write_bundle`
    pins the hashes: ``files`` may be absent then, and need not list the model yet."""
    where = f"bundle {root}" if root is not None else "manifest"

    def bad(msg: str) -> BundleError:
        return BundleError(f"{where}: {msg}")

    if not isinstance(raw, Mapping):
        raise bad(f"{MANIFEST} must hold a JSON object")
    version = raw.get("schema_version")
    if "schema_version" in raw and (not isinstance(version, int) or isinstance(version, bool)
                                    or version != SCHEMA_VERSION):
        raise bad(f"unknown schema_version {version!r}; this runtime reads schema_version {SCHEMA_VERSION}")
    missing = [k for k in REQUIRED_KEYS if k not in raw and (pinned or k != "files")]
    if missing:
        raise bad(f"{MANIFEST} is missing required keys: {', '.join(missing)}")

    for key in ("name", "version", "model_file", "tokenizer_file"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise bad(f"'{key}' must be a non-empty string")
    files = raw.get("files", {})
    if not isinstance(files, dict):
        raise bad("'files' must map file names to sha256 hex digests")
    for name, digest in files.items():
        check_file_name(name, where)
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise bad(f"'files' entry for {name} is not a lowercase sha256 hex digest")
    for key in ("model_file", "tokenizer_file"):
        check_file_name(raw[key], where)
        if pinned and raw[key] not in files:
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
    response_threshold = (_unit_float(raw["response_threshold"], "response_threshold", bad)
                          if "response_threshold" in raw else None)
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
    for key in ("created", *_TEXT_KEYS):
        if key in raw and not isinstance(raw[key], str):
            raise bad(f"'{key}' must be a string")
    languages = raw.get("languages", ["en"])
    if not isinstance(languages, list) or not languages or \
            not all(isinstance(c, str) and re.fullmatch(r"[a-z]{2,3}", c) for c in languages):
        raise bad("'languages' must be a non-empty list of ISO 639 codes such as \"en\"")
    try:
        missing = _steps.check(raw.get("steps"), raw.get("defenses") if isinstance(raw.get("defenses"), dict) else None,
                               cfg.to_dict(), role_thresholds=response_threshold is not None)
    except ValueError as e:
        raise bad(str(e)) from None
    if missing:
        raise bad(f"its verdicts need steps this runtime does not implement: {missing} (docs/bundle-spec.md "
                  f"section 5); update tinyguard")
    off = raw.get("categories_not_firing", [])
    if not isinstance(off, list) or any(c not in CATEGORIES for c in off):
        raise bad("'categories_not_firing' must be a list of category names")

    return Manifest(
        schema_version=SCHEMA_VERSION, name=raw["name"], version=raw["version"],
        model_file=raw["model_file"], tokenizer_file=raw["tokenizer_file"],
        labels=dict(labels), taxonomy=list(raw["taxonomy"]), threshold=threshold,
        category_thresholds=cat_t, presets=presets, encoding=cfg.to_dict(),
        normalization=dict(raw["normalization"]), files=dict(files),
        data=dict(raw.get("data") or {}), metrics=dict(raw.get("metrics") or {}),
        training=dict(raw.get("training") or {}), calibration=dict(raw.get("calibration") or {}),
        created=str(raw.get("created", "")), **{k: raw.get(k, "") for k in _TEXT_KEYS},
        categories_not_firing=list(off), artifacts=raw.get("artifacts"), defenses=raw.get("defenses"),
        languages=tuple(languages), response_threshold=response_threshold, raw=dict(raw), path=root,
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
        raise bad(f"'encoding' is invalid: {one_line(e)}") from None


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


def read_manifest_bytes(root: Path) -> bytes:
    """The exact bytes of a bundle's ``manifest.json`` (what a signature covers); a symbolic
    link is refused (opened with ``O_NOFOLLOW`` where the platform has it)."""
    mpath = root / MANIFEST
    if mpath.is_symlink():
        raise BundleError(f"bundle {root}: {MANIFEST} is a symbolic link; a bundle holds its own files")
    if not mpath.is_file():
        raise BundleError(f"bundle {root}: {MANIFEST} is missing")
    try:
        fd = os.open(mpath, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            return f.read()
    except OSError as e:
        raise BundleError(f"bundle {root}: cannot read {MANIFEST}: {one_line(e)}") from None


def models_path() -> Path:
    """The package's ``models`` folder: every bundle in it is a bundled model (see :mod:`tinyguard.bundle.trust`)."""
    return Path(__file__).resolve().parent.parent / "models"
