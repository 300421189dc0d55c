"""The few ONNX protobuf messages the fixture model needs, written by hand.

The runtime's tests must run where only ``pip install '.[dev]'`` was done (no ``onnx`` package),
yet they need a real ONNX file for onnxruntime to load. The protobuf wire format is small:
each field is a key ``(number << 3) | wire_type`` then a varint (type 0) or a length-prefixed
payload (type 2). Field numbers are those of ``onnx/onnx.proto`` (named below where used).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FLOAT, INT64 = 1, 7  # TensorProto.DataType
_DTYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64}
_ATTR_INT = 2  # AttributeProto.AttributeType.INT


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 as two's complement, as protobuf does
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def node(op: str, inputs: Sequence[str], outputs: Sequence[str], **ints: int) -> bytes:
    """NodeProto: input=1, output=2, name=3, op_type=4, attribute=5 (AttributeProto: name=1, i=3, type=20)."""
    attrs = b"".join(_bytes(5, _bytes(1, k) + _int(3, v) + _int(20, _ATTR_INT)) for k, v in ints.items())
    return (b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outputs)
            + _bytes(3, f"{op}_{outputs[0]}") + _bytes(4, op) + attrs)


def tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian)."""
    data_type = _DTYPES[array.dtype]
    return (b"".join(_int(1, d) for d in array.shape) + _int(2, data_type) + _bytes(8, name)
            + _bytes(9, np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()))


def value_info(name: str, elem_type: int, shape: Sequence[int | str]) -> bytes:
    """ValueInfoProto: name=1, type=2 -> TypeProto.tensor_type=1 -> elem_type=1, shape=2 -> dim=1
    (dim_value=1 or dim_param=2)."""
    dims = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, elem_type) + _bytes(2, dims)))


def model(nodes: Sequence[bytes], initializers: dict[str, np.ndarray], inputs: Sequence[bytes],
          outputs: Sequence[bytes], *, name: str, opset: int, ir_version: int, producer: str) -> bytes:
    """ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8 (version=2);
    GraphProto: node=1, name=2, initializer=5, input=11, output=12."""
    graph = (b"".join(_bytes(1, n) for n in nodes) + _bytes(2, name)
             + b"".join(_bytes(5, tensor(k, v)) for k, v in initializers.items())
             + b"".join(_bytes(11, i) for i in inputs) + b"".join(_bytes(12, o) for o in outputs))
    return _int(1, ir_version) + _bytes(2, producer) + _bytes(7, graph) + _bytes(8, _int(2, opset))
