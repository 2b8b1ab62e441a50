"""``python -m autograder gradebook OUT``: from the graded records to the LMS's import files.

It reads every finished student's record (``grading.json``) and ``intake.json`` in OUT, applies
the course policy (lateness, extensions, extra credit), merges the hand-graded questions, and
writes, atomically:

- ``final_grades.csv``: everything, one row per student (columns in docs/gradebook.md);
- ``canvas_import.csv``: Canvas's gradebook import (its students only);
- ``moodle_import.csv``: Moodle's grade import (its students only);
- each student's ``feedback.html`` and ``results.json`` again, with the lateness, the hand grades
  and the final grade; the record ``grading.json`` is left as it was.

A final grade with a missing hand grade is incomplete: empty in the import files, never zero.
"""
import csv
import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path

from . import hand_grades as hand_grades_module
from .files import atomic_write_text
from .lms import IntakeError, parse_time, read_intake
from .policy import Policy
from .reports import read_results, write_student
from .results import Adjustments

FINAL_NAME, CANVAS_NAME, MOODLE_NAME = "final_grades.csv", "canvas_import.csv", "moodle_import.csv"
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
LMS_ID_COLUMNS = ["canvas_user_id", "canvas_submission_id", "moodle_participant_id"]
MOODLE_COLUMNS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}


@dataclass
class Row:
    """One student's line of the gradebook."""
    student: str
    entry: dict
    """The student's intake.json entry (name, lms, lms_ids, file, submitted_at, late)."""
    result: object
    adjustments: Adjustments
    notes: list = field(default_factory=list)


def _fmt(value) -> str:
    return "" if value is None else f"{round(value, 2):g}"


def _aliases(entry: dict) -> list:
    return [entry.get("name", ""), *entry.get("lms_ids", {}).values()]


def _resolve(keys: dict, names: dict) -> tuple:
    """Extensions keyed by any alias -> keyed by student id; (mapped, unknown keys)."""
    lookup = {}
    for student, aliases in names.items():
        for key in [student, *aliases]:
            if key:
                lookup.setdefault(str(key), student)
    mapped = {lookup[k]: v for k, v in keys.items() if k in lookup}
    return mapped, sorted(k for k in keys if k not in lookup)


def adjust(result, entry: dict, policy: Policy, hand: dict) -> Adjustments:
    """The lateness, hand grades, extra credit and final grade of one student."""
    notes = []
    submitted = None
    if entry.get("submitted_at"):
        try:
            submitted = parse_time(entry["submitted_at"], f"intake.json {result.student}")
        except IntakeError as err:
            notes.append(str(err))
    days_late, percent = policy.lateness(result.student, submitted)
    if submitted is None and entry.get("late") and policy.penalty_percent:
        notes.append("Canvas marks this submission late but its time is unknown: no penalty applied "
                     "(give the time with grade --times)")
    if result.student in policy.extensions:
        notes.append(f"extension to {policy.extensions[result.student].isoformat()}")
    regular = [q for q in policy.questions if q not in policy.extra_questions]
    grades = {q: hand.get(q) for q in policy.questions}
    missing = [q for q, points in grades.items() if points is None]
    for question in sorted(set(hand) - set(policy.questions)):
        notes.append(f"hand grade for {question}, which the policy does not list: not counted")
    earned = result.score + sum(grades[q] or 0 for q in regular)
    penalty = round(earned * percent / 100, 2)
    extra = result.extra_score + sum(grades[q] or 0 for q in policy.extra_questions)
    extra = 0.0 if policy.extra_credit == "ignore" else min(extra, policy.extra_credit_cap)
    final = earned - penalty + (extra if policy.extra_credit == "add" else 0.0)
    if missing:
        notes.append(f"incomplete: no hand grade yet for {', '.join(missing)}")
    if result.problem:
        notes.append(f"not graded automatically: {result.problem}")
    return Adjustments(days_late=round(days_late, 2), penalty_percent=percent, penalty_points=penalty,
                       hand=grades, hand_max=dict(policy.questions), hand_extra=tuple(policy.extra_questions), extra_credit=extra,
                       final=None if missing else round(max(final, 0.0), 2),
                       max_points=result.max_score + sum(policy.questions[q] for q in regular), notes=notes)


def build(out_dir: Path, policy: Policy, hand_path=None) -> tuple:
    """([Row] by student, [warning lines]) for the records in ``out_dir``."""
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    intake = read_intake(out_dir)
    warnings = [f"{r.student} has a record but is not in intake.json (an earlier download?): left out"
                for r in results if intake and r.student not in intake]
    results = [r for r in results if not intake or r.student in intake]
    entries = {r.student: intake.get(r.student, {"name": r.student, "lms": "folders", "lms_ids": {}})
               for r in results}
    names = {s: _aliases(e) for s, e in {**intake, **entries}.items()}
    extended, unknown = _resolve(policy.extensions, names)
    policy = dataclasses.replace(policy, extensions=extended)  # keyed by student id; the caller's is left as it was
    warnings += [f"extension for {k}, who never submitted" for k in unknown]
    warnings += [f"extension for {s}, who has no graded submission" for s in policy.extensions if s not in entries]
    for student, entry in intake.items():
        if student not in entries:
            warnings.append(f"{student} ({entry.get('name', '')}) is in intake.json but has no graded record")
    hand = {}
    if hand_path:
        hand, unknown = hand_grades_module.match(hand_grades_module.load(hand_path), names)
        warnings += [f"hand grade for {k}, an unknown student" for k in unknown]
    rows = [Row(r.student, entries[r.student], r, adjust(r, entries[r.student], policy, hand.get(r.student, {})))
            for r in results]
    warnings += [f"hand grade for {s}, who has no graded submission" for s in hand if s not in entries]
    by_name = {}
    for row in rows:
        if row.entry.get("name") and row.entry["name"] != row.student:
            by_name.setdefault(row.entry["name"].casefold(), []).append(row.student)
    warnings += [f"two submissions from one student? {', '.join(students)} share the name {name!r}"
                 for name, students in by_name.items() if len(students) > 1]
    return rows, warnings


