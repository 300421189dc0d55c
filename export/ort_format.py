"""int8 ONNX → ``.ort`` for ONNX Runtime Mobile (onnxruntime.tools.convert_onnx_models_to_ort).

The ORT format is a flatbuffer that the minimal (mobile) build of onnxruntime loads without
protobuf; a full onnxruntime loads it too, which is how the parity gate scores it. The
conversion also writes ``required_operators.config``, the op list a custom minimal build
needs. "Fixed" optimization style bakes the graph optimizations in at conversion time.
"""
from __future__ import annotations

import contextlib
import io
import logging
import shutil
import tempfile
from pathlib import Path

from tinyguard.scoring.ortenv import import_onnxruntime


def convert_to_ort(src: Path, dst: Path) -> Path:
    """Write ``dst`` (``*.ort``) from the ONNX model ``src``; the operator config lands beside it."""
    import_onnxruntime()  # telemetry off before onnxruntime loads
    from onnxruntime.tools.convert_onnx_models_to_ort import OptimizationStyle, convert_onnx_models_to_ort

    src, dst = Path(src), Path(dst)
    if dst.suffix != ".ort":
        raise ValueError(f"ORT format files end in .ort, not {dst.name}")
    with tempfile.TemporaryDirectory(prefix="ort-", dir=dst.parent) as tmp:
        work = Path(tmp)
        shutil.copyfile(src, work / src.name)
        chatty = logging.getLogger("ort_format_model")  # logs an INFO line per model
        level = chatty.level
        chatty.setLevel(logging.WARNING)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                convert_onnx_models_to_ort(work / src.name, output_dir=work / "out",
                                           optimization_styles=[OptimizationStyle.Fixed])
        except Exception as e:
            raise RuntimeError(f"ORT format conversion of {src} failed: {e}; {err.getvalue()[-500:]}") from e
        finally:
            chatty.setLevel(level)
        made = sorted((work / "out").glob("*.ort"))
        if len(made) != 1:
            raise RuntimeError(f"ORT format conversion of {src} wrote {len(made)} .ort files, expected 1")
        shutil.move(str(made[0]), dst)
        ops = sorted((work / "out").glob("*.config"))
        if ops:
            shutil.move(str(ops[0]), dst.with_suffix(".required_operators.config"))
    return dst
