"""Does the starter define everything the drivers call? Read from the source, nothing is run."""

from __future__ import annotations

import ast
from collections import defaultdict

from grader.bundle import Bundle


def starter_gaps(bundle: Bundle) -> list[str]:
    """A sentence for every name the drivers take from a submitted module that the solution defines and the
    starter does not (a student starting from it would meet an AttributeError, not a task)."""
    modules = {name[:-3]: name for name in bundle.submitted_files}
    used = _driver_uses(bundle.files["driver.py"], set(modules))
    gaps = []
    for (module, attr), drivers in sorted(used.items()):
        file = modules[module]
        solution, starter = bundle.files.get(f"solution/{file}"), bundle.files.get(f"starter/{file}")
        if solution is None or starter is None or attr not in _defined(solution) or attr in _defined(starter):
            continue
        tests = [t.name for t in bundle.spec.tests if t.driver_name in drivers]
        callers = f"the drivers of tests {', '.join(map(repr, tests[:5]))} call" if tests else "driver.py uses"
        gaps.append(
            f"starter/{file} does not define {attr}, which {callers}: "
            "add it with a body that raises NotImplementedError"
        )
    return gaps


def _defined(source: bytes) -> set[str]:
    """Top-level names a module defines (functions, classes, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _driver_uses(source: bytes, modules: set[str]) -> dict[tuple[str, str], set[str]]:
    """(module, name) -> the top-level driver functions that use it (`` for use outside any function)."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}  # local name -> submitted module
    imported: dict[str, tuple[str, str]] = {}  # local name -> (module, name), from `from module import name`
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name: a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module in modules and not node.level:
            imported |= {a.asname or a.name: (node.module, a.name) for a in node.names if a.name != "*"}
    used: dict[tuple[str, str], set[str]] = defaultdict(set)
    for top in tree.body:
        owner = top.name if isinstance(top, ast.FunctionDef) else ""
        for node in ast.walk(top):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                used[(aliases[node.value.id], node.attr)].add(owner)
            elif isinstance(node, ast.Name) and node.id in imported:
                used[imported[node.id]].add(owner)
            elif isinstance(node, ast.alias) and node.asname is None and node.name in imported:
                used[imported[node.name]].add(owner)
    return used
