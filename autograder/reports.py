"""What the grader writes per student and per class: results.json, feedback.html, grades.csv.

``results.json`` follows Gradescope's format and is for people and Gradescope; the record that
a resumed batch reads is ``results.RECORD_NAME``, written last. The page itself is
``feedback_page``'s (a Jinja2 template).
"""
import csv
import io
import json
from pathlib import Path

from netvis.checks import CHECKS_BY_ID

from .feedback_page import feedback_html
from .files import atomic_write_text
from .results import HIDDEN_FAILURE, Adjustments, SubmissionResult, read_record, write_record

RESULTS_NAME, FEEDBACK_NAME, GRADES_NAME = "results.json", "feedback.html", "grades.csv"
SHORT_NAMES = {"compute_saliency_maps": "saliency", "make_fooling_image": "fooling",
               "class_visualization_update_step": "class_vis", "capture_activations": "capture",
               "filter_visualization_update_step": "filter_vis"}


def notebook_errors_text(result: SubmissionResult) -> str:
    """The notebook's cell errors, one paragraph per cell, for the student."""
    return "\n\n".join(f"Cell {number}: {error}" for number, error in result.notebook_errors.items())


HIDDEN_WHEN = {"after_due_date": "after the due date", "after_published": "once the grades are published",
               "hidden": "to the instructors only"}


def _check_tests(check, hidden_visibility: str) -> list:
    """One check's test entries. Its points and its public cases' message are visible at once; where
    the message comes from a hidden case and the policy hides those, the entry says so and a second
    entry of 0 points, named ``… (hidden case)``, carries the message with the policy's visibility."""
    entry = {"name": check.id.replace("-", ": ", 1), **({"tags": ["extra credit"]} if check.extra_credit else {}),
             "score": check.points, "max_score": check.max_points,
             "output": f"{CHECKS_BY_ID[check.id].description.strip()}\n{check.message}", "visibility": "visible"}
    if hidden_visibility == "visible" or not check.message.startswith(HIDDEN_FAILURE):
        return [entry]
    entry["output"] = (f"{CHECKS_BY_ID[check.id].description.strip()}\nFails a hidden case: its message is shown "
                       f"{HIDDEN_WHEN[hidden_visibility]}.")
    return [entry, {"name": f"{entry['name']} (hidden case)", "score": 0, "max_score": 0,
                    "output": check.message, "visibility": hidden_visibility}]


def _adjusted_output(adjustments: Adjustments) -> str:
    lines = []
    if adjustments.penalty_points or adjustments.days_late:
        lines.append(f"Late by {adjustments.days_late:.2f} day(s): penalty {adjustments.penalty_percent:g}% "
                     f"= {adjustments.penalty_points:g} point(s).")
    for question, points in adjustments.hand.items():
        most = adjustments.hand_max.get(question, 0)
        kind = "graded by hand, extra credit" if question in adjustments.hand_extra else "graded by hand"
        lines.append(f"{question} ({kind}): " + ("not graded yet" if points is None else f"{points:g} / {most:g}"))
    if adjustments.final is None:
        lines.append("Final grade: incomplete until every question is graded.")
    else:
        lines.append(f"Final grade: {adjustments.final:g} / {adjustments.max_points:g}.")
    return "\n".join(lines + adjustments.notes)


