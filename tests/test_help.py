"""``--help`` of every guard-cli command and subcommand, the training commands attached through
the ``tinyguard.commands`` entry points included: it exits 0, and a command's help teaches with
examples (a group's lists its commands, each of which is walked too)."""
from __future__ import annotations

from importlib.metadata import entry_points

import click
from click.testing import CliRunner
from optional_deps import requires

from tinyguard.cli.main import main

RUNTIME = {"check", "eval", "info", "robustness", "bench", "calibrate", "sign", "verify", "keygen"}


def command_paths() -> list[tuple[list[str], click.Command]]:
    """Every (path, command) under guard-cli, found as --help lists them (list_commands loads
    the entry-point commands)."""
    out: list[tuple[list[str], click.Command]] = []

    def walk(cmd: click.Command, path: list[str], parent: click.Context | None) -> None:
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd, info_name=path[-1] if path else "guard-cli", parent=parent)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None, (path, name)
                walk(sub, [*path, name], ctx)

    walk(main, [], None)
    return out


@requires("torch")  # the training layer's commands come with its extra
def test_every_entry_point_attaches_its_commands() -> None:
    eps = list(entry_points(group="tinyguard.commands"))
    assert eps, "no tinyguard.commands entry points: is tinyguard installed (pip install -e .)?"
    for ep in eps:
        ep.load()
    top = {path[0] for path, _ in command_paths() if len(path) == 1}
    assert RUNTIME < top, sorted(top - RUNTIME)  # training commands were attached besides the runtime's


def test_help_of_every_command() -> None:
    runner = CliRunner()
    paths = command_paths()
    assert len(paths) > len(RUNTIME)
    for path, cmd in paths:
        r = runner.invoke(main, [*path, "--help"], prog_name="guard-cli")
        where = " ".join(["guard-cli", *path])
        assert r.exit_code == 0, (where, r.output)
        assert r.stdout.startswith(f"Usage: {where} "), (where, r.stdout[:200])
        if isinstance(cmd, click.Group):
            assert "Commands:" in r.stdout, where
        else:
            assert "Example" in r.stdout, f"{where} --help shows no example"
        assert "Traceback" not in r.output, where
