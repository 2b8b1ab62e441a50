"""The solution source, the generated student release, and the executed answer key."""
import re
import shutil

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from autograder.answer_key import execute_notebook
from autograder.config import COURSE_DIR, RELEASE_NOTEBOOK, SOLUTION_NOTEBOOK
from autograder.nbgrader_course import generate_release
from netvis.checks import CHECKS, STUDENT_FUNCTIONS

REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(scope="module")
def source():
    return nbformat.read(str(SOLUTION_NOTEBOOK), as_version=4)


@pytest.fixture(scope="module")
def release():
    return nbformat.read(str(RELEASE_NOTEBOOK), as_version=4)


def test_each_student_function_has_its_own_solution_cell(source):
    for name in STUDENT_FUNCTIONS:
        cells = [c for c in source.cells if re.search(rf"^def {name}\(", c.source, re.MULTILINE)]
        assert len(cells) == 1, name
        meta = _nbgrader(cells[0])
        assert meta["solution"] and meta["grade_id"] == name and not meta["grade"]
        assert len(re.findall(r"^def ", cells[0].source, re.MULTILINE)) == 1


def test_every_check_has_a_locked_grade_cell_with_its_points(source):
    grade_cells = {_nbgrader(c)["grade_id"]: c for c in source.cells if _nbgrader(c).get("grade") and c.cell_type == "code"}
    assert set(grade_cells) == {check.id for check in CHECKS}
    for check in CHECKS:
        meta = _nbgrader(grade_cells[check.id])
        assert meta["locked"] and meta["points"] == check.points
        assert f'run_check("{check.id}", globals())' in grade_cells[check.id].source


def test_inline_questions_are_graded_by_hand(source):
    manual = [c for c in source.cells if c.cell_type == "markdown" and _nbgrader(c).get("grade")]
    assert len(manual) >= 2
    assert all(_nbgrader(c)["solution"] and _nbgrader(c)["points"] > 0 for c in manual)


def test_committed_release_is_what_nbgrader_generates(tmp_path):
    course = tmp_path / "course"
    (course / "source" / "netvis").mkdir(parents=True)
    shutil.copy(COURSE_DIR / "nbgrader_config.py", course)
    shutil.copy(SOLUTION_NOTEBOOK, course / "source" / "netvis")
    regenerated = generate_release(course)
    assert regenerated.read_text() == RELEASE_NOTEBOOK.read_text(), (
        "assignment/NetworkVisualization.ipynb is out of date: run `make release` and commit it")


def test_release_holds_no_solution_code(source, release):
    released = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released
    hidden_lines = {
        line.strip()
        for cell in source.cells
        for _, region in REGION.findall(cell.source)
        for line in region.splitlines()
        if len(line.strip()) > 12
    }
    public_text = "\n".join(REGION.sub("", c.source) for c in source.cells)  # prose and scaffolding
    leaked = [line for line in hidden_lines if line in released and line not in public_text]
    assert not leaked, leaked
    stubs = [c for c in release.cells if c.cell_type == "code" and "raise NotImplementedError()" in c.source]
    assert len(stubs) == len(STUDENT_FUNCTIONS)


def test_release_runs_until_the_first_stub():
    with pytest.raises(CellExecutionError) as raised:
        execute_notebook(RELEASE_NOTEBOOK, timeout=300)
    assert "NotImplementedError" in str(raised.value)
    assert "compute_saliency_maps(X_tensor, y_tensor, model)" in str(raised.value)


@pytest.mark.slow
def test_solution_notebook_validates_with_figures_and_fooling():
    """As nbgrader Validate runs it (short demos); tests/test_browser.py runs the full demos in JupyterLab."""
    nb, seconds = execute_notebook(SOLUTION_NOTEBOOK, env={"NBGRADER_EXECUTION": "validate"})
    print(f"solution notebook executed in {seconds:.1f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert re.search(r"Fooled the model after \d+ iterations", printed)
    assert printed.count(": ok,") >= len(CHECKS)
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 7  # images, saliency, fooling, a class, feature maps, a filter


def test_sample_submissions_are_up_to_date(tmp_path):
    from autograder.dev.variants import EXAMPLES_DIR, write_examples

    write_examples(tmp_path)
    for built in tmp_path.rglob("*.ipynb"):
        committed = EXAMPLES_DIR / built.relative_to(tmp_path)
        assert committed.read_text() == built.read_text(), f"{committed} is stale: run `make examples`"


def _points(cells, kind):
    return sum(_nbgrader(c).get("points", 0) for c in cells if _nbgrader(c).get("grade") and c["cell_type"] == kind)


def test_part5_is_extra_credit_and_the_core_stays_38_plus_6(source):
    from netvis.checks import is_extra_credit, part_of

    core = [c for c in source.cells if not is_extra_credit(_nbgrader(c).get("grade_id", "x-y"))
            and not _nbgrader(c).get("grade_id", "").startswith(("inline_question_4", "inline_question_5"))]
    assert _points(core, "code") == 38 and _points(core, "markdown") == 6
    assert _points(source.cells, "code") == 48 and _points(source.cells, "markdown") == 10
    assert part_of("grad_cam").extra_credit and not part_of("capture_activations").extra_credit


def test_the_release_can_leave_part5_out():
    import json

    from autograder.nbgrader_course import without_part5

    notebook = json.loads(SOLUTION_NOTEBOOK.read_text())
    cut = nbformat.reads(json.dumps(without_part5(notebook)), as_version=4)
    ids = {_nbgrader(c).get("grade_id") for c in cut.cells}
    assert not ids & {"smooth_grad", "integrated_gradients", "grad_cam", "inline_question_4", "explanations_intro"}
    assert {c.id for c in CHECKS if not c.id.startswith(("smooth_grad", "integrated_gradients", "grad_cam"))} <= ids
    assert _points(cut.cells, "code") == 38 and _points(cut.cells, "markdown") == 6
    assert "Which explanation" not in cut.cells[0].source and "Write your code" in cut.cells[0].source
    assert "outro" in ids and len(cut.cells) == len(notebook["cells"]) - 24
