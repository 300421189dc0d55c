"""The student export: a distilled student → a runtime bundle with every artifact gated.

    fp32 ONNX ──quantize──► int8 ONNX (model_file) ──convert──► .ort (ONNX Runtime Mobile)
    micro only: ──gguf──► model.q8_0.gguf, model.f16.gguf (llama.cpp, head in metadata)

Every artifact is scored on the validation split through the runtime :class:`tinyguard.Guard`
(the GGUF ones with :class:`tinyguard.scoring.gguf_backend.GgufBackend` in place of the onnxruntime
session) and compared with the int8 ONNX model at the tuned threshold; a gate that fails
raises :class:`~tinyguard.export.parity.ParityError`, and no bundle is written. A GGUF is
shipped only when it was scored: without llama-cpp-python the export stops with the install
line unless GGUF is switched off (``gguf_types = []``).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tinyguard.bundle.folder import read_bundle
from tinyguard.records import Record
from tinyguard.scoring.gguf_backend import GgufBackend
from tinyguard.scoring.guard import Guard
from tinyguard.text.encoding import TextEncoder
from .build import export_onnx_pair, finish_bundle, score_guard, score_staged, tune_threshold
from .config import ExportConfig
from .gguf_export import write_gguf
from .ort_format import convert_to_ort
from .parity import parity_gate

GGUF_INSTALL = ("pip install 'tinyguard[gguf]'  (from a checkout: pip install -e '.[gguf]'; "
                "compiles llama.cpp, ~5-7 min)")


def score_with_backend(bundle: Path, backend: Any, records: list[Record], threads: int = 2) -> np.ndarray:
    """[N, 1 + C] runtime scores of ``records`` with ``backend`` standing in for the onnxruntime session."""
    manifest = read_bundle(bundle)  # the student bundle this export just wrote (unsigned)
    encoder = TextEncoder.from_file(str(Path(bundle) / manifest.tokenizer_file), manifest.encoding_config())
    return score_guard(Guard(manifest, backend, encoder, threads), records)


def export_student(model: Any, info: dict[str, Any], tokenizer: Path, records: list[Record], out_dir: Path,
                   work_dir: Path, cfg: ExportConfig, gates: Any, *, training: dict[str, Any],
                   data: dict[str, Any], reproduce: str, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Export, gate and write the student bundle to ``out_dir``; returns the metrics.

    ``model`` and ``info`` are what distill/students.py ``load_student`` returns (the caller loads
    them, so this layer never imports distill) and ``tokenizer`` is the student's tokenizer.json."""
    work_dir = Path(work_dir)
    kind = info["kind"]
    encoding = info["encoding"]
    gguf_types = tuple(gates.gguf_types) if kind == "micro" else ()
    if gguf_types and importlib.util.find_spec("llama_cpp") is None:
        raise RuntimeError(f"GGUF export needs llama-cpp-python to score the GGUF before shipping it: "
                           f"{GGUF_INSTALL}; or set gguf_types = [] in the distill config's [gates]")

    fp32, int8 = export_onnx_pair(model, work_dir, optimize=(kind == "micro" and cfg.optimize_graph), echo=echo)
    ort = convert_to_ort(int8, work_dir / "model.int8.ort")
    echo(f"converted {ort} ({ort.stat().st_size / 1e6:.1f} MB)")
    validation = [r for r in records if r.split == "validation"]
    staged = score_staged(work_dir, {"fp32": fp32, "int8": int8, "ort": ort}, tokenizer, cfg, encoding, validation)
    threshold, rule = tune_threshold(validation, staged["int8"], cfg, echo)
    parity = {
        "fp32-int8": parity_gate("fp32-int8", staged["fp32"][:, 0], staged["int8"][:, 0], threshold,
                                 min_agreement=gates.fp32_int8_min_agreement,
                                 max_score_diff=gates.fp32_int8_max_score_diff,
                                 max_mean_diff=gates.fp32_int8_max_mean_diff, echo=echo).to_dict(),
        "int8-ort": parity_gate("int8-ort", staged["int8"][:, 0], staged["ort"][:, 0], threshold,
                                min_agreement=gates.ort_min_agreement, max_score_diff=gates.ort_max_score_diff,
                                max_mean_diff=gates.ort_max_mean_diff, echo=echo).to_dict(),
    }

    extra_files: dict[str, Path] = {ort.name: ort}
    ops = ort.with_suffix(".required_operators.config")
    if ops.is_file():
        extra_files[ops.name] = ops
    artifacts: dict[str, Any] = {"ort": ort.name}
    if gguf_types:
        bundle_int8 = work_dir / "bundle-int8"
        artifacts["gguf"] = {}
        for qtype in gguf_types:
            path = write_gguf(model, tokenizer, work_dir / f"model.{qtype}.gguf", qtype,
                              name=cfg.name, version=cfg.version)
            echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
            scores = score_with_backend(bundle_int8, GgufBackend(path, threads=2), validation)
            name = f"int8-gguf_{qtype}"
            parity[name] = parity_gate(name, staged["int8"][:, 0], scores[:, 0], threshold,
                                       min_agreement=gates.gguf_min_agreement,
                                       max_score_diff=gates.gguf_max_score_diff,
                                       max_mean_diff=gates.gguf_max_mean_diff, echo=echo).to_dict()
            if qtype in gates.bundle_gguf:
                extra_files[path.name] = path
                artifacts["gguf"][qtype] = path.name
    return finish_bundle(out_dir, work_dir, cfg, encoding=encoding, model_path=int8, tokenizer=tokenizer,
                         validation=validation, scores=staged["int8"], threshold=threshold, rule=rule,
                         parity=parity, training=training, data=data, reproduce=reproduce,
                         extra_files=extra_files, extra_manifest={"artifacts": artifacts}, echo=echo)

