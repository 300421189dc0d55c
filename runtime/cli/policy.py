"""``guard-cli check`` options for text the guard cannot fully check (see :mod:`tinyguard.verdict`).

Kept apart from :mod:`tinyguard.cli.main` so the policy's flags, defaults and wording live next to
each other: ``--max-chars``, ``--min-coverage`` and ``--on-unchecked``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import click

if TYPE_CHECKING:
    from tinyguard.verdict import Verdict

DEFAULT_MAX_CHARS = 100_000  # keep in step with tinyguard.scoring.guard.DEFAULT_MAX_CHARS (a test checks)
DEFAULT_MIN_COVERAGE = 0.5


def policy_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The three options, in help order."""
    f = click.option(
        "--on-unchecked", type=click.Choice(["flag", "report", "pass"]), default="flag", show_default=True,
        help="What a text that was not fully checked means (longer than --max-chars, or mostly in a script "
             "or vocabulary the model cannot read): flag: flagged (exit 1); report: flagged by its score "
             "only, exit code 3; pass: nothing (the output's \"unchecked\" still says why).")(f)
    f = click.option(
        "--min-coverage", type=click.FloatRange(0.0, 1.0), default=DEFAULT_MIN_COVERAGE, show_default=True,
        metavar="F", help="A text is unsupported when less than F of its letters are readable by the model "
                          "(Latin script, inside its vocabulary).")(f)
    f = click.option(
        "--max-chars", type=click.IntRange(min=1), default=DEFAULT_MAX_CHARS, show_default=True, metavar="N",
        help="Characters (after normalization) read per text; every window of them is scored. A longer "
             "text is truncated: not fully checked.")(f)
    return f


def unchecked_note(v: "Verdict") -> str:
    """``  [not fully checked: truncated, unsupported (coverage 0.12)]`` or ``""``."""
    if not v.unchecked:
        return ""
    reasons = [f"unsupported (coverage {v.coverage:.2f})" if r == "unsupported" else r for r in v.unchecked]
    return f"  [not fully checked: {', '.join(reasons)}]"
