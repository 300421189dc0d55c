"""Golden vectors for a bundle whose responses have a threshold of their own (spec 1.2, step ``role_thresholds``).

Why: the vectors a bundle carries judge its responses at its own thresholds, so until a shipped bundle
has a ``response_threshold`` no shipped vector judges a response at one, and a port could apply the
prompt threshold to responses unnoticed. This file holds the conformance cases of every response
(in context, streamed, and with a threshold given, which overrides the role's) plus a few prompts,
computed on the default bundle (micro) with ``response_threshold`` :data:`RESPONSE_THRESHOLD` and the
step listed -- the manifest edit :func:`role_manifest` makes, which ``js/test/roles.test.mjs`` repeats
on its copy before it runs the cases. ``tests/test_conformance.py`` checks the file is current.

    .venv/bin/python tools/role_threshold_vectors.py      # writes js/test/fixtures/role-thresholds.jsonl.gz
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "js" / "test" / "fixtures" / "role-thresholds.jsonl.gz"
#: micro's responses score 0.55-0.84 in 5 of the 40 response cases: flagged here, not at its 0.87
RESPONSE_THRESHOLD = 0.5
PROMPTS = 8  # the first plain cases (prompts), judged at the prompt threshold beside them


def role_manifest(raw: dict[str, Any]) -> dict[str, Any]:
    """The manifest edit: ``response_threshold`` and ``role_thresholds`` appended to ``steps``."""
    return {**raw, "response_threshold": RESPONSE_THRESHOLD, "steps": [*raw["steps"], "role_thresholds"]}


def role_bundle(folder: Path) -> Path:
    """A copy of the default bundle at ``folder`` with :func:`role_manifest` applied (unsigned)."""
    from tinyguard.bundle.folder import default_bundle_path, rewrite_manifest
    from tinyguard.bundle.manifest import MANIFEST, parse_manifest_bytes

    shutil.copytree(default_bundle_path(), folder)
    raw = parse_manifest_bytes((folder / MANIFEST).read_bytes(), folder)
    new = role_manifest(raw)
    rewrite_manifest(folder, {k: new[k] for k in ("response_threshold", "steps")})
    return folder


def cases() -> list[Any]:
    """Every response case of the conformance cases, and the first :data:`PROMPTS` plain prompts."""
    from tinyguard.measure import conformance as conf

    seeds, _ = conf.read_seeds()
    every = conf.build_cases(seeds)
    prompts = [c for c in every if c.kind == "plain" and c.role == "prompt"][:PROMPTS]
    return prompts + [c for c in every if c.role == "response"]


def main(argv: list[str]) -> int:
    import tempfile

    from tinyguard.measure import conformance as conf
    from tinyguard.scoring.guard import Guard

    out = Path(argv[0]) if argv else OUTPUT
    with tempfile.TemporaryDirectory() as tmp:
        guard = Guard.load(role_bundle(Path(tmp) / "b"), allow_unsigned=True, threads=1)
        _, sources = conf.read_seeds()
        chosen = cases()
        size = conf.write(out, conf.records(guard, chosen, sources, progress=False))
    print(f"wrote {out}: {len(chosen)} cases ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
