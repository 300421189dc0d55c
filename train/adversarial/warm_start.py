"""Warm start: guard r's teacher begins from guard r-1's trained encoder, not the pretrained MiniLM.

Why: on 2 CPU cores a from-scratch teacher at the pipeline's budget (~1,250 steps) takes about
15 minutes per round; a short budget from scratch gives a weaker guard than guard 0, so the
rounds would measure the budget, not the adversarial data. Continuing the previous teacher
keeps what it learned and spends the short budget on seed replay plus the new records.

``train_teacher`` builds its model from the folder that ``encoder_dir()`` names, and
``TINYGUARD_ENCODER_DIR`` is that function's documented override. So a warm start writes the
previous teacher's encoder as such a folder (a Hugging Face BertModel: ``config.json``,
``model.safetensors``, ``tokenizer.json``) and points the override at it for the one call; the
classification head is not part of an encoder folder and starts fresh (it relearns in a few dozen
steps at the head's learning rate). The override is restored afterwards, so the frozen MiniLM
that embeds texts for the rewards and the harvest is never the warm-started encoder.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ENV = "TINYGUARD_ENCODER_DIR"
PREFIX = "encoder."  # GuardModel keeps the BertModel under .encoder (train/teacher.py)


def encoder_folder(teacher_dir: Path, out_dir: Path) -> Path:
    """Write the encoder of the teacher in ``teacher_dir`` as a BertModel folder; return it."""
    from safetensors.torch import load_file, save_file

    teacher_dir, out_dir = Path(teacher_dir), Path(out_dir)
    for name in ("model.safetensors", "encoder_config.json", "tokenizer.json"):
        if not (teacher_dir / name).is_file():
            raise FileNotFoundError(f"{teacher_dir} holds no {name}: a warm start needs a trained teacher folder")
    state = load_file(str(teacher_dir / "model.safetensors"))
    encoder = {k[len(PREFIX):]: v.contiguous() for k, v in state.items() if k.startswith(PREFIX)}
    if not encoder:
        raise ValueError(f"{teacher_dir / 'model.safetensors'} holds no {PREFIX}* weights: not a teacher")
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(encoder, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(teacher_dir / "encoder_config.json", out_dir / "config.json")
    shutil.copyfile(teacher_dir / "tokenizer.json", out_dir / "tokenizer.json")
    return out_dir


@contextmanager
def encoder_override(folder: Path) -> Iterator[Path]:
    """``TINYGUARD_ENCODER_DIR`` = ``folder`` inside the block, restored (or unset) after it."""
    before = os.environ.get(ENV)
    os.environ[ENV] = str(folder)
    try:
        yield Path(folder)
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
