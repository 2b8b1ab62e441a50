"""The course policy: a TOML file (schema in docs/gradebook.md), checked on load.

It holds the due date and its zone, the grace period, the late penalty and its cap, the
per-student extensions (a CSV), how extra credit counts, the hand-graded questions' points,
Gradescope's visibility of hidden cases, and the names the LMS imports need. Every error
names the file and the key and says what to write instead.
"""
import csv
import math
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EXTRA_CREDIT_MODES = ("add", "separate", "ignore")
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
MOODLE_IDENTIFIERS = ("participant", "email", "idnumber", "username")
DEFAULT_QUESTIONS = {"inline_question_1": 2.0, "inline_question_2": 2.0, "inline_question_3": 2.0,
                     "inline_question_4": 2.0, "inline_question_5": 2.0}
DEFAULT_EXTRA_QUESTIONS = ("inline_question_4", "inline_question_5")
"""The kit's inline questions: 6 points, and 4 of extra credit (Part 5's)."""
KNOWN = {"assignment": {"name", "canvas_id", "due", "timezone"},
         "late": {"grace_minutes", "penalty_percent", "per", "cap_percent", "on_gradescope"},
         "extensions": {"file"}, "extra_credit": {"mode", "cap"},
         "hand_graded": {"questions", "extra_credit"}, "gradescope": {"hidden_visibility"},
         "moodle": {"identifier", "roster"}}


class PolicyError(ValueError):
    """A policy file (or its extensions CSV) that cannot be used; the message says what to write."""


@dataclass
class Policy:
    name: str = "Network Visualization"
    canvas_id: str = ""
    due: datetime = None
    """Aware; None: no due date, nothing is late."""
    grace: timedelta = timedelta(0)
    penalty_percent: float = 0.0
    """Percent of the earned points taken per started day (or hour) late, after the grace period."""
    per: str = "day"
    cap_percent: float = 100.0
    on_gradescope: bool = False
    """Whether Gradescope's results apply the penalty (from submission_metadata.json)."""
    extensions: dict = field(default_factory=dict)
    """student -> extended due date (aware datetime)."""
    extra_credit: str = "separate"
    extra_credit_cap: float = math.inf
    questions: dict = field(default_factory=lambda: dict(DEFAULT_QUESTIONS))
    """Hand-graded question -> its maximum points."""
    extra_questions: tuple = DEFAULT_EXTRA_QUESTIONS
    hidden_visibility: str = "after_due_date"
    moodle_identifier: str = "participant"
    roster: dict = field(default_factory=dict)
    """student -> {"email": ..., "idnumber": ..., "username": ...}, from the roster CSV."""
    source: str = ""
    companions: tuple = ()
    """The CSVs the file names (relative to it), which travel with it into the Gradescope bundle."""

    @property
    def canvas_column(self) -> str:
        """The assignment's column as Canvas exports it: ``Name (id)``."""
        return f"{self.name} ({self.canvas_id})" if self.canvas_id else self.name

    def due_for(self, student: str):
        return self.extensions.get(student, self.due)

    def lateness(self, student: str, submitted_at) -> tuple:
        """(days late, penalty percent) for a submission at ``submitted_at`` (None: not known)."""
        return self.late_by(self.due_for(student), submitted_at)

    def late_by(self, due, submitted_at) -> tuple:
        """``lateness`` against a given due date (Gradescope's for its submitter; None: nothing is late)."""
        if due is None or submitted_at is None:
            return 0.0, 0.0
        late = submitted_at - due
        if late <= self.grace:
            return 0.0, 0.0
        unit = timedelta(days=1) if self.per == "day" else timedelta(hours=1)
        units = math.ceil((late - self.grace) / unit)
        return late / timedelta(days=1), min(units * self.penalty_percent, self.cap_percent)


def _fail(path, key, problem, instead) -> PolicyError:
    return PolicyError(f"{path}: {key}: {problem}; write {instead}")