def gradescope_results(result: SubmissionResult, adjustments: Adjustments = None,
                       hidden_visibility: str = "after_due_date") -> dict:
    """The Gradescope autograder results format; each test is named ``<function>: <aspect>``.

    ``score`` is the assignment's points; the extra credit (Part 5) is a section of its own: its
    tests are tagged ``extra credit`` (names stay ``<function>: <aspect>``, which tools map back to
    check ids), and ``extra_data`` holds both totals, for the instructor to add where the course
    counts extra credit. The totals are always visible; hidden cases' messages follow
    ``hidden_visibility`` (``policy.VISIBILITIES``). With ``adjustments`` (the gradebook's or a
    late penalty on Gradescope) the score loses the penalty and the output lists it and the hand grades."""
    tests = [entry for check in result.checks for entry in _check_tests(check, hidden_visibility)]
    output = result.problem or f"{result.score:g} / {result.max_score:g} points from the automatic checks."
    if result.extra_max_score and not result.problem:
        output += f" Extra credit (Part 5, not in the score): {result.extra_score:g} / {result.extra_max_score:g}."
    score = result.score
    if adjustments is not None:
        output += "\n" + _adjusted_output(adjustments)
        score = max(score - adjustments.penalty_points, 0)
    if result.notebook_errors:
        output += "\n\nWhile your notebook ran, these cells raised errors:\n\n" + notebook_errors_text(result)
    extra = {"isolation": result.isolation, "references": result.references,
             "points": result.score, "max_points": result.max_score,
             "extra_credit": result.extra_score, "extra_credit_max": result.extra_max_score,
             "notebook_sha256": result.notebook_sha256}
    if adjustments is not None:
        extra.update(days_late=adjustments.days_late, late_penalty=adjustments.penalty_points,
                     hand_grades=adjustments.hand, final=adjustments.final)
    return {"score": score, "output": output, "tests": tests, "visibility": "visible",
            "stdout_visibility": "hidden", "extra_data": extra}


def write_student(out_dir: Path, result: SubmissionResult, adjustments: Adjustments = None,
                  hidden_visibility: str = "after_due_date", record: bool = True) -> None:
    """Write feedback.html and results.json, then the record: the record marks a finished student.
    The gradebook rewrites the first two with ``adjustments`` and ``record=False``."""
    folder = Path(out_dir) / result.student
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / FEEDBACK_NAME, feedback_html(result, adjustments))
    atomic_write_text(folder / RESULTS_NAME, json.dumps(gradescope_results(result, adjustments, hidden_visibility),
                                                         indent=1))
    if record:
        write_record(folder, result)


def read_results(out_dir: Path) -> list:
    """Every finished student's result in ``out_dir``, by student id."""
    folders = sorted(p for p in Path(out_dir).iterdir() if p.is_dir())
    return [r for r in map(read_record, folders) if r is not None]


def write_grades(out_dir: Path, results: list) -> Path:
    """grades.csv: one row per student, one column per check, then the total and the maximum,
    then the extra credit (Part 5) and its maximum, totalled apart."""
    check_ids = list(CHECKS_BY_ID)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student"] + check_ids + ["total", "max", "extra_credit", "extra_credit_max"])
    for result in sorted(results, key=lambda r: r.student):
        points = {c.id: c.points for c in result.checks}
        writer.writerow([result.student] + [f"{points.get(i, 0):g}" for i in check_ids]
                        + [f"{result.score:g}", f"{result.max_score:g}",
                           f"{result.extra_score:g}", f"{result.extra_max_score:g}"])
    path = Path(out_dir) / GRADES_NAME
    atomic_write_text(path, buffer.getvalue())
    return path


def grade_table(results: list) -> str:
    """A plain-text table of the totals per student and function, for the terminal; the extra
    credit (Part 5) has a column of its own, before the assignment's total."""
    short = SHORT_NAMES
    functions = list(short)
    extra = any(r.extra_max_score for r in results)
    lines = [f"{'student':<24}" + "".join(f"{short[f]:>11}" for f in functions)
             + (f"{'extra':>9}" if extra else "") + f"{'total':>9}"]
    for result in sorted(results, key=lambda r: r.student):
        per_function = {f: sum(c.points for c in result.checks if c.function == f) for f in functions}
        lines.append(f"{result.student:<24}" + "".join(f"{per_function[f]:>11g}" for f in functions)
                     + (f"{result.extra_score:>5g}/{result.extra_max_score:<3g}" if extra else "")
                     + f"{result.score:>5g}/{result.max_score:g}")
    modes = sorted({isolation_summary(r.isolation) for r in results if r.isolation})
    return "\n".join(lines + ([f"isolation: {'; '.join(modes)}"] if modes else []))


def isolation_summary(isolation: dict) -> str:
    """The isolation in force, in a few words: its mode, its user, Landlock's ABI where it is on."""
    words = [isolation.get("mode", "none")]
    if isolation.get("user"):
        words.append(f"({isolation['user']}")
        words[-1] += f", Landlock ABI {isolation['landlock']})" if isolation.get("landlock") else ")"
    return " ".join(words)
