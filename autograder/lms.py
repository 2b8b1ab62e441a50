"""Intake: a learning-management system's download turned into one folder per student.

``grade`` takes any of:

- a Canvas "Download Submissions" zip or its unpacked folder: flat files named
  ``name_userid_submissionid_filename``, ``name_late_userid_submissionid_filename`` for a late
  one; a file the student uploaded again gets ``-1``, ``-2`` before its extension;
- a Moodle "Download all submissions" zip or folder: one folder per submission plugin named
  ``Full Name_<participantid>_assignsubmission_file`` (Moodle 3.1 to 4.x add a final ``_``; or
  ``_onlinetext``) holding the files, or, with "Download submissions in folders" off, flat files named
  ``Full Name_<participantid>_assignsubmission_file_<filename>`` (Moodle turns ``_`` in names into spaces);
- one folder per student, as before (then nothing here is done).

Each LMS student becomes a staging folder ``canvas-<userid>`` or ``moodle-<participantid>``
holding the notebook chosen among their files (a notebook, or the zip that ``python -m netvis
submit`` writes); the latest resubmission wins and every choice is noted. Whatever cannot be
matched to a student, or holds no notebook, is listed in ``intake.json`` and printed as a
warning, never dropped in silence. Members of a zip are read by name, never extracted as paths.
"""
import csv
import io
import json
import re
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from .config import NOTEBOOK_NAME
from .files import atomic_write, atomic_write_text
from .notebook import notebook_order

INTAKE_NAME = "intake.json"
STAGING_NAME = ".staging"
"""The staging folder inside the output folder (a dot: no student is ever named so)."""
CANVAS_FILE = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
CANVAS_TEXT = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_late)?_(?P<user>\d+)_text\.html$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>file|onlinetext)_?$")
MOODLE_FILE = re.compile(r"^(?P<name>[^_/]+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>file|onlinetext)_(?P<file>[^/]+)$")
RESUBMISSION = re.compile(r"^(?P<stem>.*?)-(?P<n>\d+)(?P<ext>\.[^.]+)$")


class IntakeError(ValueError):
    """A download that cannot be read at all, or a bad --times file."""


@dataclass
class Submission:
    """One student's entry in intake.json."""
    student: str
    """The staging folder's name: ``canvas-<userid>``, ``moodle-<participantid>`` or the folder's own."""
    name: str
    lms: str
    lms_ids: dict
    file: str = ""
    """The chosen file, as named in the download (``archive.zip!member`` inside a zip)."""
    submitted_at: str = ""
    late: bool = False
    notes: list = field(default_factory=list)


@dataclass
class Intake:
    source: str
    lms: str
    submissions: dict = field(default_factory=dict)
    """student id -> Submission."""
    unmatched: list = field(default_factory=list)
    """[{"file": ..., "reason": ...}] for everything that could not be used."""
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"source": self.source, "lms": self.lms,
                "students": {s: asdict(sub) for s, sub in sorted(self.submissions.items())},
                "unmatched": self.unmatched, "warnings": self.warnings}


@dataclass
class _Entry:
    """A file of the download: its path inside it and how to read it."""
    path: str
    read: object


def _entries(source: Path) -> list:
    if source.is_file() and zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        return [_Entry(i.filename, lambda i=i: archive.read(i)) for i in archive.infolist()
                if not i.is_dir() and "__MACOSX" not in i.filename]
    if source.is_dir():
        return [_Entry(p.relative_to(source).as_posix(), p.read_bytes) for p in sorted(source.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(source).parts)]
    raise IntakeError(f"{source}: neither a folder nor a zip file")


def detect(source: Path) -> str:
    """"canvas", "moodle" or "folders" (one folder per student, graded as it is)."""
    source = Path(source)
    if source.is_dir() and not any(p.is_file() for p in source.iterdir()) and not any(
            MOODLE_FOLDER.match(p.name) for p in source.iterdir()):
        return "folders"
    entries = _entries(source)
    if any(MOODLE_FOLDER.match(PurePosixPath(e.path).parts[0]) for e in entries if "/" in e.path) or \
            any(MOODLE_FILE.match(e.path) for e in entries):
        return "moodle"
    if any(CANVAS_FILE.match(e.path) or CANVAS_TEXT.match(e.path) for e in entries if "/" not in e.path):
        return "canvas"
    if source.is_dir():
        return "folders"
    raise IntakeError(f"{source}: a zip that is neither a Canvas nor a Moodle download (see docs/gradebook.md)")


