"""The hand-graded inline questions: per student and question, from nbgrader's gradebook or a CSV.

A grade nobody has given yet is missing (``None``), never zero: the gradebook shows it empty
and says the student's final grade is incomplete.

- nbgrader: ``gradebook.db`` read with ``nbgrader.api.Gradebook``; only manually graded cells
  (markdown grade cells, or code cells that are both an answer and graded) count, under their
  ``grade_id``; their score is the manual score (``None`` until a TA gives one) plus nbgrader's
  extra credit.
- CSV: ``student,question,points``; an empty ``points`` is missing.
"""
import csv
from pathlib import Path

from .config import ASSIGNMENT_ID


class HandGradesError(ValueError):
    """A hand-grades file that cannot be read."""


def load(path, assignment: str = ASSIGNMENT_ID) -> dict:
    """{student: {question: points or None}} from ``path`` (a .db/.sqlite nbgrader gradebook or a CSV)."""
    path = Path(path)
    if not path.is_file():
        raise HandGradesError(f"{path}: no such file (give nbgrader's gradebook.db or a CSV student,question,points)")
    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        return from_nbgrader(path, assignment)
    return from_csv(path)


def from_csv(path: Path) -> dict:
    grades = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if not {"student", "question", "points"} <= set(reader.fieldnames or ()):
            raise HandGradesError(f"{path}: the header must be student,question,points")
        for number, row in enumerate(reader, start=2):
            text = (row["points"] or "").strip()
            try:
                points = float(text) if text else None
            except ValueError:
                raise HandGradesError(f"{path} line {number}: points {text!r} is not a number (leave it empty "
                                      "for a grade not given yet)") from None
            grades.setdefault(row["student"].strip(), {})[row["question"].strip()] = points
    return grades


def from_nbgrader(path: Path, assignment: str = ASSIGNMENT_ID) -> dict:
    from nbgrader.api import Gradebook, MissingEntry

    grades = {}
    with Gradebook(f"sqlite:///{Path(path).resolve()}") as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            raise HandGradesError(f"{path}: no assignment {assignment!r} in this gradebook") from None
        for submission in submissions:
            per_question = grades.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if not _manual(gradebook, grade, notebook.name, assignment):
                        continue  # an autograded test cell: the autograder's job
                    score = grade.manual_score
                    if score is not None:
                        score += grade.extra_credit or 0.0
                    per_question[grade.name] = score
    return grades


def _manual(gradebook, grade, notebook: str, assignment: str) -> bool:
    """A manually graded cell: a markdown grade cell, or a code cell that is both an answer and graded."""
    from nbgrader.api import MissingEntry

    if grade.cell_type == "markdown":
        return True
    try:
        gradebook.find_solution_cell(grade.name, notebook, assignment)
        return True
    except MissingEntry:
        return False


def match(grades: dict, students: dict) -> tuple:
    """Map hand grades onto the gradebook's students.

    ``students``: student id -> the keys that may name them (LMS ids, name). Returns
    ({student id: {question: points or None}}, [hand-graded ids that match no student])."""
    keys = {}
    for student, aliases in students.items():
        for key in [student, *aliases]:
            if key:
                keys.setdefault(str(key), student)
    matched, unknown = {}, []
    for key, per_question in grades.items():
        student = keys.get(key)
        if student is None:
            unknown.append(key)
        else:
            matched.setdefault(student, {}).update(per_question)
    return matched, unknown
