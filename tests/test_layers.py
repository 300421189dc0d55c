"""The one-way stack: runtime <- export <- train <- distill <- pipeline. A module imports only its own
layer and the layers below it (imports inside functions count too: hiding one there does not remove it)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: folder -> (its import name, import names it must not use)
LAYERS = {
    "runtime": ("tinyguard", ("tinyguard.export", "tinyguard.train", "tinyguard.distill", "tinyguard.pipeline")),
    "export": ("tinyguard.export", ("tinyguard.train", "tinyguard.distill", "tinyguard.pipeline")),
    "train": ("tinyguard.train", ("tinyguard.distill", "tinyguard.pipeline")),
    "distill": ("tinyguard.distill", ("tinyguard.pipeline",)),
    "pipeline": ("tinyguard.pipeline", ()),
}


def imported_names(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, relative ones resolved."""
    parts = package.split(".") + list(path.relative_to(ROOT / path.relative_to(ROOT).parts[0]).parent.parts)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
    return out


def upward_imports() -> list[str]:
    bad = []
    for folder, (package, forbidden) in LAYERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, name in imported_names(path, package):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return bad


def test_no_layer_imports_a_layer_above_it():
    assert upward_imports() == []


@pytest.mark.parametrize("layer, source, expected", [
    # relative and function-level imports count
    ("export", "def f():\n    from ..train.teacher import load_teacher\n", "export/x.py:2 imports tinyguard.train.teacher"),
    # nothing below the pipeline may import it
    ("distill", "from tinyguard.pipeline.run import teacher_stage\n", "distill/x.py:1 imports tinyguard.pipeline.run"),
])
def test_the_check_sees_every_upward_import(tmp_path, monkeypatch, layer, source, expected):
    fake = tmp_path / layer
    fake.mkdir()
    (fake / "x.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "LAYERS", {layer: LAYERS[layer]})
    assert upward_imports() == [expected]


def test_every_package_folder_is_a_layer():
    """A new top-level package folder (pyproject package-dir) must take its place in the stack."""
    import tomllib

    dirs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
    assert {d.split("/")[0] for d in dirs.values()} == set(LAYERS)
