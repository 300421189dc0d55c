"""``Stage`` (train/stage.py): the one skip rule of every resumable stage, on real folders.

A stage reruns when an input's hash or its config changes, when forced, when an output is
missing, and when an earlier run stopped half way (its manifest is removed first, written last).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinyguard.train.stage import MANIFEST, REUSED, Stage, hash_files, write_json_atomic


class Work:
    """A stage's work: writes its output file and counts its calls."""

    def __init__(self, folder: Path, fail: bool = False) -> None:
        self.folder, self.fail, self.calls = folder, fail, 0

    def __call__(self) -> dict:
        self.calls += 1
        (self.folder / "out.txt").write_text(f"run {self.calls}", encoding="utf-8")
        if self.fail:
            raise RuntimeError("stopped half way")
        return {"rows": 3, "by": {"a": 1}}


def _inputs(tmp_path: Path, text: str = "seed data") -> dict[str, str]:
    src = tmp_path / "records.jsonl"
    src.write_text(text, encoding="utf-8")
    return {"records": hash_files([src])}


def _stage(tmp_path: Path, inputs: dict, config: dict | None = None) -> Stage:
    return Stage("teacher", tmp_path / "teacher", inputs, config or {"teacher": {"epochs": 1, "layers": (0, 5)}},
                 outputs=("out.txt",))


def test_a_finished_stage_is_reused_while_inputs_and_config_are_unchanged(tmp_path: Path) -> None:
    work, lines = Work(tmp_path / "teacher"), []
    stage = _stage(tmp_path, _inputs(tmp_path))
    assert stage.run(work, echo=lines.append) == {"rows": 3, "by": {"a": 1}}
    manifest = json.loads((tmp_path / "teacher" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["stage"] == "teacher" and manifest["inputs"] == stage.inputs and manifest["counts"]["rows"] == 3
    assert manifest["config"] == {"teacher": {"epochs": 1, "layers": [0, 5]}} and manifest["versions"]["numpy"]
    again = _stage(tmp_path, _inputs(tmp_path))  # a new process: same hashes, same config (tuples as lists)
    assert again.run(work, echo=lines.append) == {"rows": 3, "by": {"a": 1}}
    assert work.calls == 1 and lines == [REUSED]


@pytest.mark.parametrize("change", ["input", "config", "force", "output"])
def test_a_stage_reruns_when_an_input_or_its_config_changes_or_when_forced(tmp_path: Path, change: str) -> None:
    work = Work(tmp_path / "teacher")
    _stage(tmp_path, _inputs(tmp_path)).run(work)
    inputs, config = _inputs(tmp_path), None
    if change == "input":
        inputs = _inputs(tmp_path, "seed data, one more record")
    elif change == "config":
        config = {"teacher": {"epochs": 2, "layers": (0, 5)}}
    elif change == "output":
        (tmp_path / "teacher" / "out.txt").unlink()
    stage = _stage(tmp_path, inputs, config)
    assert not stage.is_current() or change == "force"
    stage.run(work, force=change == "force")
    assert work.calls == 2 and stage.is_current()


def test_a_stage_stopped_half_way_is_not_taken_as_done(tmp_path: Path) -> None:
    stage = _stage(tmp_path, _inputs(tmp_path))
    stage.run(Work(tmp_path / "teacher"))
    assert stage.is_current()
    with pytest.raises(RuntimeError, match="half way"):  # a forced rerun dies after writing its output
        stage.run(Work(tmp_path / "teacher", fail=True), force=True)
    assert not (tmp_path / "teacher" / MANIFEST).exists() and not stage.is_current()
    work = Work(tmp_path / "teacher")
    stage.run(work)  # same inputs and config as the finished run, yet it runs again
    assert work.calls == 1 and stage.is_current()


def test_a_torn_or_foreign_manifest_is_not_a_finished_stage(tmp_path: Path) -> None:
    stage = _stage(tmp_path, _inputs(tmp_path))
    stage.run(Work(tmp_path / "teacher"))
    text = stage.manifest_path.read_text(encoding="utf-8")
    stage.manifest_path.write_text(text[: len(text) // 2], encoding="utf-8")
    assert not stage.is_current()
    stage.manifest_path.write_text("[]", encoding="utf-8")
    assert not stage.is_current()


def test_an_output_beside_the_stage_folder_counts_too(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a run folder given as a relative path, as on the command line
    bundle = Path("run") / "bundle" / "manifest.json"
    stage = Stage("export", Path("run") / "export", _inputs(tmp_path), {}, outputs=("../bundle/manifest.json",))
    stage.run(lambda: {"validation": 3})
    assert not stage.is_current()  # the export never wrote the bundle
    bundle.parent.mkdir()
    bundle.write_text("{}", encoding="utf-8")
    assert stage.is_current() and stage.counts() == {"validation": 3}


def test_write_json_atomic_leaves_only_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "metrics.json"
    write_json_atomic(path, {"b": 1, "a": "é"})
    assert path.read_text(encoding="utf-8") == '{\n  "a": "é",\n  "b": 1\n}\n'
    with pytest.raises(TypeError):
        write_json_atomic(path, {"a": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": "é", "b": 1}
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]
