"""GGUF metadata keys: one spelling for the exporter and the runtime reader, and the strings of
files already shipped keep loading."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from optional_deps import require

from tinyguard.bundle import gguf_keys as keys
from tinyguard.scoring.gguf_backend import read_head, read_metadata
from tinyguard.taxonomy import N_OUTPUTS, OUTPUT_NAMES


def test_key_strings_are_the_file_format() -> None:
    # Files written before the keys had one module carry exactly these strings.
    assert keys.HEAD_KEYS == ("tinyguard.labels", "tinyguard.head.rows", "tinyguard.head.cols",
                              "tinyguard.head.weight", "tinyguard.head.bias")
    assert (keys.LABEL_CODES, keys.VERSION, keys.POOLING) == (
        "tinyguard.label_codes", "tinyguard.version", "tinyguard.pooling")


def _write(path: Path, drop: str = "") -> Path:
    """A metadata-only tinyguard GGUF written with gguf-py, as the exporter writes its head."""
    gguf = require("gguf")
    w = gguf.GGUFWriter(str(path), "bert")
    hidden = 4
    weight = np.arange(N_OUTPUTS * hidden, dtype=np.float32) / 100
    values = {keys.LABELS: list(OUTPUT_NAMES), keys.HEAD_ROWS: N_OUTPUTS, keys.HEAD_COLS: hidden,
              keys.HEAD_WEIGHT: [float(x) for x in weight], keys.HEAD_BIAS: [0.5] * N_OUTPUTS}
    for key, value in values.items():
        if key == drop:
            continue
        if isinstance(value, list):
            w.add_array(key, value)
        else:
            w.add_uint32(key, value)
    w.add_tensor("dummy", np.zeros(4, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_runtime_reads_the_head_gguf_py_wrote(tmp_path: Path) -> None:
    head = read_head(_write(tmp_path / "m.gguf"))
    assert head.labels == OUTPUT_NAMES
    assert head.weight.shape == (N_OUTPUTS, 4)
    assert head.weight[1, 0] == pytest.approx(0.04)
    assert read_metadata(tmp_path / "m.gguf")[keys.ARCHITECTURE] == "bert"


def test_a_missing_key_is_named_in_full(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="missing tinyguard.head.bias"):
        read_head(_write(tmp_path / "m.gguf", drop=keys.HEAD_BIAS))
