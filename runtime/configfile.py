"""TOML configuration files, read one way by every layer: device profiles (``guard-cli bench``),
pipeline, distillation and adversarial configs.

Why one reader: a misspelt key in a config must stop the run with its name, never be ignored
while a default silently takes its place, and a bad file must say which file and where.
"""
from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from tinyguard.errors import one_line

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib  # type: ignore[no-redef]
    except ModuleNotFoundError:
        tomllib = None  # type: ignore[assignment]


def load_toml(path: str | os.PathLike[str], what: str = "config") -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; FileNotFoundError or ValueError with one line."""
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise ValueError(f"reading a {what} needs Python 3.11+ or: pip install tomli")
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{what} {path} is not valid TOML: {one_line(e)}") from None


def refuse_unknown(raw: dict[str, Any], known: set[str] | frozenset[str], where: str) -> None:
    """ValueError naming every key of ``raw`` outside ``known``."""
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ValueError(f"unknown keys in {where}: {', '.join(map(str, unknown))}")


def read_toml(name_or_path: str, config_dir: Path, what: str, sections: set[str]) -> tuple[Path, dict[str, Any]]:
    """A config by built-in name (``config_dir/NAME.toml``) or path; unknown sections are refused."""
    path = Path(name_or_path)
    if not path.suffix:
        path = config_dir / f"{name_or_path}.toml"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in config_dir.glob("*.toml")))
        raise FileNotFoundError(f"no {what} {name_or_path!r}; built-in configs: {names}")
    raw = load_toml(path, what)
    unknown = sorted(set(raw) - sections)
    if unknown:
        raise ValueError(f"unknown sections in {path}: {', '.join(unknown)}")
    return path, raw


def checked_values(cls: type, raw: dict[str, Any], where: str) -> dict[str, Any]:
    """``raw`` as keyword values of the dataclass ``cls`` (lists become tuples); unknown keys are refused."""
    refuse_unknown(raw, {f.name for f in fields(cls)}, f"[{where}]")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
