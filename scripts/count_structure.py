"""Structure counts of a git revision (issue 11): modules over 400 lines, upward imports, circles
between layers, imports inside functions (all, and of project modules).

    python3 scripts/count_structure.py REV      # e.g. HEAD, or 7418be8 (the tree issue 11 was filed on)

Reads the revision with ``git archive`` (the working tree is not touched) and walks every module's AST.
"""
import ast, subprocess, sys, tempfile, tarfile, io, re
from pathlib import Path
rev = sys.argv[1]
tmp = Path(tempfile.mkdtemp())
data = subprocess.run(["git", "archive", rev], capture_output=True, check=True).stdout
tarfile.open(fileobj=io.BytesIO(data)).extractall(tmp)
ORDER = ["runtime", "export", "train", "distill", "pipeline"]
PKG = {"runtime": "tinyguard", "export": "tinyguard.export", "train": "tinyguard.train", "distill": "tinyguard.distill", "pipeline": "tinyguard.pipeline"}
def layer_of(name):
    for f in reversed(ORDER[1:]):
        if name == PKG[f] or name.startswith(PKG[f] + "."): return f
    if name == "tinyguard" or name.startswith("tinyguard."): return "runtime"
    return None
big, upward, inside, edges = [], [], 0, set()
inside_own = 0
for folder in ORDER:
    root = tmp / folder
    if not root.is_dir(): continue
    for p in sorted(root.rglob("*.py")):
        src = p.read_text(encoding="utf-8")
        n = src.count("\n")
        if n > 400: big.append(f"{p.relative_to(tmp)} ({n})")
        tree = ast.parse(src)
        parts = PKG[folder].split(".") + list(p.relative_to(root).parent.parts)
        funcs = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
        infunc = {id(x) for f in funcs for x in ast.walk(f) if isinstance(x, (ast.Import, ast.ImportFrom))}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import): names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = parts[: len(parts) - node.level + 1]
                    names = [".".join(base + ([node.module] if node.module else []))]
                else: names = [node.module or ""]
            else: continue
            if id(node) in infunc:
                inside += 1
                inside_own += any(layer_of(nm) for nm in names)
            for nm in names:
                # relative imports inside runtime resolve to tinyguard.X
                l = layer_of(nm)
                if l and l != folder:
                    edges.add((folder, l))
                    if ORDER.index(l) > ORDER.index(folder): upward.append(f"{p.relative_to(tmp)}:{node.lineno} -> {nm}")
circles = sorted({tuple(sorted((a, b))) for a, b in edges if (b, a) in edges})
print(f"rev {rev}")
print(f"modules over 400 lines: {len(big)}: {', '.join(big)}")
print(f"upward imports: {len(upward)}")
for u in upward[:12]: print("   ", u)
print(f"layer circles: {len(circles)}: {circles}")
print(f"imports inside functions: {inside} (of project modules: {inside_own})")
