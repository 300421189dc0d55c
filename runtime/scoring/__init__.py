"""Scoring a text: the :class:`Guard`, what it scores (normalized text, de-obfuscated views, segments, windows), the sessions that run the model (onnxruntime, llama.cpp), streams.

Import from the modules of this room; this file only names it."""
