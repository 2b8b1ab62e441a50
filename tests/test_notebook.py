"""A notebook as the grader runs it: code cells in order, checkpoints at the kit's test cells."""
import nbformat
import pytest

from autograder.notebook import Checkpoint, CodeCell, SubmissionError, build_program, locked_sources, read_program
from netvis.checks import CHECKS


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for source, grade_id, kind in cells:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        if grade_id:
            cell.metadata["nbgrader"] = {"grade_id": grade_id, "locked": grade_id == "setup",
                                         "grade": grade_id.count("-") > 0}
        nb.cells.append(cell)
    return nb


def test_cells_run_in_order_with_checks_at_their_grade_cells():
    nb = _notebook(("import torch", "", "code"), ("# Title", "", "md"),
                   ("def compute_saliency_maps(X, y, model): ...", "compute_saliency_maps", "code"),
                   ("run_check('compute_saliency_maps-shape', globals())", "compute_saliency_maps-shape", "code"),
                   ("x = 1", "", "code"),
                   ("run_check('compute_saliency_maps-shape', globals())", "compute_saliency_maps-shape", "code"))
    steps = build_program(nb).steps
    assert [type(s).__name__ for s in steps] == ["CodeCell", "CodeCell", "Checkpoint", "CodeCell", "Checkpoint"]
    assert [s.number for s in steps if isinstance(s, CodeCell)] == [1, 3, 5]
    assert steps[2] == Checkpoint(("compute_saliency_maps-shape",))
    assert set(steps[-1].checks) == {c.id for c in CHECKS} - {"compute_saliency_maps-shape"}  # no grade cell: at the end


def test_ipython_syntax_becomes_python_as_ipython_makes_it():
    nb = _notebook(("%matplotlib inline\n!pip install foo\nfiles = !ls\nx?\n", "", "code"),
                   ("%%time\ny = 2\n", "", "code"))
    first, second = build_program(nb).cells
    assert "get_ipython().run_line_magic('matplotlib', 'inline')" in first.source
    assert "get_ipython().system('pip install foo')" in first.source
    assert "files = get_ipython().getoutput('ls')" in first.source
    assert second.source.startswith("get_ipython().run_cell_magic('time', '', 'y = 2\\n')")


def test_locked_cells_are_restored_from_the_release():
    setup = locked_sources()["setup"]
    program = build_program(_notebook(("import netvis.checks\nnetvis.checks.run_check = None", "setup", "code")))
    assert program.cells[0].source.count("torch") == setup.count("torch") and program.restored == [1]
    assert build_program(_notebook((setup, "setup", "code"))).restored == []


def test_unreadable_notebooks_say_what_to_do(tmp_path):
    broken = tmp_path / "NetworkVisualization.ipynb"
    broken.write_text("{not json")
    with pytest.raises(SubmissionError, match="not a readable Jupyter notebook"):
        read_program(broken)
    with pytest.raises(SubmissionError, match="is missing"):
        read_program(tmp_path / "absent.ipynb")


def test_the_grader_reads_a_notebook_as_nbformat_does_without_importing_it():
    """nbformat's import loads JSON-schema format checkers (seconds, on every cold grading)."""
    import subprocess
    import sys

    from autograder.config import SOLUTION_NOTEBOOK
    from autograder.notebook import load_notebook

    ours, theirs = load_notebook(SOLUTION_NOTEBOOK), nbformat.read(str(SOLUTION_NOTEBOOK), as_version=4)
    assert [(c.cell_type, c.source, c.metadata) for c in ours.cells] == \
        [(c.cell_type, c.source, c.metadata) for c in theirs.cells]
    code = ("import sys; from autograder.notebook import read_program; from autograder.config import SOLUTION_NOTEBOOK; "
            "read_program(SOLUTION_NOTEBOOK); print(sorted({'nbformat', 'jsonschema'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_an_older_format_is_converted_and_a_malformed_cell_is_the_students_to_fix(tmp_path):
    old = tmp_path / "old.ipynb"
    old.write_text('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"metadata": {}, "cells": '
                   '[{"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [], "metadata": {}}]}]}')
    assert [c.source.strip() for c in read_program(old).cells] == ["x = 1"]
    bad = tmp_path / "NetworkVisualization.ipynb"
    bad.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": 3}]}')
    with pytest.raises(SubmissionError, match="not a readable Jupyter notebook.*source is not text"):
        read_program(bad)


def test_the_notebook_to_grade_is_the_release_name_then_the_shallowest(tmp_path):
    """One rule for Gradescope's submission folder, the similarity report and a submit zip's members."""
    from autograder.notebook import find_notebook

    assert find_notebook(tmp_path) is None
    (tmp_path / "scratch.ipynb").write_text("{}")
    assert find_notebook(tmp_path) == tmp_path / "scratch.ipynb"
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "NetworkVisualization.ipynb").write_text("{}")
    assert find_notebook(tmp_path) == tmp_path / "work" / "NetworkVisualization.ipynb"
    (tmp_path / "NetworkVisualization.ipynb").write_text("{}")
    assert find_notebook(tmp_path) == tmp_path / "NetworkVisualization.ipynb"
