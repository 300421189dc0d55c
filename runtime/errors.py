"""How a failure is said: as one line. Every error tinyguard shows (an ``error:`` line of a
command, a bundle refused, a bad input line) and every text it logs or puts in a table cell
goes through :func:`one_line`, so no message breaks a line-based log or a JSON Lines record."""
from __future__ import annotations


def one_line(text: object, limit: int | None = None) -> str:
    """``text`` (an exception, or anything) with its whitespace runs folded to one space; cut to
    ``limit`` characters with an ellipsis when longer."""
    s = " ".join(str(text).split())
    return s if limit is None or len(s) <= limit else s[: limit - 1] + "…"