def aware(value, zone, path, key) -> datetime:
    """A due date from TOML (datetime or text) made aware: its own offset, else ``zone``; neither is an error."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _fail(path, key, f"{value!r} is not a date and time", "2026-03-01T23:59:00-05:00") from None
    if not isinstance(value, datetime):
        raise _fail(path, key, f"{value!r} is a date without a time", "2026-03-01T23:59:00-05:00")
    if value.tzinfo is None:
        if zone is None:
            raise _fail(path, key, f"{value.isoformat()} has no time zone",
                        f"{value.isoformat()}-05:00 or set [assignment] timezone = \"America/New_York\"")
        value = value.replace(tzinfo=zone)
    return value


def _number(table, key, path, section, default, low=0.0):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise _fail(path, f"[{section}] {key}", f"{value!r} is not a number >= {low:g}", f"{key} = {default}")
    return float(value)


def load(path) -> Policy:
    """The Policy in the TOML file ``path``; the CSVs it names are relative to it."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise PolicyError(f"{path}: cannot be read as TOML: {err}") from None
    for section, value in data.items():
        if section not in KNOWN or not isinstance(value, dict):
            raise PolicyError(f"{path}: unknown section [{section}]; the sections are {', '.join(sorted(KNOWN))}")
        unknown = set(value) - KNOWN[section]
        if unknown:
            raise PolicyError(f"{path}: [{section}] unknown key(s) {', '.join(sorted(unknown))}; "
                              f"the keys are {', '.join(sorted(KNOWN[section]))}")
    policy = Policy(source=str(path))
    assignment, late = data.get("assignment", {}), data.get("late", {})
    policy.name = str(assignment.get("name", policy.name))
    policy.canvas_id = str(assignment.get("canvas_id", ""))
    zone = None
    if "timezone" in assignment:
        try:
            zone = ZoneInfo(assignment["timezone"])
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise _fail(path, "[assignment] timezone", f"{assignment['timezone']!r} is not a time zone",
                        'an IANA name such as "Europe/Paris"') from None
    if "due" in assignment:
        policy.due = aware(assignment["due"], zone, path, "[assignment] due")
    policy.grace = timedelta(minutes=_number(late, "grace_minutes", path, "late", 0))
    policy.penalty_percent = _number(late, "penalty_percent", path, "late", 0)
    policy.cap_percent = min(_number(late, "cap_percent", path, "late", 100), 100.0)
    policy.per = late.get("per", "day")
    if policy.per not in ("day", "hour"):
        raise _fail(path, "[late] per", f"{policy.per!r}", 'per = "day" or per = "hour"')
    policy.on_gradescope = bool(late.get("on_gradescope", False))
    if policy.penalty_percent and policy.due is None and not policy.on_gradescope:
        raise _fail(path, "[assignment] due", "a late penalty needs a due date", 'due = 2026-03-01T23:59:00-05:00')
    extra = data.get("extra_credit", {})
    policy.extra_credit = extra.get("mode", policy.extra_credit)
    if policy.extra_credit not in EXTRA_CREDIT_MODES:
        raise _fail(path, "[extra_credit] mode", f"{policy.extra_credit!r}", " or ".join(f'"{m}"' for m in EXTRA_CREDIT_MODES))
    policy.extra_credit_cap = _number(extra, "cap", path, "extra_credit", math.inf)
    hand = data.get("hand_graded", {})
    if "questions" in hand:
        questions = hand["questions"]
        if not isinstance(questions, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in questions.values()):
            raise _fail(path, "[hand_graded] questions", "must map each question to its maximum points",
                        "questions = { inline_question_1 = 2, inline_question_2 = 2 }")
        policy.questions = {str(k): float(v) for k, v in questions.items()}
    policy.extra_questions = tuple(hand.get("extra_credit", DEFAULT_EXTRA_QUESTIONS if "questions" not in hand else ()))
    unknown = set(policy.extra_questions) - set(policy.questions)
    if unknown:
        raise _fail(path, "[hand_graded] extra_credit", f"names unknown question(s) {', '.join(sorted(unknown))}",
                    "only questions listed in questions")
    policy.hidden_visibility = data.get("gradescope", {}).get("hidden_visibility", policy.hidden_visibility)
    if policy.hidden_visibility not in VISIBILITIES:
        raise _fail(path, "[gradescope] hidden_visibility", f"{policy.hidden_visibility!r}",
                    " or ".join(f'"{v}"' for v in VISIBILITIES))
    moodle = data.get("moodle", {})
    policy.moodle_identifier = moodle.get("identifier", policy.moodle_identifier)
    if policy.moodle_identifier not in MOODLE_IDENTIFIERS:
        raise _fail(path, "[moodle] identifier", f"{policy.moodle_identifier!r}",
                    " or ".join(f'"{v}"' for v in MOODLE_IDENTIFIERS))
    if "roster" in moodle:
        policy.roster = _roster(path.parent / moodle["roster"], path)
    elif policy.moodle_identifier != "participant":
        raise _fail(path, "[moodle] roster", f"identifier = {policy.moodle_identifier!r} needs a roster",
                    f'roster = "roster.csv" (columns student,{policy.moodle_identifier})')
    if "file" in data.get("extensions", {}):
        policy.extensions = extensions(path.parent / data["extensions"]["file"], policy, zone)
    names = [data.get("extensions", {}).get("file"), moodle.get("roster")]
    for name in filter(None, names):
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise PolicyError(f"{path}: {name!r}: name a CSV beside the policy file or below it (no .. or /)")
    policy.companions = tuple(filter(None, names))
    return policy


def extensions(csv_path: Path, policy: Policy, zone=None) -> dict:
    """student -> extended due date, from student,extended_due or student,extra_hours."""
    try:
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise PolicyError(f"{policy.source}: [extensions] file: {err}") from None
    out = {}
    for number, row in enumerate(rows, start=2):
        where = f"{csv_path} line {number}"
        student = (row.get("student") or "").strip()
        if not student:
            raise PolicyError(f"{where}: no student; the header is student,extended_due or student,extra_hours")
        if row.get("extended_due"):
            out[student] = aware(row["extended_due"].strip(), zone, where, "extended_due")
        elif row.get("extra_hours"):
            if policy.due is None:
                raise PolicyError(f"{where}: extra_hours needs [assignment] due in {policy.source}")
            try:
                out[student] = policy.due + timedelta(hours=float(row["extra_hours"]))
            except ValueError:
                raise PolicyError(f"{where}: extra_hours {row['extra_hours']!r} is not a number of hours") from None
        else:
            raise PolicyError(f"{where}: {student} has neither extended_due nor extra_hours")
    return out


def _roster(csv_path: Path, path) -> dict:
    try:
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise PolicyError(f"{path}: [moodle] roster: {err}") from None
    if rows and "student" not in rows[0]:
        raise PolicyError(f"{csv_path}: the header needs a student column (and email, idnumber or username)")
    return {row["student"].strip(): {k: (v or "").strip() for k, v in row.items() if k != "student"} for row in rows}
