"""Teacher (torch) → ``model.fp32.onnx`` → graph-optimized → ``model.int8.onnx``.

Dynamic int8 quantization (onnxruntime) keeps activations in float and stores weights
as int8, which is what makes MiniLM ~4x smaller and ~2x faster on VNNI CPUs.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from tinyguard.scoring.ortenv import import_onnxruntime

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "logits"


def export_fp32(model, path: Path, opset: int = 17) -> Path:
    """Trace the guard model to ONNX with dynamic batch and sequence axes."""
    import torch

    model = model.eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    dyn = {k: {0: "batch", 1: "sequence"} for k in INPUT_NAMES} | {OUTPUT_NAME: {0: "batch"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(path),
                          input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
                          dynamic_axes=dyn, opset_version=opset, dynamo=False)
    return path


def optimize_graph(src: Path, dst: Path, num_heads: int, hidden_size: int) -> Path:
    """Fuse attention/LayerNorm/GELU with onnxruntime's transformer optimizer (offline, CPU)."""
    import_onnxruntime()  # telemetry off before onnxruntime loads
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(str(src), model_type="bert", num_heads=num_heads, hidden_size=hidden_size,
                         opt_level=1, use_gpu=False)
    opt.save_model_to_file(str(dst))
    return dst


def quantize_int8(src: Path, dst: Path) -> Path:
    """Dynamic int8 weight quantization (MatMul/Gemm/Attention), per-channel, signed weights.

    Per-channel scales matter here: on the default teacher, per-tensor weights moved the
    unsafe score by 0.021 on average (max 0.50, 98.6% label agreement); per-channel, by
    0.006 (max 0.17, 99.6% agreement) on a 1,200-text validation sample.
    """
    import onnx

    import_onnxruntime()  # telemetry off before onnxruntime loads
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Fused (contrib-op) graphs defeat shape inference; their tensors are all float.
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return dst
