"""Which tests are the runtime's: those that run with only ``pip install '.[dev]'``.

``python -m pytest -m runtime`` runs them, in a virtual environment without torch, onnx, sklearn
or llama.cpp (``.ci/run`` does so in a second venv). The set is read from the code, never kept by
hand, so a test cannot join it and then fail there: a test module is a runtime test when every
import it makes (at the top or inside a function, and every package it names to ``require`` or
to a module-wide ``requires``) is the standard library, a package the runtime or the ``dev`` extra installs
(``pyproject.toml``), a ``tinyguard`` module below the ``export`` layer, or a helper module of
``tests/`` that is itself a runtime module. A test whose own ``@requires`` marker names another
package is left out of the set even in a runtime module.
"""
from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

from tinyguard.configfile import load_toml

TESTS = Path(__file__).resolve().parent
UPPER_LAYERS = ("tinyguard.export", "tinyguard.train", "tinyguard.distill", "tinyguard.pipeline")
# Import names the requirements do not spell: pytest's own internals.
ALIASES = {"pytest": {"_pytest"}}
_REQUIRE_CALLS = {"require", "requires"}


@cache
def runtime_packages() -> frozenset[str]:
    """Import names of the runtime's dependencies and the ``dev`` extra (from ``pyproject.toml``)."""
    project = load_toml(TESTS.parent / "pyproject.toml", "pyproject.toml")["project"]
    names = set()
    for req in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        name = re.match(r"[A-Za-z0-9_.\-]+", req).group(0).lower().replace("-", "_")  # type: ignore[union-attr]
        names |= {name, *ALIASES.get(name, ())}
    return frozenset(names)


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports (anywhere) and every package it names to ``require``/``requires``."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # ``@requires(...)`` on one test leaves only that test out (pytest_collection_modifyitems).
    decorators = {id(d) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  for d in f.decorator_list}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and _called_name(node) in _REQUIRE_CALLS and id(node) not in decorators:
            names |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return names


def _called_name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def outside_runtime(name: str) -> bool:
    """Whether importing ``name`` needs more than the runtime, the dev extra and the standard library."""
    top = name.split(".")[0]
    if name == "tinyguard" or name.startswith("tinyguard."):
        return name.startswith(UPPER_LAYERS)
    if (TESTS / f"{top}.py").is_file():
        return not is_runtime_module(top)
    return top not in sys.stdlib_module_names and top not in runtime_packages()


@cache
def is_runtime_module(stem: str, _seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``tests/<stem>.py`` (a test or helper module) needs only the runtime to run."""
    seen = _seen | {stem}
    for name in imported_names(TESTS / f"{stem}.py"):
        top = name.split(".")[0]
        if (TESTS / f"{top}.py").is_file():
            if top not in seen and not is_runtime_module(top, seen):
                return False
        elif outside_runtime(name):
            return False
    return True


def needs_more(requires_args: list[str]) -> list[str]:
    """The packages of a ``requires`` marker that the runtime path does not install."""
    return [name for name in requires_args if outside_runtime(name)]