def _version(filename: str) -> tuple:
    """(name without the resubmission suffix, its number: 0 for the first upload)."""
    match = RESUBMISSION.match(filename)
    return (match["stem"] + match["ext"], int(match["n"])) if match else (filename, 0)


def _notebook_in_zip(data: bytes):
    """(member name, notebook bytes) of a submission zip (``python -m netvis submit``), or None."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if n.endswith(".ipynb") and "/." not in "/" + n
                 and "__MACOSX" not in n]
    except zipfile.BadZipFile:
        return None
    if not names:
        return None
    name = min(names, key=notebook_order)
    return name, archive.read(name)


def _choose(candidates: list, intake: Intake, submission: Submission) -> bytes:
    """Pick the notebook among one student's files: [(order key, path, entry)]; latest key wins.

    Returns the notebook's bytes (empty if none) and notes the choice on ``submission``."""
    usable = []
    for key, path, entry in candidates:
        if path.endswith(".ipynb"):
            usable.append((key, path, entry.read()))
        elif path.endswith(".zip"):
            found = _notebook_in_zip(entry.read())
            if found:
                usable.append((key, f"{path}!{found[0]}", found[1]))
            else:
                intake.unmatched.append({"file": path, "reason": f"{submission.student}: a zip without a notebook"})
        else:
            intake.unmatched.append({"file": path, "reason": f"{submission.student}: not a notebook or a zip"})
    if not usable:
        return b""
    usable.sort(key=lambda u: (u[0], u[1].endswith(".ipynb")))
    key, path, data = usable[-1]
    submission.file = path
    if len(usable) > 1:
        others = ", ".join(u[1] for u in usable[:-1])
        submission.notes.append(f"chose {path} (the latest) over {others}")
    return data


def _canvas(entries: list, intake: Intake) -> dict:
    per_user, late = {}, {}
    for entry in entries:
        match = None if "/" in entry.path else CANVAS_FILE.match(entry.path)
        if match is None:
            text = None if "/" in entry.path else CANVAS_TEXT.match(entry.path)
            reason = "a text entry, not a file" if text else "not named name_userid_submissionid_file"
            intake.unmatched.append({"file": entry.path, "reason": reason})
            continue
        student = f"canvas-{match['user']}"
        submission = intake.submissions.setdefault(student, Submission(
            student, match["name"], "canvas", {"canvas_user_id": match["user"], "canvas_submission_id": match["sub"]}))
        late[entry.path] = bool(match["late"])
        _, version = _version(match["file"])
        per_user.setdefault(student, []).append(((int(match["sub"]), version), entry.path, entry))
    chosen = {}
    for student, candidates in per_user.items():
        submission = intake.submissions[student]
        data = _choose(candidates, intake, submission)
        ids = {c[0][0] for c in candidates}
        if len(ids) > 1:
            intake.warnings.append(f"{student} ({submission.name}): {len(ids)} submissions; graded {submission.file}")
        if submission.file:
            path = submission.file.split("!")[0]
            submission.lms_ids["canvas_submission_id"] = str(next(c[0][0] for c in candidates if c[1] == path))
            submission.late = late[path]  # the graded file's own mark
            chosen[student] = data
    return chosen


def _moodle(entries: list, intake: Intake) -> dict:
    per_student = {}
    for entry in entries:
        parts = PurePosixPath(entry.path).parts
        match = MOODLE_FOLDER.match(parts[0]) if len(parts) > 1 else MOODLE_FILE.match(entry.path)
        if match is None:
            intake.unmatched.append({"file": entry.path, "reason": "neither inside a Name_<participantid>_assignsubmission_… folder nor so named"})
            continue
        student = f"moodle-{match['pid']}"
        submission = intake.submissions.setdefault(student, Submission(
            student, match["name"], "moodle", {"moodle_participant_id": match["pid"]}))
        if match["plugin"] == "onlinetext":
            intake.unmatched.append({"file": entry.path, "reason": f"{student}: online text, not a file"})
            continue
        _, version = _version(match["file"] if len(parts) == 1 else parts[-1])
        per_student.setdefault(student, []).append(((0, version), entry.path, entry))
    chosen = {}
    for student, candidates in per_student.items():
        data = _choose(candidates, intake, intake.submissions[student])
        if data:
            chosen[student] = data
    return chosen


