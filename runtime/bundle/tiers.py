"""The model tiers shipped in the package: ``micro`` (phone) and ``standard`` (laptop).

Why tiers: the one-layer student runs in ~1 ms per 32-token window but loses much of what its
six-layer teacher knows; the teacher fits a laptop's budget. Each tier is a bundle folder under
``tinyguard/models/<tier>`` with its budgets in ``devices/tier-<tier>.toml`` (in the source tree).
A tier name wherever a bundle folder is accepted means that tier (write ``./micro`` for a folder
that happens to be called ``micro``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class Tier:
    name: str
    device_profile: str  # the budgets, a path in the source tree
    summary: str


TIERS: dict[str, Tier] = {
    "micro": Tier("micro", "devices/tier-micro.toml",
                  "phone tier: one-layer distilled MiniLM student, int8, <= 8 MB"),
    "standard": Tier("standard", "devices/tier-standard.toml",
                     "laptop tier: six-layer MiniLM teacher, int8, <= 25 MB, p50 <= 5x micro's"),
}

#: the tier ``Guard.load()`` opens without a path (see docs/model.md: why this one)
DEFAULT_TIER = "micro"


def tier_path(name: str) -> Path:
    """The bundle folder of tier ``name``; ValueError naming the tiers for an unknown one."""
    if name not in TIERS:
        raise ValueError(f"unknown model tier {name!r}; tiers: {', '.join(TIERS)}")
    return MODELS_DIR / name


def installed_tiers() -> list[str]:
    """The tiers whose bundle folder this install has (a build may ship fewer than :data:`TIERS`)."""
    return [name for name in TIERS if (MODELS_DIR / name / "manifest.json").is_file()]


def resolve_model(path: str | os.PathLike[str] | None) -> Path:
    """A bundle folder from what a user passed: None = the default tier, a tier name = that tier,
    anything else = a folder path as given."""
    if path is None:
        return tier_path(DEFAULT_TIER)
    if isinstance(path, str) and path in TIERS:
        return tier_path(path)
    return Path(path)
