"""Export: ONNX + int8 quantization, parity gates, bundle writing."""