def read_times(path: Path) -> dict:
    """--times: {student (any of its ids or its name): aware datetime} from a CSV student,submitted_at."""
    times = {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for number, row in enumerate(rows, start=2):
        if not {"student", "submitted_at"} <= set(row):
            raise IntakeError(f"{path}: the header must be student,submitted_at")
        times[row["student"].strip()] = parse_time(row["submitted_at"], f"{path} line {number}")
    return times


def parse_time(text: str, where: str) -> datetime:
    """An ISO 8601 time with its zone; anything else is an IntakeError naming ``where``."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise IntakeError(f"{where}: {text!r} is not an ISO 8601 time such as 2026-03-01T23:59:00-05:00") from None
    if moment.tzinfo is None:
        raise IntakeError(f"{where}: {text!r} has no time zone; write it as 2026-03-01T23:59:00-05:00 or …Z")
    return moment


def _apply_times(intake: Intake, times: dict) -> None:
    used = set()
    for submission in intake.submissions.values():
        for key in [submission.student, submission.name, *submission.lms_ids.values()]:
            if key in times:
                submission.submitted_at = times[key].isoformat()
                used.add(key)
                break
    for key in sorted(set(times) - used):
        intake.warnings.append(f"--times: {key} matches no submission")


def take_in(source: Path, out_dir: Path, times_file=None) -> tuple:
    """Read ``source``; return (the folder of student folders to grade, the Intake or None).

    For an LMS download the staging folder is ``OUT/.staging`` and ``OUT/intake.json`` is written;
    a folder of student folders is handed back as it is (with --times, intake.json still records them)."""
    source, out_dir = Path(source), Path(out_dir)
    kind = detect(source)
    times = read_times(Path(times_file)) if times_file else {}
    if kind == "folders":
        if not times:
            return source, None
        intake = Intake(str(source), "folders")
        for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
            intake.submissions[folder.name] = Submission(folder.name, folder.name, "folders", {}, NOTEBOOK_NAME)
        _apply_times(intake, times)
        _write(out_dir, intake)
        return source, intake
    intake = Intake(str(source), kind)
    chosen = (_canvas if kind == "canvas" else _moodle)(_entries(source), intake)
    for student, submission in intake.submissions.items():
        if student not in chosen:
            intake.warnings.append(f"{student} ({submission.name}): no notebook among the files; not graded")
    _apply_times(intake, times)
    staging = out_dir / STAGING_NAME
    for stale in (p for p in staging.glob("*") if p.is_dir() and p.name not in chosen):
        shutil.rmtree(stale)  # a student of an earlier download of this OUT, absent from this one: not graded again
    for student, data in chosen.items():
        (staging / student).mkdir(parents=True, exist_ok=True)
        atomic_write(staging / student / NOTEBOOK_NAME, lambda f, data=data: f.write(data))
    staging.mkdir(parents=True, exist_ok=True)
    _write(out_dir, intake)
    return staging, intake


def _write(out_dir: Path, intake: Intake) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / INTAKE_NAME, json.dumps(intake.to_dict(), indent=1))


def read_intake(out_dir: Path) -> dict:
    """intake.json's "students" (student id -> its entry as a dict), or {} where there is none."""
    try:
        return json.loads((Path(out_dir) / INTAKE_NAME).read_text())["students"]
    except (OSError, ValueError, KeyError):
        return {}


def summary(intake: Intake) -> list:
    """Lines for the terminal: what was taken in, every warning, every unmatched file."""
    lines = [f"intake: {intake.lms} download {intake.source}: {len(intake.submissions)} student(s)"]
    lines += [f"warning: {w}" for w in intake.warnings]
    lines += [f"warning: unmatched {u['file']}: {u['reason']}" for u in intake.unmatched]
    lines += [f"note: {s.student}: {n}" for s in intake.submissions.values() for n in s.notes]
    return lines
