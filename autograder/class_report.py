"""The class report: one page (and the same numbers as JSON) about a whole graded class.

Computed from the per-student records alone (``reports.read_results``), so shards merged into one
folder give the report one run gives. It shows the score distribution (the assignment and the
extra credit apart), per check its pass rate and the named mistakes behind its failures (ids and
titles from ``netvis.checks.mistakes``, each with links to the students' feedback pages), the
notebook cells that raised most often (by exception type), and the grading's health: isolation
modes, references, faults by kind, the slowest submissions.

No student code appears: cells are shown by number, errors by their exception's type only. The
JSON is deterministic (keys and lists sorted); the one part that differs between two gradings of
the same notebooks (the seconds, the sandboxes' uids) is under the top-level key ``RUN_KEY``.
"""
import base64
import io
import json
import re
from pathlib import Path
from urllib.parse import quote

from netvis.checks import CHECKS, CHECKS_BY_ID, mistakes, part_of

from .feedback_page import environment
from .files import atomic_write_text
from .reports import FEEDBACK_NAME, isolation_summary, read_results

HTML_NAME, JSON_NAME = "class_report.html", "class_report.json"
TEMPLATE_NAME = "class_report.html.j2"
REVIEW_FAIL_RATE = 0.5
"""A check that more than this fraction of the class fails is flagged for review."""
SLOWEST = 5
TOP_CELLS = 10
RUN_KEY = "run"
"""The JSON's only run-dependent part (seconds, the isolation with its uids); leave it out when
comparing two gradings."""
SELF_TEST = ("Every record was written after the self-test passed: the grader graded the solution notebook "
             "in the same sandbox with full marks before writing anything (autograder/selftest.py).")
SELF_TESTS_DIR = ".self_tests"
"""In an output folder: one file per grading run (``<shard>.json``, written by ``write_self_test``)
with its self-test's verdict; ``merge`` copies them, the report lists them under ``RUN_KEY``."""
_TYPE = re.compile(r"^([A-Za-z_][\w.]*)(:|$)")


def quartiles(values) -> dict:
    """{"min", "q1", "median", "q3", "max"} of ``values`` (linear interpolation, as numpy's default);
    all None for no values."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return dict.fromkeys(("min", "q1", "median", "q3", "max"))

    def at(p):
        position = p * (len(xs) - 1)
        low = int(position)
        high = min(low + 1, len(xs) - 1)
        return round(xs[low] + (xs[high] - xs[low]) * (position - low), 6)

    return {"min": xs[0], "q1": at(0.25), "median": at(0.5), "q3": at(0.75), "max": xs[-1]}


def distribution(scores, most: float) -> dict:
    """Quartiles, the largest possible score and {score: students} of ``scores``."""
    counts = {}
    for score in scores:
        counts[f"{score:g}"] = counts.get(f"{score:g}", 0) + 1
    return {"max_points": most, "students": len(scores), **quartiles(scores),
            "counts": dict(sorted(counts.items(), key=lambda item: float(item[0])))}


def feedback_link(student: str) -> str:
    """The relative link to a student's feedback page (the id URL-quoted)."""
    return f"{quote(student, safe='')}/{FEEDBACK_NAME}"


