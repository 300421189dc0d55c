"""Scoring sessions: which model file of a bundle a backend scores, and opening a session on it.

Why apart from :mod:`tinyguard.scoring.guard`: choosing and opening a model is the same for every Guard and
every command (``guard-cli info`` lists a bundle's models without scoring anything). A session is
an onnxruntime ``InferenceSession`` over the bundle's ONNX model, or a
:class:`tinyguard.scoring.gguf_backend.GgufBackend` (llama.cpp) over its GGUF model; both answer
``get_inputs()`` and ``run(["logits"], feed)``. Heavy imports happen inside the openers only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tinyguard.bundle.folder import Manifest
from tinyguard.bundle.manifest import BundleError
from tinyguard.errors import one_line
from tinyguard.scoring.gguf_backend import GgufBackend
from tinyguard.scoring.ortenv import import_onnxruntime
from tinyguard.scoring.runner import INPUTS
from tinyguard.taxonomy import N_OUTPUTS

BACKENDS = ("auto", "onnx", "gguf")  # "auto": the ONNX model when the bundle has one, else its GGUF
GGUF_PREFERENCE = ("q8_0", "f16")  # which GGUF a bundle with several is scored with


def open_session(model_path: Path, threads: int) -> Any:
    ort = import_onnxruntime()  # lazy: keeps `import tinyguard` cheap; telemetry off first

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # errors only
    try:
        session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise BundleError(f"cannot load model {model_path}: {one_line(e)}") from None
    names = [i.name for i in session.get_inputs()]
    unknown = [n for n in names if n not in INPUTS]
    if unknown or "input_ids" not in names:
        raise BundleError(f"model {model_path} has inputs {names}; expected input_ids, attention_mask"
                          f" and optionally token_type_ids")
    outputs = {o.name: o.shape for o in session.get_outputs()}
    if "logits" not in outputs:
        raise BundleError(f"model {model_path} has no 'logits' output (outputs: {sorted(outputs)})")
    last = outputs["logits"][-1] if outputs["logits"] else None
    if isinstance(last, int) and last != N_OUTPUTS:
        raise BundleError(f"model {model_path} returns {last} logit columns; expected {N_OUTPUTS}")
    return session


def open_gguf(model_path: Path, threads: int) -> Any:
    """A :class:`~tinyguard.scoring.gguf_backend.GgufBackend` over ``model_path``; llama_cpp is imported only here."""
    try:
        return GgufBackend(model_path, threads=threads)
    except ImportError as e:  # its message carries the install line
        raise ImportError(f"backend 'gguf' ({model_path.name}): {e}") from None
    except (ValueError, OSError, RuntimeError) as e:  # not a tinyguard GGUF, or llama.cpp refused it
        raise BundleError(f"cannot load GGUF model {model_path}: {one_line(e)}") from None


OPENERS = {"onnx": open_session, "gguf": open_gguf}  # backend -> (model path, threads) -> session


def is_gguf_session(session: Any) -> bool:
    return isinstance(session, GgufBackend)


# ---------------------------------------------------------------- which model file a backend scores

def _variant(name: str) -> str:
    """``model.q8_0.gguf`` -> ``q8_0``, ``model.int8.onnx`` -> ``int8``; ``model.onnx`` -> ``model``."""
    parts = name.split(".")
    return parts[-2] if len(parts) >= 3 else parts[0]


def bundle_models(manifest: Manifest) -> dict[str, dict[str, str]]:
    """The model files a bundle holds, by format: ``{"onnx": {"int8": "model.int8.onnx"},
    "ort": {...}, "gguf": {"q8_0": "model.q8_0.gguf"}}`` (formats it lacks are left out).

    The primary model is ``model_file`` (GGUF when it ends in ``.gguf``, else ONNX); more come
    from the manifest's ``artifacts`` (``{"ort": FILE, "gguf": {QTYPE: FILE}}``, as written by
    ``guard-cli distill``). Every file must be hash-pinned in ``files``, else BundleError.
    """
    root = manifest.path
    where = f"bundle {root}" if root is not None else "manifest"
    out: dict[str, dict[str, str]] = {}
    primary = manifest.model_file
    out.setdefault("gguf" if primary.endswith(".gguf") else "onnx", {})[_variant(primary)] = primary
    artifacts = manifest.artifacts or {}
    if not isinstance(artifacts, dict):
        raise BundleError(f"{where}: 'artifacts' must be an object")
    for fmt, entry in artifacts.items():
        named = {_variant(entry): entry} if isinstance(entry, str) else entry
        if not isinstance(named, dict) or not all(isinstance(f, str) for f in named.values()):
            raise BundleError(f"{where}: 'artifacts.{fmt}' must be a file name or an object of file names")
        for variant, fname in named.items():
            if fname not in manifest.files:
                raise BundleError(f"{where}: artifacts.{fmt} names {fname}, which is not listed in "
                                  f"'files' (its hash must be pinned)")
            out.setdefault(str(fmt), {}).setdefault(str(variant), fname)
    return out


def describe_models(models: dict[str, dict[str, str]]) -> str:
    """``onnx model.int8.onnx, ort model.int8.ort, gguf q8_0 model.q8_0.gguf`` (for messages and info)."""
    parts = []
    for fmt, named in models.items():
        for variant, fname in named.items():
            parts.append(f"{fmt} {variant} {fname}" if fmt == "gguf" else f"{fmt} {fname}")
    return ", ".join(parts) or "no model files"


def select_model(manifest: Manifest, backend: str = "auto") -> tuple[str, str]:
    """(``"onnx"`` or ``"gguf"``, the bundle file that backend scores) for ``backend``
    ("auto", "onnx" or "gguf"); BundleError when the bundle has no model for it."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, not {backend!r}")
    models = bundle_models(manifest)
    if backend == "auto":
        backend = "onnx" if "onnx" in models else "gguf"
    if backend == "onnx":
        if "onnx" not in models:
            raise BundleError(f"bundle {manifest.path} has no ONNX model for backend 'onnx' "
                              f"(it has: {describe_models(models)}); use backend 'gguf'")
        return "onnx", next(iter(models["onnx"].values()))  # the primary model comes first
    gguf = models.get("gguf")
    if not gguf:
        raise BundleError(f"bundle {manifest.path} has no GGUF model for backend 'gguf' "
                          f"(it has: {describe_models(models)}); use backend 'onnx'")
    for qtype in GGUF_PREFERENCE:
        if qtype in gguf:
            return "gguf", gguf[qtype]
    return "gguf", gguf[sorted(gguf)[0]]
