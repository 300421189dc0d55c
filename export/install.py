"""Install a finished bundle somewhere else (the bundled default model): ``guard-cli pipeline
--install-default`` and ``guard-cli distill install``."""
from __future__ import annotations

import tempfile
from pathlib import Path

from tinyguard.bundle.folder import read_bundle, write_bundle

from .model_card import render_model_card


def install_bundle(src: Path, dst: Path, *, artifacts: bool = True, reproduce: str = "") -> Path:
    """Copy a verified bundle over ``dst`` atomically (hashes rechecked by write_bundle).

    ``artifacts=False`` leaves out the extra formats (``.ort``, GGUF) and rewrites the model
    card to match: the default bundle ships inside the wheel, so it carries the one model the
    runtime opens by default; the full bundle stays in the run folder.
    """
    manifest = read_bundle(src)  # a run's bundle; the installed copy is signed with guard-cli sign
    if not artifacts and manifest.artifacts:
        slim = manifest.without("artifacts")
        keep = {manifest.model_file, manifest.tokenizer_file}
        with tempfile.TemporaryDirectory(prefix="card-") as tmp:
            card = Path(tmp) / "MODEL_CARD.md"
            card.write_text(render_model_card(slim, reproduce=reproduce), encoding="utf-8")
            files = {n: Path(src) / n for n in manifest.files if n in keep} | {"MODEL_CARD.md": card}
            return write_bundle(dst, files, slim)
    return write_bundle(dst, {n: Path(src) / n for n in manifest.files}, manifest)
