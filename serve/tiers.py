"""The models a server serves (its tiers) and which one a request's ``model`` names.

A request never names a file: ``model`` is looked up among the served names (and each served
bundle's ``name`` and ``name@version``); OpenAI's own model names (``omni-moderation-latest``)
and any name not served get the default tier, the first one. Which bundles are served is the
command line's business only (``--bundle``, ``--model NAME`` for a tier shipped under
``tinyguard/models/NAME``, ``--model NAME=DIR``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from tinyguard.bundle.folder import default_bundle_path
from tinyguard.cli.signing import trusted
from tinyguard.scoring.guard import Guard
from tinyguard.signing import SignatureError, read_signature

if TYPE_CHECKING:
    from tinyguard.serve.settings import ServeSettings

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def shipped_tiers() -> dict[str, Path]:
    """The bundles installed with tinyguard, by folder name (the tiers: ``micro``, ``standard``)."""
    root = default_bundle_path().parent
    return {p.name: p for p in sorted(root.iterdir()) if (p / "manifest.json").is_file()} if root.is_dir() else {}


def parse_model_spec(spec: str) -> tuple[str, str | None]:
    """``NAME`` (a shipped tier) or ``NAME=DIR`` (a bundle folder served as NAME) -> (name, folder).
    The installed default is (``default``, None)."""
    name, sep, folder = spec.partition("=")
    if not NAME.match(name):
        raise ValueError(f"--model {spec!r}: a model name is letters, digits, '.', '_' or '-' (at most 64)")
    if sep:
        if not folder:
            raise ValueError(f"--model {spec!r}: give a bundle folder after '='")
        return name, folder
    if name == "default":  # the default tier, whichever folder holds it
        return name, None
    tiers = shipped_tiers()
    if name not in tiers:
        raise ValueError(f"--model {name}: no such tier shipped with tinyguard (shipped: "
                         f"{', '.join(tiers) or 'none'}); serve a bundle folder with --model {name}=DIR")
    return name, None if name == "default" else str(tiers[name])


@dataclass(frozen=True)
class Tier:
    """One served model: its request name and its loaded guard."""

    name: str
    guard: "Guard"

    def describe(self, default: bool) -> dict[str, Any]:
        """A ``/v1/models`` entry: OpenAI's fields, tinyguard's under one extra key."""
        m = self.guard.manifest
        return {"id": self.name, "object": "model", "created": 0, "owned_by": "tinyguard",
                "tinyguard": {"model": m.model_id, "name": m.name, "version": m.version, "default": default,
                              "backend": self.guard.backend, "model_file": self.guard.model_file,
                              "threshold": m.threshold, "response_threshold": m.threshold_for("response"),
                              "signature": signature(self.guard)}}


class Tiers:
    """The served tiers, the first being the default."""

    def __init__(self, tiers: Sequence[Tier]):
        if not tiers:
            raise ValueError("no model to serve")
        self.all = tuple(tiers)
        self.default = self.all[0]
        self._names: dict[str, Tier] = {}
        for t in reversed(self.all):  # served names win over bundle names; the first tier wins ties
            m = t.guard.manifest
            self._names[m.name] = t
            self._names[m.model_id] = t
        for t in reversed(self.all):
            self._names[t.name] = t

    def resolve(self, requested: Any) -> Tier:
        """The tier a request's ``model`` names; OpenAI's names, unknown names and None: the default."""
        return self._names.get(requested, self.default) if isinstance(requested, str) else self.default

    def describe(self) -> list[dict[str, Any]]:
        return [t.describe(t is self.default) for t in self.all]


def load_tiers(settings: "ServeSettings") -> Tiers:
    """Load and verify every bundle the settings name (hashes and signature, unless --allow-unsigned)."""
    keys = trusted(settings.trusted_keys)
    return Tiers([Tier(name, Guard.load(path, threads=settings.threads, defenses=settings.defenses,
                                        backend=settings.backend, trusted_keys=keys,
                                        allow_unsigned=settings.allow_unsigned, max_chars=settings.max_chars,
                                        min_coverage=settings.min_coverage, on_unchecked=settings.on_unchecked))
                  for name, path in settings.models])


def signature(guard: "Guard") -> dict[str, Any]:
    """Who signed the bundle, and whether that was checked against a trusted key at load."""
    m = guard.manifest
    if m.signed_by:
        return {"key_id": m.signed_by, "verified": True}
    try:
        record = read_signature(m.path) if m.path is not None else None
    except SignatureError:
        return {"key_id": None, "verified": False, "error": "unreadable manifest.sig"}
    return {"key_id": record["key_id"] if record else None, "verified": False}
