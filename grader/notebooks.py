"""A Jupyter notebook submitted for a problem: its code cells, read with nbformat, as the problem's modules.

Theory of operation. The notebook is hostile input: it is parsed as JSON within size, depth and cell
limits, validated against the nbformat schema (version 3 is upgraded to 4 first), and never executed on
this side: its cells are only parsed, for syntax errors, by a child process under CPU and memory limits
(`_syntax_check.py`). Outputs are never read. The rule that maps cells to modules:

- a code cell tagged with a module's file name (cell metadata `tags: ["layers.py"]`), or whose first
  line is `# file: layers.py` (Colab hides tags), goes into that module;
- when no cell names a module and the problem requires exactly one, every code cell goes into it;
  when some cells name modules, the unnamed code cells are scratch work and are left out;
- IPython lines (`%magic`, `!shell`, `x = !cmd`) are dropped, and a `%%` cell is dropped whole: none of
  them is run or kept; `get_ipython()` is refused, because it exists only inside Jupyter;
- markdown and raw cells, and every output, are ignored.

Each module is its cells in order, each after a marker line `# --- cell 7 ---`, so a line of the module
is traced back to its cell (`Extraction.where`). A dropped line becomes `pass` at its indentation, so
every line keeps its number.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024  # outputs (plots) make notebooks larger than a module; they are ignored
MAX_CELLS = 1000
MAX_DEPTH = 64
NOTEBOOK_SUFFIX = ".ipynb"
PARSE_WALL_SECONDS = 10  # the checker's own CPU limit is 3 s
_CHECKER = Path(__file__).with_name("_syntax_check.py")

def rule(files: Sequence[str]) -> str:
    """How a notebook becomes the problem's `files`, in one paragraph naming the problem's own first file."""
    name = files[0] if files else "solution.py"
    single = (
        "all code cells go into it" if len(files) == 1 else "the notebook is refused: this problem takes several files"
    )
    return (
        f"Or submit one Jupyter notebook (.ipynb): a code cell tagged with a file name (e.g. the tag {name}), "
        f'or whose first line is "# file: {name}", goes into that file; if no cell names a file, {single}. '
        "Magics (%), shell commands (!), markdown and outputs are left out."
    )


_FILE_LINE = re.compile(r"#\s*file:\s*(\S+)\s*", re.IGNORECASE)
_ASSIGNED_ESCAPE = re.compile(r"[A-Za-z_][\w.\[\], ]*=\s*[!%]")  # x = !ls, t = %timeit -o f()


class NotebookError(ValueError):
    """The notebook cannot be used; `errors` says what to fix, naming the cell."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Cell:
    """One cell as submitted: its 1-based position, kind, execution count, text and dropped lines."""

    index: int
    kind: str  # code | markdown | raw
    execution_count: int | None
    source: str
    names: tuple[str, ...] = ()  # the modules its tags and `# file:` line name
    dropped: tuple[int, ...] = ()  # 1-based lines left out as IPython syntax
    cell_magic: bool = False  # a `%%` cell: dropped whole

    @property
    def named(self) -> str | None:
        """The one module the cell names, if it names exactly one."""
        return self.names[0] if len(self.names) == 1 else None

    @property
    def label(self) -> str:
        """`cell 7 (In [12])`: how messages name the cell."""
        run = f" (In [{self.execution_count}])" if self.execution_count is not None else ""
        return f"cell {self.index}{run}"

    @property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    def code(self) -> str:
        """The cell's Python with each dropped line replaced by `pass` at its indentation."""
        out = []
        for number, line in enumerate(self.lines, start=1):
            if number in self.dropped:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(f"{indent}pass  # IPython line dropped")
            else:
                out.append(line)
        return "\n".join(out)


@dataclass(frozen=True)
class Span:
    """Lines `first`..`last` of a module came from `cell` (its line 1 is module line `first`)."""

    first: int
    last: int
    cell: Cell


