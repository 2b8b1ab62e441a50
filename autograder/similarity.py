"""``python -m autograder similarity``: which submissions are unusually alike, for a person to review.

Every pair of students is compared function by function on the tokens of ``code_norm`` with
copydetect's fingerprints (each normalised token is one character of the text that copydetect
fingerprints, so its k-grams are k tokens; every k-gram is kept, see ``WINDOW``). A function's *likeness* in a pair is the
mean of the two shares of tokens covered by shared fingerprints (0 to 1).

Likeness alone would rank short functions that everyone writes alike first, so each is measured
against the class: per function, ``z = (likeness - median) / max(1.4826 * MAD, MIN_SPREAD)`` over
all the pairs that both wrote it (a robust z-score: a few copies do not move it). A pair's score
is Stouffer's weighted sum of its functions' z, ``sum(w * z) / sqrt(sum(w ** 2))``, with
``w = sqrt(tokens of the shorter of the two)``: long functions alike count for more than short
ones. Pairs are ranked by that score; ``THRESHOLD`` marks those worth a look. With ``--against``,
each submission is also compared with known solutions (.py or .ipynb files, functions by name),
scored against the same class statistics.

The report goes only into the folder it is given; nothing here runs student code or touches a
grading output.
"""
import io
import math
import statistics
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from copydetect import CodeFingerprint, compare_files

from . import code_norm
from .config import NOTEBOOK_NAME
from .files import atomic_write_text
from .notebook import SubmissionError, find_notebook

K = 7
"""Tokens per fingerprinted k-gram: shorter runs are never counted as shared."""
WINDOW = 1
"""Winnowing window 1: every k-gram is kept. copydetect hashes k-grams with Python's ``hash``, which
changes from process to process, and winnowing keeps the smallest hash of each window, so with a
larger window the same class could score differently on every run; functions are short enough to
keep them all."""
MIN_SPREAD = 0.05
"""The smallest spread a function's likeness is divided by, for functions the whole class writes alike."""
NO_CLASS = (0.0, 0.25)
"""(median, spread) where the class has no pair at all to measure against: a likeness of 1 scores 4."""
THRESHOLD = 5.0
"""Default score above which a pair is marked for review."""
TEMPLATE_NAME = "similarity.html.j2"


class SimilarityError(Exception):
    """Bad input to the command; the message says what to do."""


@dataclass
class Entry:
    """One submission or one known solution: its functions, fingerprinted."""
    id: str
    functions: dict
    fingerprints: dict = field(default_factory=dict)


_ALPHABET: dict = {}


def _encode(tokens: list) -> str:
    """One character per normalised token (the same character for the same token, in this process)."""
    return "".join(_ALPHABET.setdefault(t.text, chr(0x4E00 + len(_ALPHABET))) for t in tokens)


def _fingerprint(function) -> CodeFingerprint:
    return CodeFingerprint(function.name, K, WINDOW, filter=False, fp=io.StringIO(_encode(function.tokens)))


def _entry(id_: str, functions: dict) -> Entry:
    return Entry(id_, functions, {name: _fingerprint(f) for name, f in functions.items()})


