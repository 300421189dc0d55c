"""``python -m tinyguard`` is ``guard-cli``."""
from tinyguard.cli.main import main

main(prog_name="guard-cli")
