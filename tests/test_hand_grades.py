"""Hand grades per question from nbgrader's gradebook (manual grade cells only) or a CSV; a grade
not given yet stays missing, never zero."""
import os
import sys
from pathlib import Path

import pytest

from autograder.hand_grades import HandGradesError, load, match


def _gradebook(path):
    """A real nbgrader gradebook: two inline questions (markdown grade cells) and one autograded
    test cell; ada has one question graded, bob none."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{path}") as gradebook:
        gradebook.add_assignment("netvis")
        gradebook.add_notebook("NetworkVisualization", "netvis")
        for name, kind in (("inline_question_1", "markdown"), ("inline_question_2", "markdown"), ("test_saliency", "code")):
            gradebook.add_grade_cell(name, "NetworkVisualization", "netvis", max_score=2, cell_type=kind)
        for student in ("ada", "bob"):
            gradebook.add_student(student)
            gradebook.add_submission("netvis", student)
        grade = gradebook.find_grade("inline_question_1", "NetworkVisualization", "netvis", "ada")
        grade.manual_score = 1.5
        grade.extra_credit = 0.5
        test = gradebook.find_grade("test_saliency", "NetworkVisualization", "netvis", "ada")
        test.auto_score = 2
        gradebook.db.commit()
    return path


def test_nbgrader_manual_grade_cells_only_and_a_missing_grade_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")  # nbgrader runs alembic on a new gradebook
    grades = load(_gradebook(tmp_path / "gradebook.db"))
    assert grades == {"ada": {"inline_question_1": 2.0, "inline_question_2": None},
                      "bob": {"inline_question_1": None, "inline_question_2": None}}


def test_a_csv_of_hand_grades_keeps_an_empty_cell_missing(tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text("student,question,points\nada,inline_question_1,2\nada,inline_question_2,\n")
    assert load(path) == {"ada": {"inline_question_1": 2.0, "inline_question_2": None}}
    path.write_text("student,question,points\nada,inline_question_1,two\n")
    with pytest.raises(HandGradesError, match="line 2: points 'two' is not a number"):
        load(path)
    path.write_text("name,points\n")
    with pytest.raises(HandGradesError, match="header must be student,question,points"):
        load(path)


def test_hand_grades_match_students_by_any_of_their_ids_and_list_the_unknown():
    grades = {"12345": {"q": 1.0}, "Jane Doe": {"q": 2.0}, "ghost": {"q": 0.0}}
    students = {"canvas-12345": ["smithjohn", "12345"], "moodle-5501": ["Jane Doe", "5501"]}
    assert match(grades, students) == ({"canvas-12345": {"q": 1.0}, "moodle-5501": {"q": 2.0}}, ["ghost"])
