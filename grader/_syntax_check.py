"""Run as a script (`python -I -S _syntax_check.py`): parse notebook cells in a child process, never run them.

Theory of operation. Parsing hostile source can take seconds of CPU (long operator chains) while holding
the interpreter lock, so the trusted process never parses a submitted notebook itself: it sends the
cells here as JSON on stdin, as `[[label, source], ...]`. This process caps its own CPU time and memory
first, parses each cell with `ast.parse` (no code is compiled to bytecode, none runs) and prints one JSON
list of problems, each naming the cell: a syntax error with its line, or a call of `get_ipython()`.
Only the standard library is used, so the child needs no site-packages.
"""

from __future__ import annotations

import ast
import json
import resource
import sys

CPU_SECONDS = 3
MEMORY_BYTES = 1024 * 1024 * 1024


def problems(label: str, source: str) -> list[str]:
    """What is wrong with one cell, named by its label."""
    try:
        tree = ast.parse(source, filename=f"<{label}>")
    except SyntaxError as exc:
        return [f"{label}: {type(exc).__name__} on line {exc.lineno}: {exc.msg}"]
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return [f"{label}: cannot be parsed as Python ({type(exc).__name__}): simplify it"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "get_ipython":
            return [
                f"{label}, line {node.lineno}: get_ipython() exists only inside Jupyter and the grader "
                "runs your code as a plain module: remove it"
            ]
    return []


def main() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    cells = json.load(sys.stdin)
    found: list[str] = []
    for label, source in cells:
        found.extend(problems(str(label), str(source)))
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