@dataclass
class Extraction:
    """The modules a notebook gives, the cells they came from, and notes for the student."""

    modules: dict[str, bytes]
    cells: list[Cell]
    assigned: dict[int, str] = field(default_factory=dict)  # cell index -> module
    spans: dict[str, list[Span]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def where(self, module: str, line: int) -> str | None:
        """Which cell and line a module's line came from, e.g. `cell 7 (In [12]), line 3`."""
        for span in self.spans.get(module, []):
            if span.first <= line <= span.last:
                return f"{span.cell.label}, line {line - span.first + 1}"
        return None

    def relabel(self, text: str) -> str:
        """A traceback's `layers.py", line 42` with the cell it came from: `... line 42 [cell 7, line 3]`."""
        if not self.spans or ".py" not in text:
            return text

        def add_cell(match: re.Match[str]) -> str:
            where = self.where(match.group("module"), int(match.group("line")))
            return f"{match.group(0)} [{where}]" if where else match.group(0)

        # The module names as literals: a pattern like [\w.]+\.py would backtrack quadratically over a long
        # run of letters, and this text is the student's output.
        names = "|".join(re.escape(name) for name in self.spans)
        traced = re.compile(rf'(?<![\w.-])(?P<module>{names})"?,? line (?P<line>\d{{1,9}})')
        return traced.sub(add_cell, text)


def is_notebook(name: str) -> bool:
    return name.lower().endswith(NOTEBOOK_SUFFIX)


def read_cells(data: bytes) -> list[Cell]:
    """The notebook's cells, IPython lines marked; refuses what is not a valid notebook within the limits."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError([f"the notebook is {len(data):,} bytes; at most {MAX_NOTEBOOK_BYTES:,} are accepted"])
    raw = _parse_json(data)
    notebook = _validated(raw)
    cells = []
    for index, cell in enumerate(notebook.cells, start=1):
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        kind = str(cell.get("cell_type"))
        count = cell.get("execution_count") if kind == "code" else None
        made = Cell(index, kind, count if isinstance(count, int) else None, text)
        if kind == "code":
            tags = (cell.get("metadata") or {}).get("tags") or []
            made = _marked(made, [t for t in tags if isinstance(t, str)])
        cells.append(made)
    return cells


def extract(data: bytes, modules: Sequence[str], required: Sequence[str]) -> Extraction:
    """The problem's modules from a notebook by the rule above; every error names its cell."""
    cells = read_cells(data)
    errors: list[str] = []
    code = [c for c in cells if c.kind == "code" and c.source.strip()]
    for cell in code:
        if len(cell.names) > 1:
            errors.append(f"{cell.label} names {' and '.join(cell.names)}: a cell goes into one file")
        elif cell.named is not None and cell.named not in modules:
            errors.append(
                f"{cell.label} names {cell.named}, which is not a file of this problem: "
                f"name one of {', '.join(modules)}"
            )
    assigned = _assign(code, modules, required, errors)
    extraction = Extraction(modules={}, cells=cells, assigned=assigned)
    errors.extend(_parse_problems([c for c in code if c.index in assigned and not c.cell_magic]))
    for module in modules:
        _build(extraction, module, [c for c in code if assigned.get(c.index) == module and not c.cell_magic])
    for module in required:
        if module not in extraction.modules and not errors:
            errors.append(
                f"no code cell gives {module}: tag its cells {module} or start them with the line # file: {module}"
            )
    if errors:
        raise NotebookError(errors)
    extraction.notes = _notes(code, assigned)
    return extraction


def _parse_json(data: bytes) -> Any:
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookError([f"the notebook is not UTF-8 text (byte {exc.start}): save it from Jupyter"]) from None
    except RecursionError:
        raise NotebookError([f"the notebook's JSON is nested more than {MAX_DEPTH} levels deep"]) from None
    except ValueError as exc:
        raise NotebookError([f"the notebook is not valid JSON ({exc}): save it again from Jupyter"]) from None
    if not isinstance(raw, dict):
        raise NotebookError(["the notebook is not a JSON object: an .ipynb file starts with {"])
    _check_depth(raw)
    return raw


def _check_depth(raw: Any) -> None:
    stack = [(raw, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise NotebookError([f"the notebook's JSON is nested more than {MAX_DEPTH} levels deep"])
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _validated(raw: dict[str, Any]) -> Any:
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise NotebookError(
            [f"nbformat {major!r} notebooks are not accepted: save it from a current Jupyter (nbformat 4)"]
        )
    cells = raw.get("cells") if major == 4 else [c for w in raw.get("worksheets") or [] for c in w.get("cells") or []]
    if not isinstance(cells, list):
        raise NotebookError(['the notebook is not valid nbformat: it has no list of "cells"'])
    if len(cells) > MAX_CELLS:
        raise NotebookError([f"the notebook has {len(cells):,} cells; at most {MAX_CELLS:,} are accepted"])
    try:
        notebook = nbformat.from_dict(raw)  # type: ignore[no-untyped-call]
        if major == 3:
            notebook = nbformat.convert(notebook, 4)  # type: ignore[no-untyped-call]
        if notebook.get("nbformat_minor", 0) >= 5:  # 4.5 requires cell ids; a missing one changes nothing here
            for index, cell in enumerate(notebook.get("cells") or []):
                if isinstance(cell, dict) and "id" not in cell:
                    cell["id"] = f"cell-{index + 1}"
        nbformat.validate(notebook)
    except nbformat.ValidationError as exc:
        raise NotebookError([f"the notebook is not valid nbformat: {_where(exc)}{exc.message}"[:500]]) from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        raise NotebookError(["the notebook could not be read as nbformat: save it again from Jupyter"]) from None
    return notebook


def _where(exc: Any) -> str:
    path = list(getattr(exc, "absolute_path", []) or [])
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        return f"cell {path[1] + 1}: "
    return ""


def _marked(cell: Cell, tags: list[str]) -> Cell:
    """The cell with the module it names and its IPython lines found."""
    named = [t for t in tags if t.endswith(".py")]
    lines = cell.lines
    first = next((line.strip() for line in lines if line.strip()), "")
    match = _FILE_LINE.fullmatch(first)
    if match:
        named.append(match.group(1))
    names = tuple(dict.fromkeys(named))
    if first.startswith("%%"):
        return Cell(cell.index, cell.kind, cell.execution_count, cell.source, names, (), True)
    return Cell(cell.index, cell.kind, cell.execution_count, cell.source, names, tuple(ipython_lines(lines)))


def ipython_lines(lines: Sequence[str]) -> list[int]:
    """The 1-based lines that are IPython syntax (magics, shell escapes) at the start of a statement."""
    found = []
    scanner = _Scanner()
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if scanner.at_statement_start() and _is_ipython(stripped):
            found.append(number)
            continue
        scanner.feed(line)
    return found


def _is_ipython(stripped: str) -> bool:
    return stripped.startswith(("%", "!")) or bool(_ASSIGNED_ESCAPE.match(stripped))


class _Scanner:
    """Follows strings, brackets and backslash continuations, to tell where a statement may start."""

    def __init__(self) -> None:
        self.quote: str | None = None  # the open triple quote
        self.depth = 0
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            if self.quote is not None:
                if line[i] == "\\":
                    i += 2
                elif line.startswith(self.quote, i):
                    self.quote, i = None, i + 3
                else:
                    i += 1
                continue
            char = line[i]
            if char == "#":
                break
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char in "\"'":
                if line.startswith(char * 3, i):
                    self.quote, i = char * 3, i + 3
                    continue
                i += 1
                while i < n and line[i] != char:
                    i += 2 if line[i] == "\\" else 1
            i += 1
        self.continued = self.quote is None and line.rstrip().endswith("\\")


def _assign(code: list[Cell], modules: Sequence[str], required: Sequence[str], errors: list[str]) -> dict[int, str]:
    named = {c.index: c.named for c in code if c.named is not None and c.named in modules}
    if any(c.names for c in code) or not required:
        return named
    if len(required) == 1:
        return {c.index: required[0] for c in code}
    errors.append(
        f"this problem takes {len(required)} files ({', '.join(required)}) and no cell names one: "
        "tag each code cell with its file name, or start it with the line # file: <name>"
    )
    return {}


def _parse_problems(cells: list[Cell]) -> list[str]:
    """Syntax errors and `get_ipython()` calls, each naming its cell, found by a child process that only
    parses (see `_syntax_check.py`): a hostile cell costs that process its CPU limit, not this one's lock."""
    if not cells:
        return []
    payload = json.dumps([[c.label, c.code()] for c in cells])
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(_CHECKER)],
            input=payload.encode(),
            capture_output=True,
            timeout=PARSE_WALL_SECONDS,
            check=False,
        )
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError):
        found = None
    if not isinstance(found, list):
        return ["the notebook's code is too complex to check within the limits: simplify its longest expressions"]
    return [str(problem) for problem in found]


