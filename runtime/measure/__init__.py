"""Measuring a guard: the metrics, every threshold rule, robustness under attacks, speed and size against a device's budgets, calibration on a user's data.

Import from the modules of this room; this file only names it."""