def load_class(submissions: Path):
    """(entries, skipped): each readable student's functions; student id -> why one was skipped."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise SimilarityError(f"{submissions} is not a folder: give the folder of student folders "
                              "that `python -m autograder grade` takes (one folder per student, holding the notebook).")
    folders = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    entries, skipped = [], {}
    for folder in folders:
        notebook = find_notebook(folder)
        if notebook is None:
            skipped[folder.name] = "no notebook (.ipynb) in the folder"
            continue
        try:
            functions = code_norm.notebook_functions(notebook)
        except SubmissionError as err:
            skipped[folder.name] = str(err)
            continue
        except Exception as err:  # noqa: BLE001 - one odd notebook costs its own place in the report, never the report
            skipped[folder.name] = f"its code could not be taken apart ({type(err).__name__}: {str(err)[:200]})"
            continue
        if not functions:
            skipped[folder.name] = "no student function written beyond the starter code"
            continue
        entries.append(_entry(folder.name, functions))
    if not any(find_notebook(f) for f in folders):
        raise SimilarityError(f"no notebooks found in the student folders of {submissions}: each student needs "
                              f"a folder holding {NOTEBOOK_NAME} (the layout `python -m autograder grade` takes).")
    return entries, skipped


def load_solutions(folder: Path) -> list:
    """The known solutions in ``folder``: every .py and .ipynb file, its functions found by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SimilarityError(f"--against {folder} is not a folder: give a folder of known solutions (.py or .ipynb files).")
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file()):
        try:
            functions = code_norm.file_functions(path)
        except (OSError, ValueError):
            continue
        if functions:
            entries.append(_entry(str(path.relative_to(folder)), functions))
    if not entries:
        raise SimilarityError(f"no student function (by name) found in the .py or .ipynb files of {folder}.")
    return entries


def _likeness(a: CodeFingerprint, b: CodeFingerprint):
    """(likeness, token index ranges marked in a, in b)."""
    _, shares, slices = compare_files(a, b)
    ranges = [[(int(s), int(e)) for s, e in zip(*side)] if side.size else [] for side in slices]
    return (float(shares[0]) + float(shares[1])) / 2, ranges[0], ranges[1]


@dataclass
class FunctionMatch:
    name: str
    likeness: float
    z: float
    weight: float
    marks: tuple
    """Token ranges shared, in the first and in the second entry's function."""


@dataclass
class Match:
    first: str
    second: str
    score: float
    likeness: float
    functions: list

    def summary(self) -> dict:
        return {"ids": [self.first, self.second], "score": round(self.score, 3), "likeness": round(self.likeness, 3),
                "functions": {f.name: {"likeness": round(f.likeness, 3), "z": round(f.z, 3)} for f in self.functions}}


def _compare(a: Entry, b: Entry) -> dict:
    return {name: _likeness(a.fingerprints[name], b.fingerprints[name])
            for name in a.functions if name in b.functions}


def class_statistics(likenesses: dict) -> dict:
    """Function name -> (median, spread) of its likeness over the class's pairs; under ``None``, over
    all functions pooled, for a function that no pair of the class shares (matches with solutions)."""
    values = {}
    for per_function in likenesses.values():
        for name, (likeness, _, _) in per_function.items():
            values.setdefault(name, []).append(likeness)
    if values:
        values[None] = [x for xs in values.values() for x in xs]
    stats = {}
    for name, xs in values.items():
        median = statistics.median(xs)
        mad = statistics.median(abs(x - median) for x in xs)
        stats[name] = (median, max(1.4826 * mad, MIN_SPREAD))
    return stats


def _match(a: Entry, b: Entry, per_function: dict, stats: dict) -> Match:
    functions = []
    for name, (likeness, marks_a, marks_b) in per_function.items():
        median, spread = stats.get(name) or stats.get(None) or NO_CLASS
        weight = math.sqrt(min(len(a.functions[name].tokens), len(b.functions[name].tokens)))
        functions.append(FunctionMatch(name, likeness, (likeness - median) / spread, weight, (marks_a, marks_b)))
    weights = math.sqrt(sum(f.weight ** 2 for f in functions)) or 1.0
    score = sum(f.weight * f.z for f in functions) / weights
    size = sum(f.weight ** 2 for f in functions) or 1.0
    likeness = sum(f.weight ** 2 * f.likeness for f in functions) / size
    return Match(a.id, b.id, score, likeness, functions)


@dataclass
class Report:
    pairs: list
    against: list
    skipped: dict
    entries: dict
    """id -> Entry, students and known solutions (ids of solutions are their file names)."""
    threshold: float = THRESHOLD