def _build(extraction: Extraction, module: str, cells: list[Cell]) -> None:
    if not cells:
        return
    parts: list[str] = []
    spans: list[Span] = []
    line = 1
    for cell in cells:
        code = cell.code()
        parts.append(f"# --- cell {cell.index} ---\n{code}\n")
        count = code.count("\n") + 1
        spans.append(Span(line + 1, line + count, cell))
        line += count + 1
    extraction.modules[module] = "".join(parts).encode("utf-8")
    extraction.spans[module] = spans


def _notes(code: list[Cell], assigned: dict[int, str]) -> list[str]:
    notes = []
    for cell in code:
        if cell.index not in assigned:
            continue
        if cell.cell_magic:
            first = cell.source.strip().splitlines()[0].strip()
            hint = " (to submit its code, tag the cell with the file name instead)" if "writefile" in first else ""
            notes.append(f"{cell.label} is a {first.split()[0]} cell: left out, not run{hint}")
        elif cell.dropped:
            which = ", ".join(str(n) for n in cell.dropped)
            notes.append(f"{cell.label}: IPython line(s) {which} (magics, shell commands) left out, not run")
    unnamed = [c for c in code if c.index not in assigned]
    if unnamed:
        listed = ", ".join(str(c.index) for c in unnamed[:20]) + (" …" if len(unnamed) > 20 else "")
        notes.append(f"code cell(s) {listed} name no file, so they are left out")
    return notes
