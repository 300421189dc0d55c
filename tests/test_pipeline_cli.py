"""The pipeline layer's commands and stages, each on its own: flat click commands driven by
``CliRunner`` (no ``guard-cli`` group around them), and the stage definitions the run order uses.
The full run, end to end, is test_pipeline_tiny.py (slow)."""
from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tinyguard.distill import cli as distill_cli
from tinyguard.pipeline import cli as pipeline_cli
from tinyguard.pipeline.run import export_stage, makes_synthetic, teacher_stage
from tinyguard.train import cli as train_cli
from tinyguard.train.config import load_config
from tinyguard.train.offline import OFFLINE_ENV


def test_each_layer_registers_its_own_module_level_commands() -> None:
    group = click.Group("guard-cli")
    registrars = {ep.name: ep.load() for ep in entry_points(group="tinyguard.commands")}
    assert set(registrars) == {"train", "distill", "pipeline"}
    for add in registrars.values():
        add(group)
    assert group.commands["pipeline"] is pipeline_cli.pipeline
    assert group.commands["adversarial"] is pipeline_cli.adversarial
    assert group.commands["distill"] is distill_cli.distill
    for command in train_cli.COMMANDS:
        assert group.commands[command.name] is command


@pytest.mark.parametrize("command, args", [
    (pipeline_cli.pipeline, ["--config", "nosuch"]),
    (pipeline_cli.adversarial, ["--config", "nosuch"]),
    (train_cli.augment, ["--config", "nosuch"]),
    (train_cli.curate, ["--config", "nosuch"]),
    (train_cli.generate, ["--config", "nosuch", "hi"]),
])
def test_a_flat_command_fails_with_one_error_line_and_runs_offline(command: click.Command, args: list[str],
                                                                   monkeypatch) -> None:
    for name in OFFLINE_ENV:
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 2, result.output
    [line] = result.output.splitlines()  # one line, no traceback
    assert re.fullmatch(r"error: no (adversarial )?config 'nosuch'; built-in configs: .*\btiny\b.*", line), line
    assert all(os.environ.get(name) == value for name, value in OFFLINE_ENV.items())  # set before any work


def test_adversarial_report_only_needs_a_finished_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(pipeline_cli.adversarial, ["--report-only", "--run-dir", str(tmp_path / "none")])
    assert result.exit_code == 2 and "holds no adversarial run" in result.output


def test_pipeline_help_teaches_with_examples() -> None:
    result = CliRunner().invoke(pipeline_cli.pipeline, ["--help"])
    assert result.exit_code == 0
    assert "guard-cli pipeline --config tiny" in result.output and "--install-default" in result.output


def _run_dir(tmp_path: Path, synthetic_records: bool = False) -> Path:
    run = tmp_path / "run"
    (run / "data").mkdir(parents=True)
    (run / "data" / "records.jsonl").write_text('{"text": "hi"}\n', encoding="utf-8")
    (run / "teacher").mkdir()
    (run / "teacher" / "model.safetensors").write_bytes(b"weights")
    if synthetic_records:
        (run / "curate").mkdir()
        (run / "curate" / "curated.jsonl").write_text('{"text": "made"}\n', encoding="utf-8")
    return run


def test_the_teacher_stage_follows_the_records_and_the_export_follows_the_teacher(tmp_path: Path) -> None:
    cfg = load_config("tiny")
    run = _run_dir(tmp_path)
    teacher = teacher_stage(cfg, run)
    assert teacher.dir == run / "teacher" and set(teacher.inputs) == {"records"}
    export = export_stage(cfg, run, teacher)
    assert export.dir == run / "export" and set(export.inputs) == {"teacher", "records"}
    teacher.finish({"steps": 3})
    assert teacher_stage(cfg, run).is_current()
    (run / "data" / "records.jsonl").write_text('{"text": "hi"}\n{"text": "more"}\n', encoding="utf-8")
    assert not teacher_stage(cfg, run).is_current()  # new records retrain the teacher
    assert not teacher_stage(replace(cfg, teacher=replace(cfg.teacher, seed=cfg.teacher.seed + 1)), run).is_current()
    before = export.inputs["teacher"]
    (run / "teacher" / "model.safetensors").write_bytes(b"other weights")
    assert export_stage(cfg, run, teacher_stage(cfg, run)).inputs["teacher"] != before  # a new teacher re-exports


def test_a_synthetic_run_trains_its_teacher_on_the_curated_records_too(tmp_path: Path) -> None:
    cfg = load_config("tiny-synthetic")
    assert makes_synthetic(cfg)
    run = _run_dir(tmp_path, synthetic_records=True)
    assert set(teacher_stage(cfg, run).inputs) == {"records", "synthetic"}
    half = replace(cfg, curate=replace(cfg.curate, enabled=False))
    with pytest.raises(ValueError, match="go together"):
        makes_synthetic(half)


def test_a_stage_manifest_keeps_its_layout(tmp_path: Path) -> None:
    """Run folders made before the Stage class are reused: the manifest's keys did not change."""
    run = _run_dir(tmp_path)
    manifest = teacher_stage(load_config("tiny"), run).finish({"steps": 3})
    on_disk = json.loads((run / "teacher" / "manifest.json").read_text(encoding="utf-8"))
    assert set(on_disk) == set(manifest) == {"stage", "inputs", "config", "counts", "versions", "finished"}
    assert on_disk["stage"] == "teacher" and on_disk["config"]["teacher"]["seed"] == load_config("tiny").teacher.seed


def test_attaching_every_layers_commands_loads_no_heavy_library_and_sets_nothing() -> None:
    """``guard-cli --help`` attaches them all: click only, no torch, no change to the environment."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import os, sys, click
        from importlib.metadata import entry_points
        before = dict(os.environ)
        group = click.Group("guard-cli")
        for ep in entry_points(group="tinyguard.commands"):
            ep.load()(group)
        heavy = [m for m in ("torch", "transformers", "numpy", "onnxruntime", "datasketch") if m in sys.modules]
        assert not heavy, heavy
        assert dict(os.environ) == before
        print(len(group.commands))
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout) == len(train_cli.COMMANDS) + len(pipeline_cli.COMMANDS) + 1  # + distill
