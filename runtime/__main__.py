"""``python -m tinyguard`` is ``guard-cli``."""
from tinyguard.cli import main

main(prog_name="guard-cli")
