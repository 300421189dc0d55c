"""The options and the error line of the commands above the runtime, now in
:mod:`tinyguard.cli_options` with the runtime's (one vocabulary for every layer); this name stays
only until the room move (issue 22) rewrites the imports that use it."""
from __future__ import annotations

from tinyguard.cli_options import USER_ERRORS, config_option, data_dir_option, fail, run_dir_option

__all__ = ["USER_ERRORS", "config_option", "data_dir_option", "fail", "run_dir_option"]
