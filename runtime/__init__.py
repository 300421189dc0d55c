"""tinyguard: an offline safety guard for LLM prompts and responses.

    >>> from tinyguard import Guard
    >>> guard = Guard.load()          # the bundled default model
    >>> guard.check("How do I kill a Python process?").flagged
    False

Importing this package loads no model, imports no torch and opens no socket.
"""
from __future__ import annotations

__version__ = "0.1.0"