def final_csv(rows: list, policy: Policy) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    questions = list(policy.questions)
    writer.writerow(["student", "name", "lms", *LMS_ID_COLUMNS, "automatic", "automatic_max", *questions,
                     "hand_total", "submitted_at", "days_late", "late_penalty_percent", "late_penalty",
                     "extra_credit", "final", "max", "complete", "notes"])
    for row in rows:
        a, ids = row.adjustments, row.entry.get("lms_ids", {})
        writer.writerow([row.student, row.entry.get("name", ""), row.entry.get("lms", ""),
                         *(ids.get(c, "") for c in LMS_ID_COLUMNS), _fmt(row.result.score), _fmt(row.result.max_score),
                         *(_fmt(a.hand[q]) for q in questions),
                         _fmt(sum(p for q, p in a.hand.items() if p is not None and q not in policy.extra_questions)),
                         row.entry.get("submitted_at", ""), _fmt(a.days_late), _fmt(a.penalty_percent),
                         _fmt(a.penalty_points), _fmt(a.extra_credit), _fmt(a.final), _fmt(a.max_points),
                         "yes" if a.complete else "no", "; ".join(a.notes)])
    return buffer.getvalue()


def canvas_csv(rows: list, policy: Policy) -> str:
    """Canvas's gradebook import: its students (by Canvas user id); an incomplete grade is left empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CANVAS_HEADER + [policy.canvas_column])
    for row in rows:
        user = row.entry.get("lms_ids", {}).get("canvas_user_id")
        if user:
            writer.writerow([row.entry.get("name", ""), user, "", "", "", _fmt(row.adjustments.final)])
    return buffer.getvalue()


def moodle_csv(rows: list, policy: Policy) -> tuple:
    """Moodle's import and the warnings: by participant, the assignment's grading worksheet
    (``Identifier`` = ``Participant N``); by email, idnumber or username, the gradebook's CSV import."""
    buffer, warnings = io.StringIO(), []
    writer = csv.writer(buffer)
    by_participant = policy.moodle_identifier == "participant"
    writer.writerow(["Identifier", "Full name", "Grade", "Maximum Grade"] if by_participant
                    else [MOODLE_COLUMNS[policy.moodle_identifier], "Full name", policy.name])
    for row in rows:
        participant = row.entry.get("lms_ids", {}).get("moodle_participant_id")
        if not participant:
            continue
        grade, name = _fmt(row.adjustments.final), row.entry.get("name", "")
        if by_participant:
            writer.writerow([f"Participant {participant}", name, grade, _fmt(row.adjustments.max_points)])
            continue
        identifier = policy.roster.get(row.student, policy.roster.get(name, {})).get(policy.moodle_identifier)
        if identifier:
            writer.writerow([identifier, name, grade])
        else:
            warnings.append(f"{row.student} ({name}): no {policy.moodle_identifier} in the roster; not in {MOODLE_NAME}")
    return buffer.getvalue(), warnings


def write(out_dir: Path, policy: Policy = None, hand_path=None, render: bool = True) -> tuple:
    """Write the three CSVs (and, with ``render``, each student's page again); return (rows, warnings)."""
    out_dir, policy = Path(out_dir), policy or Policy()
    rows, warnings = build(out_dir, policy, hand_path)
    atomic_write_text(out_dir / FINAL_NAME, final_csv(rows, policy))
    atomic_write_text(out_dir / CANVAS_NAME, canvas_csv(rows, policy))
    moodle, more = moodle_csv(rows, policy)
    atomic_write_text(out_dir / MOODLE_NAME, moodle)
    if render:
        for row in rows:
            write_student(out_dir, row.result, row.adjustments, policy.hidden_visibility, record=False)
    return rows, warnings + more


def summary(rows: list) -> str:
    """A line per student for the terminal: final grade or why it is incomplete."""
    width = max([len(r.student) for r in rows] + [7])
    lines = [f"{'student':<{width}}  {'final':>8}  late  notes"]
    for row in rows:
        a = row.adjustments
        final = "—" if a.final is None else f"{a.final:g}/{a.max_points:g}"
        lines.append(f"{row.student:<{width}}  {final:>8}  {'-' if not a.days_late else f'{a.days_late:.1f}d':>4}  "
                     + "; ".join(a.notes))
    return "\n".join(lines)

