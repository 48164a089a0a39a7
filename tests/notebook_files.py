"""Real notebooks for tests, made with nbformat the way Jupyter writes them."""

from __future__ import annotations

import nbformat
from nbformat import v4

OUTPUT_TEXT = "output-never-shown-7f3a"
HOSTILE_HTML = "<script>document.title='owned'</script><img src=x onerror=alert(1)>"


def as_notebook(source: str, *, tag: str | None = None, magics: bool = True) -> bytes:
    """A module's code as a notebook a student would hand in: a markdown cell, a cell of magics and shell
    escapes, one code cell per top-level block (each run, with a count) and outputs holding HTML."""
    blocks: list[list[str]] = [[]]
    for line in source.splitlines():
        if line.startswith(("def ", "class ")) and any(s.strip() for s in blocks[-1]):
            blocks.append([])
        blocks[-1].append(line)
    nb = v4.new_notebook()
    nb.cells.append(v4.new_markdown_cell(f"# My layers\n{HOSTILE_HTML}"))
    if magics:
        nb.cells.append(v4.new_code_cell("%matplotlib inline\n!pip install numpy", execution_count=1))
    for count, block in enumerate(blocks, start=2):
        cell = v4.new_code_cell("\n".join(block).strip("\n"), execution_count=count)
        if tag:
            cell.metadata["tags"] = [tag]
        cell.outputs = [v4.new_output("display_data", data={"text/html": HOSTILE_HTML, "text/plain": OUTPUT_TEXT})]
        nb.cells.append(cell)
    return nbformat.writes(nb).encode()