def error_type(text: str) -> str:
    """The exception type of a cell's error: the leading ``Name:`` of its last line, or "other"."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    match = _TYPE.match(lines[-1]) if lines else None
    return match.group(1) if match else "other"


def _check_rows(results) -> list:
    """Per check (in CHECKS order, then unknown ids sorted): pass rate, review flag, named mistakes."""
    known = [c.id for c in CHECKS]
    seen = {c.id for r in results for c in r.checks}
    rows = []
    for check_id in known + sorted(seen - set(known)):
        verdicts = [(r.student, c) for r in results for c in r.checks if c.id == check_id]
        if not verdicts and check_id not in CHECKS_BY_ID:
            continue
        failed = [(s, c) for s, c in verdicts if not c.passed]
        by_mistake = {}
        for student, verdict in failed:
            by_mistake.setdefault(verdict.mistake, []).append(student)
        rate = (len(verdicts) - len(failed)) / len(verdicts) if verdicts else None
        rows.append({
            "id": check_id, "part": part_of(check_id.split("-")[0]).number,
            "extra_credit": part_of(check_id.split("-")[0]).extra_credit,
            "students": len(verdicts), "passed": len(verdicts) - len(failed), "failed": len(failed),
            "pass_rate": None if rate is None else round(rate, 4),
            "review": bool(verdicts) and len(failed) / len(verdicts) > REVIEW_FAIL_RATE,
            "mistakes": sorted(({"id": m, "title": mistakes.title(m), "count": len(s), "students": sorted(s)}
                                for m, s in by_mistake.items()), key=lambda m: (-m["count"], m["id"])),
        })
    return rows


def _cell_rows(results) -> list:
    """The cells that raised, most often first: per cell, its students and their errors by type."""
    cells = {}
    for result in results:
        for number, text in result.notebook_errors.items():
            cells.setdefault(str(number), {}).setdefault(error_type(text), []).append(result.student)
    rows = [{"cell": number, "count": sum(map(len, types.values())),
             "errors": sorted(({"type": t, "count": len(s), "students": sorted(s)} for t, s in types.items()),
                              key=lambda e: (-e["count"], e["type"]))}
            for number, types in cells.items()]
    rows.sort(key=lambda row: (-row["count"], int(row["cell"]) if row["cell"].isdigit() else 1 << 30, row["cell"]))
    return rows[:TOP_CELLS]


def _mode(isolation: dict) -> str:
    """The isolation mode in a few words, without its user (a uid differs from run to run)."""
    if not isolation:
        return "not recorded (graded in process)"
    mode = isolation.get("mode", "none")
    return f"{mode} (Landlock ABI {isolation['landlock']})" if isolation.get("landlock") else mode


def _health(results) -> dict:
    isolation, references, faults, problems = {}, {}, {}, []
    for result in results:
        mode = _mode(result.isolation)
        isolation[mode] = isolation.get(mode, 0) + 1
        references[result.references or "unknown"] = references.get(result.references or "unknown", 0) + 1
        if result.problem:
            problems.append(result.student)
        for check in result.checks:
            if check.mistake.startswith("fault-") or check.mistake in ("not-run-budget", "interrupted"):
                entry = faults.setdefault(check.mistake, {"title": mistakes.title(check.mistake), "count": 0,
                                                          "students": set()})
                entry["count"] += 1
                entry["students"].add(result.student)
    return {"isolation": dict(sorted(isolation.items())), "references": dict(sorted(references.items())),
            "self_test": SELF_TEST, "ungradable": sorted(problems),
            "timeouts": faults.get("fault-timeout", {}).get("count", 0),
            "faults": {k: dict(v, students=sorted(v["students"])) for k, v in sorted(faults.items())}}


def summary(results) -> dict:
    """The class report's numbers (what class_report.json holds), from SubmissionResults alone."""
    results = sorted(results, key=lambda r: r.student)
    assignment = distribution([r.score for r in results], max((r.max_score for r in results), default=0))
    extra = distribution([r.extra_score for r in results], max((r.extra_max_score for r in results), default=0))
    slowest = sorted(results, key=lambda r: (-r.seconds, r.student))[:SLOWEST]
    return {
        "students": [r.student for r in results],
        "scores": {"assignment": assignment, "extra_credit": extra},
        "checks": _check_rows(results),
        "cells": _cell_rows(results),
        "health": _health(results),
        RUN_KEY: {"slowest": [{"student": r.student, "seconds": round(r.seconds, 1)} for r in slowest],
                  "seconds": quartiles([r.seconds for r in results]),
                  "isolation": sorted({isolation_summary(r.isolation) for r in results if r.isolation}),
                  "self_tests": []},  # write_class_report fills it from the output folder
    }


def histogram_png(distribution_: dict, title: str) -> str:
    """A bar chart of the students per score (base64 PNG, Agg), bars at every whole point."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 2.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    scores = [float(s) for s in distribution_["counts"]]
    axes.bar(scores, list(distribution_["counts"].values()), width=0.8, color="#3b6ea8")
    axes.set_xlim(-0.7, max(distribution_["max_points"], max(scores, default=0)) + 0.7)
    axes.set_xlabel("points")
    axes.set_ylabel("students")
    axes.set_title(title, fontsize=10)
    axes.yaxis.get_major_locator().set_params(integer=True)
    for name in ("median", "q1", "q3"):
        if distribution_[name] is not None:
            axes.axvline(distribution_[name], color="#b3261e" if name == "median" else "#9a6700",
                         linestyle="-" if name == "median" else "--", linewidth=1)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(data: dict) -> str:
    """The page, from ``summary``'s numbers (every text escaped by the template environment)."""
    scores = data["scores"]
    charts = {key: histogram_png(scores[key], label) for key, label in
              (("assignment", "Assignment"), ("extra_credit", "Extra credit (Part 5)")) if scores[key]["max_points"]}
    titles = {c.id: (c.description or "").strip().splitlines()[0] if c.description else "" for c in CHECKS}
    return environment().get_template(TEMPLATE_NAME).render(
        data=data, charts=charts, titles=titles, link=feedback_link, review_rate=REVIEW_FAIL_RATE)


def write_self_test(out_dir: Path, shard: tuple, proof) -> None:
    """Record a grading run's passed self-test (a ``selftest.BackgroundSelfTest`` after its verdict)."""
    folder = Path(out_dir) / SELF_TESTS_DIR
    folder.mkdir(exist_ok=True)
    atomic_write_text(folder / f"shard-{shard[0]}-of-{shard[1]}.json", json.dumps({
        "shard": f"{shard[0]}/{shard[1]}", "passed": True, "isolation": isolation_summary(proof.isolation),
        "remembered": proof.remembered, "seconds": round(proof.seconds, 1)}, sort_keys=True))


def read_self_tests(out_dir: Path) -> list:
    """The self-test records of the runs that wrote into ``out_dir``, by shard."""
    records = []
    for path in sorted((Path(out_dir) / SELF_TESTS_DIR).glob("*.json")):
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return records


def write_class_report(out_dir: Path, results=None) -> Path:
    """Write class_report.json and class_report.html into ``out_dir`` (atomically) from its records;
    returns the HTML's path."""
    out_dir = Path(out_dir)
    data = summary(read_results(out_dir) if results is None else results)
    data[RUN_KEY]["self_tests"] = read_self_tests(out_dir)
    atomic_write_text(out_dir / JSON_NAME, json.dumps(data, indent=1, sort_keys=True) + "\n")
    atomic_write_text(out_dir / HTML_NAME, render_html(data))
    return out_dir / HTML_NAME
