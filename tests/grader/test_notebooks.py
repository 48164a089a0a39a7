"""Reading a submitted notebook into the problem's modules: the rule, dropped IPython lines, errors naming cells."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v3, v4

from grader.bundle import PACK_DIR, Bundle, load_bundle
from grader.grading import SubmissionError, validate_submission
from grader.notebooks import MAX_CELLS, MAX_NOTEBOOK_BYTES, NotebookError, extract, ipython_lines, read_cells

LAYERS = ["layers.py"]
DEEP = "the notebook's JSON is nested more than 64 levels deep"


def notebook(*cells: nbformat.NotebookNode) -> bytes:
    nb = v4.new_notebook()
    nb.cells = list(cells)
    return nbformat.writes(nb).encode()


def code(source: str, count: int | None = None, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = v4.new_code_cell(source, execution_count=count)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def errors_of(data: bytes, modules: list[str] = LAYERS, required: list[str] | None = None) -> list[str]:
    with pytest.raises(NotebookError) as caught:
        extract(data, modules, modules if required is None else required)
    return caught.value.errors


def test_all_code_cells_of_an_untagged_notebook_go_into_the_one_file_in_order() -> None:
    data = notebook(
        v4.new_markdown_cell("# Layers"),
        code("import numpy as np", 1),
        code("def relu(x):\n    return np.maximum(x, 0)", 2),
    )
    got = extract(data, LAYERS, LAYERS)
    assert got.modules == {
        "layers.py": b"# --- cell 2 ---\nimport numpy as np\n"
        b"# --- cell 3 ---\ndef relu(x):\n    return np.maximum(x, 0)\n"
    }
    assert got.notes == []
    assert got.where("layers.py", 5) == "cell 3 (In [2]), line 2"
    assert got.where("layers.py", 1) is None  # a marker line is no cell's


def test_tagged_cells_go_into_their_files_and_untagged_cells_are_left_out_with_a_note() -> None:
    data = notebook(
        code("import numpy as np", 1, tags=["layers.py"]),
        code("# file: cnn.py\nimport numpy as np\nfrom layers import relu", 2),
        code("def relu(x):\n    return x * (x > 0)", 3, tags=["layers.py"]),
        code("relu(np.ones(3))  # trying it out", 4),
    )
    got = extract(data, ["cnn.py", "layers.py"], ["cnn.py"])
    assert got.modules["layers.py"] == (
        b"# --- cell 1 ---\nimport numpy as np\n# --- cell 3 ---\ndef relu(x):\n    return x * (x > 0)\n"
    )
    assert got.modules["cnn.py"] == b"# --- cell 2 ---\n# file: cnn.py\nimport numpy as np\nfrom layers import relu\n"
    assert got.notes == ["code cell(s) 4 name no file, so they are left out"]


def test_magics_and_shell_escapes_are_dropped_keeping_line_numbers_and_the_student_is_told() -> None:
    source = (
        "%matplotlib inline\n!pip install numpy\nfiles = !ls\nimport numpy as np\n"
        "t = %timeit -o np.ones(3)\nx = 1 % 2\nif x:\n    %time y = 2\n"
    )
    data = notebook(code(source, 5), code("%%timeit\nnp.ones(3)", 6))
    got = extract(data, LAYERS, LAYERS)
    module = got.modules["layers.py"].decode()
    assert "matplotlib" not in module and "pip" not in module and "timeit" not in module and "ls" not in module
    assert "x = 1 % 2" in module and "import numpy as np" in module
    assert module.splitlines()[8] == "    pass  # IPython line dropped"  # inside the `if`, still valid Python
    assert got.notes == [
        "cell 1 (In [5]): IPython line(s) 1, 2, 3, 5, 8 (magics, shell commands) left out, not run",
        "cell 2 (In [6]) is a %%timeit cell: left out, not run",
    ]


def test_lines_that_only_look_like_magics_inside_strings_and_brackets_are_kept() -> None:
    lines = ['doc = """', "%d percent", '"""', "total = (1", "  % 2)", "s = 'a' \\", "  '%x'", "%who"]
    assert ipython_lines(lines) == [8]


def test_a_writefile_cell_is_left_out_with_a_hint_to_tag_it() -> None:
    data = notebook(code("%%writefile layers.py\ndef relu(x):\n    return x", 1), code("import numpy", 2))
    got = extract(data, LAYERS, LAYERS)
    assert "def relu" not in got.modules["layers.py"].decode()
    assert "tag the cell with the file name instead" in got.notes[0]


def test_a_syntax_error_names_the_cell_its_run_count_and_the_line() -> None:
    data = notebook(code("import numpy", 3), code("x = 1\ny = 2\ndef f(:\n    pass", 12))
    assert errors_of(data) == ["cell 2 (In [12]): SyntaxError on line 3: invalid syntax"]


def test_a_cell_never_run_is_named_by_its_position_alone() -> None:
    assert errors_of(notebook(code("def f(:", None))) == ["cell 1: SyntaxError on line 1: invalid syntax"]


def test_get_ipython_is_refused_naming_the_cell_and_line() -> None:
    errors = errors_of(notebook(code("x = 1\nget_ipython().run_line_magic('time', 'x')", 2)))
    assert errors == [
        "cell 1 (In [2]), line 2: get_ipython() exists only inside Jupyter and the grader runs your code as a "
        "plain module: remove it"
    ]


def test_a_cell_that_is_costly_to_parse_is_refused_by_the_child_parser() -> None:
    errors = errors_of(notebook(code("f" + "()" * 250_000, 3)))
    assert len(errors) == 1
    assert errors[0].startswith(("cell 1 (In [3]): cannot be parsed as Python", "the notebook's code is too complex"))


def test_a_cell_naming_an_unknown_file_says_which_are_expected() -> None:
    errors = errors_of(notebook(code("x = 1", 1, tags=["utils.py"])), ["cnn.py", "layers.py"], ["cnn.py"])
    assert errors[0] == (
        "cell 1 (In [1]) names utils.py, which is not a file of this problem: name one of cnn.py, layers.py"
    )


def test_a_cell_naming_two_files_is_refused() -> None:
    errors = errors_of(notebook(code("# file: cnn.py\nx = 1", 1, tags=["layers.py"])), ["cnn.py", "layers.py"])
    assert errors[0] == "cell 1 (In [1]) names layers.py and cnn.py: a cell goes into one file"


def test_a_required_file_no_cell_gives_is_named() -> None:
    errors = errors_of(notebook(code("x = 1", 1, tags=["layers.py"])), ["cnn.py", "layers.py"], ["cnn.py"])
    assert errors == ["no code cell gives cnn.py: tag its cells cnn.py or start them with the line # file: cnn.py"]


def test_an_untagged_notebook_for_a_problem_of_two_required_files_asks_for_tags() -> None:
    errors = errors_of(notebook(code("x = 1", 1)), ["a.py", "b.py"], ["a.py", "b.py"])
    assert errors[0].startswith("this problem takes 2 files (a.py, b.py) and no cell names one: tag each code cell")


def test_a_notebook_of_only_markdown_gives_nothing() -> None:
    errors = errors_of(notebook(v4.new_markdown_cell("# nothing here")))
    assert errors == [
        "no code cell gives layers.py: tag its cells layers.py or start them with the line # file: layers.py"
    ]


def test_outputs_are_never_read() -> None:
    cell = code("x = 1", 1)
    cell.outputs = [v4.new_output("display_data", data={"text/html": "<script>alert(1)</script>"})]
    got = extract(notebook(cell), LAYERS, LAYERS)
    assert b"script" not in got.modules["layers.py"]


def test_a_version_3_notebook_is_upgraded() -> None:
    nb = v3.new_notebook()
    sheet = v3.new_worksheet()
    sheet.cells = [v3.new_code_cell("x = 1", prompt_number=4), v3.new_text_cell("markdown", "# hi")]
    nb.worksheets = [sheet]
    data = nbformat.writes(nb, version=3).encode()
    got = extract(data, LAYERS, LAYERS)
    assert got.modules["layers.py"] == b"# --- cell 1 ---\nx = 1\n"
    assert got.cells[0].label == "cell 1 (In [4])"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "the notebook is not valid JSON"),
        (b"\xff\xfe", "the notebook is not UTF-8 text (byte 0)"),
        (b"[1, 2]", "the notebook is not a JSON object"),
        (json.dumps({"nbformat": 2, "cells": []}).encode(), "nbformat 2 notebooks are not accepted"),
        (json.dumps({"cells": []}).encode(), "nbformat None notebooks are not accepted"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode(), "the notebook is not valid"),
        (b'{"nbformat": 4, "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", DEEP),
        (b'{"nbformat": 4, "metadata": ' + b"[" * 100 + b"]" * 100 + b"}", DEEP),
    ],
)
def test_what_is_not_a_notebook_is_refused_with_what_to_fix(data: bytes, message: str) -> None:
    errors = errors_of(data)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_a_cell_of_the_wrong_shape_is_named() -> None:
    raw = json.loads(notebook(code("x = 1", 1), code("y = 2", 2)))
    raw["cells"][1]["source"] = 5
    assert errors_of(json.dumps(raw).encode())[0].startswith("the notebook is not valid nbformat: cell 2: ")


def test_a_notebook_of_too_many_cells_is_refused_before_it_is_validated() -> None:
    data = notebook(*[code("x = 1") for _ in range(MAX_CELLS + 1)])
    assert errors_of(data) == [f"the notebook has {MAX_CELLS + 1:,} cells; at most {MAX_CELLS:,} are accepted"]


def test_a_cell_holding_ten_megabytes_is_refused_by_size() -> None:
    data = notebook(code("s = '" + "a" * 10_000_000 + "'"))
    assert errors_of(data) == [f"the notebook is {len(data):,} bytes; at most {MAX_NOTEBOOK_BYTES:,} are accepted"]


def test_cells_missing_their_ids_are_read() -> None:
    raw = json.loads(notebook(code("x = 1", 1)))
    del raw["cells"][0]["id"]
    assert [c.source for c in read_cells(json.dumps(raw).encode())] == ["x = 1"]


def test_relabel_adds_the_cell_to_traceback_lines() -> None:
    got = extract(notebook(code("import numpy", 1), code("def f():\n    raise ValueError('x')", 7)), LAYERS, LAYERS)
    text = 'File "/job/sub/layers.py", line 5, in f\n  File "driver.py", line 3\nValueError (layers.py, line 4)'
    assert got.relabel(text) == (
        'File "/job/sub/layers.py", line 5 [cell 2 (In [7]), line 2], in f\n'
        '  File "driver.py", line 3\nValueError (layers.py, line 4 [cell 2 (In [7]), line 1])'
    )


@pytest.fixture(scope="module")
def cnn() -> Bundle:
    return load_bundle(PACK_DIR / "cnn")


def test_validate_submission_makes_the_modules_from_a_notebook_beside_a_python_file(cnn: Bundle) -> None:
    data = notebook(code("import numpy as np\nx = 1", 1))
    submitted = validate_submission(cnn, {"work.ipynb": data, "layers.py": b"y = 2\n"})
    assert set(submitted.modules) == {"cnn.py", "layers.py"} and submitted.notebook == "work.ipynb"
    assert submitted.modules["layers.py"] == b"y = 2\n"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "2 notebooks submitted (a.ipynb, b.ipynb): submit one"),
        ({"w.ipynb": b"{"}, "w.ipynb: the notebook is not valid JSON"),
        ({"w.ipynb": None, "cnn.py": b"x = 1\n"}, "cnn.py sent both as a file and in w.ipynb: send each once"),
    ],
)
def test_validate_submission_refuses_notebooks_it_cannot_use(
    cnn: Bundle, files: dict[str, bytes | None], message: str
) -> None:
    tagged = notebook(code("x = 1", 1, tags=["cnn.py"]))
    with pytest.raises(SubmissionError) as caught:
        validate_submission(cnn, {k: tagged if v is None else v for k, v in files.items()})
    assert caught.value.errors[0].startswith(message), caught.value.errors


def test_the_pack_layers_solution_split_into_cells_gives_back_the_same_code(tmp_path: Path) -> None:
    source = (PACK_DIR / "layers" / "solution" / "layers.py").read_text()
    got = extract(notebook(code(source, 1)), LAYERS, LAYERS)
    assert got.modules["layers.py"].decode() == "# --- cell 1 ---\n" + source.rstrip("\n") + "\n"


def test_relabel_reads_a_flood_of_output_in_one_pass() -> None:
    got = extract(notebook(code("x = 1\ny = 2", 3)), LAYERS, LAYERS)
    flood = "a" * 200_000 + ' layers.py", line 3, in f ' + "b.py" * 50_000
    assert got.relabel(flood) == flood.replace("line 3,", "line 3 [cell 1 (In [3]), line 2],")


def test_the_rule_shown_on_the_submit_form_names_the_problems_own_file() -> None:
    from grader.notebooks import rule

    one = rule(["logistic.py"])
    assert "(e.g. the tag logistic.py)" in one and '"# file: logistic.py"' in one
    assert "if no cell names a file, all code cells go into it." in one
    several = rule(["model.py", "train.py"])
    assert "(e.g. the tag model.py)" in several
    assert "if no cell names a file, the notebook is refused: this problem takes several files." in several