def analyse(entries: list, solutions: list = ()) -> Report:
    """Every pair ranked by score, highest first; each submission's matches with the solutions, likewise."""
    likenesses = {(a.id, b.id): _compare(a, b) for a, b in combinations(entries, 2)}
    stats = class_statistics(likenesses)
    by_id = {e.id: e for e in entries}
    pairs = [_match(by_id[a], by_id[b], per, stats) for (a, b), per in likenesses.items() if per]
    against = [_match(s, k, _compare(s, k), stats) for s in entries for k in solutions]
    against = [m for m in against if m.functions]
    pairs.sort(key=lambda m: (-m.score, m.first, m.second))
    against.sort(key=lambda m: (-m.score, m.first, m.second))
    return Report(pairs, against, {}, {**by_id, **{k.id: k for k in solutions}})


def _marked(function, ranges: list) -> list:
    """The function's source as (text, marked) segments, the shared token ranges marked."""
    spans = sorted((function.tokens[s].start, function.tokens[min(e, len(function.tokens)) - 1].end) for s, e in ranges)
    segments, position = [], 0
    for start, end in spans:
        start = max(start, position)
        if start > position:
            segments.append((function.source[position:start], False))
        if end > start:
            segments.append((function.source[start:end], True))
        position = max(position, end)
    segments.append((function.source[position:], False))
    return [s for s in segments if s[0]]


def _view(match: Match, report: Report) -> dict:
    first, second = report.entries[match.first], report.entries[match.second]
    return {"match": match, "functions": [
        {"name": f.name, "likeness": f.likeness, "z": f.z,
         "first": _marked(first.functions[f.name], f.marks[0]), "second": _marked(second.functions[f.name], f.marks[1])}
        for f in sorted(match.functions, key=lambda f: -f.weight * f.z)]}


def _by_submission(matches: list) -> dict:
    """Submission id -> its matches with the known solutions, highest score first."""
    grouped = {}
    for match in matches:  # already in order
        grouped.setdefault(match.first, []).append(
            {"solution": match.second, "score": round(match.score, 3), "likeness": round(match.likeness, 3)})
    return grouped


def report_json(report: Report) -> dict:
    return {"note": "For a person to review, not a verdict.",
            "method": {"k": K, "window": WINDOW, "min_spread": MIN_SPREAD, "threshold": report.threshold},
            "pairs": [m.summary() for m in report.pairs],
            "against": [m.summary() for m in report.against],
            "against_by_submission": _by_submission(report.against),
            "skipped": report.skipped}


LISTED = 300
"""Pairs (and matches) the page lists; similarity.json has them all."""


def report_html(report: Report, shown: int = 30) -> str:
    """The page: the ranked pairs, the code of the top ones side by side with the shared runs marked."""
    from .feedback_page import environment

    return environment().get_template(TEMPLATE_NAME).render(
        pairs=report.pairs[:LISTED], against=report.against[:LISTED], total=len(report.pairs),
        total_against=len(report.against), skipped=report.skipped, threshold=report.threshold,
        shown=[_view(m, report) for m in report.pairs[:shown]],
        shown_against=[_view(m, report) for m in report.against[:min(shown, 10)]])


def write_report(submissions: Path, out_dir: Path, against: Path = None, threshold: float = THRESHOLD) -> Report:
    """``out_dir/similarity.json`` and ``similarity.html`` for the class in ``submissions``."""
    import json

    entries, skipped = load_class(submissions)
    solutions = load_solutions(against) if against else []
    if len(entries) < 2 and not solutions:
        raise SimilarityError(f"only {len(entries)} readable submission(s) in {submissions}: "
                              "a comparison needs two, or --against a folder of known solutions.")
    report = analyse(entries, solutions)
    report.skipped, report.threshold = skipped, threshold
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "similarity.json", json.dumps(report_json(report), indent=1) + "\n")
    atomic_write_text(out_dir / "similarity.html", report_html(report))
    return report
