"""``guard-cli``: the command group and error policy (``main``), every runtime command, and the option vocabulary every layer's commands share (``options``).

Import from the modules of this room; this file only names it."""
