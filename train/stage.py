"""Stage manifests: every pipeline stage writes its outputs plus a small ``manifest.json``
(inputs' hashes, config, library versions, counts), so a stage can be rerun alone,
skipped when nothing changed, and any result traced back to its inputs.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

MANIFEST = "manifest.json"
_VERSIONED = ("tinyguard", "torch", "transformers", "onnx", "onnxruntime", "tokenizers", "datasketch", "numpy")


def hash_files(paths: Iterable[Path]) -> str:
    """One sha256 over the names and bytes of ``paths`` (sorted), for change detection."""
    h = hashlib.sha256()
    for p in sorted(Path(p) for p in paths):
        h.update(p.name.encode())
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def hash_tree(root: Path) -> str:
    return hash_files(p for p in Path(root).rglob("*") if p.is_file())


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_stage_manifest(stage_dir: Path, *, stage: str, inputs: dict[str, str],
                         config: dict[str, Any], counts: dict[str, Any]) -> dict[str, Any]:
    """Record a finished stage. Written last, so its presence means the stage completed."""
    manifest = {"stage": stage, "inputs": inputs, "config": config, "counts": counts,
                "versions": versions(), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    write_json_atomic(Path(stage_dir) / MANIFEST, manifest)
    return manifest


def stage_is_current(stage_dir: Path, *, inputs: dict[str, str], config: dict[str, Any]) -> bool:
    """True when the stage finished before with the same inputs and config."""
    path = Path(stage_dir) / MANIFEST
    if not path.is_file():
        return False
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return old.get("inputs") == inputs and old.get("config") == json.loads(json.dumps(config))
