"""Stages of a run directory: every stage writes its outputs plus a small ``manifest.json``
(inputs' hashes, config, library versions, counts), so a stage can be rerun alone, skipped
when nothing changed, and any result traced back to its inputs.

:class:`Stage` holds the one skip rule every resumable command uses (the pipeline's stages,
the curation rounds, the adversarial rounds, the students): written once, it cannot drift.
:func:`finished` and :func:`recorded` are the one way to read what a finished stage wrote:
a stage that has not finished is an error, never a default.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from tinyguard.atomic import atomic_write_text

MANIFEST = "manifest.json"
REUSED = "      unchanged, reusing"
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


def hash_lines(lines: Iterable[str]) -> str:
    """One sha256 over ``lines`` (each ended by a newline), for inputs held in memory."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
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
    """``data`` as sorted, indented JSON at ``path`` (folders made), never half-written."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def finished(folder: Path) -> dict[str, Any]:
    """The manifest of the stage finished in ``folder``: every read of a stage's manifest comes
    here, so none falls back to a default in silence. FileNotFoundError when the stage never
    finished (or was cut off: the manifest is written last), ValueError when it is damaged."""
    path = Path(folder) / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{folder}: the stage has not finished (no {MANIFEST}); run it first") from None
    except ValueError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    missing = {"stage", "inputs", "config", "counts"} - set(raw if isinstance(raw, dict) else ())
    if missing:
        raise ValueError(f"{path} is not a stage manifest (no {', '.join(sorted(missing))})")
    return raw


def recorded(folder: Path, *keys: str) -> Any:
    """What the stage finished in ``folder`` recorded under ``keys`` (e.g. ``"counts"``, or
    ``"config", "data", "licence_classes"``); a missing key is a ValueError naming it."""
    value: Any = finished(folder)
    for depth, key in enumerate(keys):
        if not isinstance(value, dict) or key not in value:
            raise ValueError(f"{Path(folder) / MANIFEST} records no {'.'.join(keys[: depth + 1])}")
        value = value[key]
    return value


@dataclass(frozen=True)
class Stage:
    """One folder of a run: done when its manifest names these inputs and this config, and
    every file in ``outputs`` exists.

    The manifest is removed when the stage starts and written last, so a stage cut off half
    way is never taken as done. ``outputs`` are paths relative to ``dir``; a file written
    beside the folder is named through ``..`` (the export stage's ``../bundle/manifest.json``).
    """

    name: str
    dir: Path
    inputs: dict[str, str]
    config: dict[str, Any]
    outputs: tuple[str | Path, ...] = ()

    @property
    def manifest_path(self) -> Path:
        return Path(self.dir) / MANIFEST

    def is_current(self) -> bool:
        """True when the stage finished before with the same inputs and config, outputs in place."""
        try:
            old = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return (isinstance(old, dict) and old.get("inputs") == self.inputs
                and old.get("config") == json.loads(json.dumps(self.config))
                and all((Path(self.dir) / p).exists() for p in self.outputs))

    def counts(self) -> dict[str, Any]:
        """The counts the finished stage recorded."""
        return recorded(self.dir, "counts")

    def begin(self) -> None:
        """Make the folder and drop the old manifest: the folder is stale until :meth:`finish`."""
        Path(self.dir).mkdir(parents=True, exist_ok=True)
        self.manifest_path.unlink(missing_ok=True)

    def finish(self, counts: dict[str, Any]) -> dict[str, Any]:
        """Record the finished stage (the manifest, written last); returns the manifest."""
        manifest = {"stage": self.name, "inputs": self.inputs, "config": self.config, "counts": counts,
                    "versions": versions(), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        write_json_atomic(self.manifest_path, manifest)
        return manifest

    def run(self, work: Callable[[], dict[str, Any]], *, force: bool = False,
            echo: Callable[[str], None] | None = None, reused: str = REUSED) -> dict[str, Any]:
        """``work()`` (which returns the counts) unless the stage is current; returns the counts.

        ``force`` reruns a current stage; ``reused`` is what ``echo`` prints when it is skipped.
        """
        if not force and self.is_current():
            if echo is not None:
                echo(reused)
            return self.counts()
        self.begin()
        counts = work()
        self.finish(counts)
        return counts
