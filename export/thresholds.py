"""The export's threshold rules, now written once in :mod:`tinyguard.thresholds` with every other
rule; this name stays only until the room move (issue 22) rewrites the imports that use it."""
from __future__ import annotations

from tinyguard.thresholds import CATEGORY_RULE, RULE, choose_threshold, fit_category_thresholds

__all__ = ["CATEGORY_RULE", "RULE", "choose_threshold", "fit_category_thresholds"]
