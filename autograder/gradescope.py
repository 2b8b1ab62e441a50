"""A Gradescope autograder bundle, and the command it runs on Gradescope's machine.

``python -m autograder gradescope-bundle --out ZIP`` writes a zip with ``setup.sh``,
``run_autograder`` and beside them the helpers, the autograder, the solution notebook, the
reference tensors and the data files. Gradescope unpacks it into ``/autograder/source`` and
runs ``setup.sh`` there once. For each submission, ``run_autograder`` grades
``/autograder/submission`` into ``/autograder/results/results.json``; ``AUTOGRADER_ROOT``
moves that tree elsewhere, for a local trial.

With a course policy (``gradescope-bundle --policy FILE`` puts it in the bundle as
``policy.toml``), the hidden cases' messages follow its ``[gradescope] hidden_visibility``, and
where ``[late] on_gradescope = true`` the late penalty is taken from the score, reckoned from
``/autograder/submission_metadata.json``: ``created_at`` against the due date Gradescope gives the
submitter (``users[].assignment.due_date``, which carries an extension, else ``assignment.due_date``).
"""
import json
import zipfile
from datetime import datetime
from pathlib import Path

from netvis.config import data_dir

from . import config
from .config import KIT_ROOT, NOTEBOOK_NAME, REFERENCES_DIR
from .files import atomic_write, atomic_write_text

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
cd /autograder/source
python3 -m pip install --quiet -r requirements.txt
python3 -m pip install --quiet --no-deps -e .
export NETVIS_DATA_DIR=/autograder/source/datasets NETVIS_REFERENCES_DIR=/autograder/source/build/references
# Student code may run as another uid here (the "uid" isolation mode): close the solution, the
# references and the grader to other users; the helpers and the data stay readable.
python3 -m autograder protect
# Prove the sandbox once here: a run whose machine matches (kernel, capabilities, uid map, ...)
# then remembers the verdict instead of grading the solution again; any other run proves it anew.
python3 -m autograder self-test || echo "setup: the self-test did not pass here; every run will prove the sandbox itself"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. The isolation is the strongest this machine allows
# (--isolation auto); where none is possible, results.json says so and grades nobody.
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
cd "$root/source"
export NETVIS_DATA_DIR="$root/source/datasets" NETVIS_REFERENCES_DIR="$root/source/build/references"
mkdir -p "$root/results"
chmod 700 "$root/results"
policy=()
if [ -f "$root/source/policy.toml" ]; then policy=(--policy "$root/source/policy.toml"); fi
python3 -m autograder gradescope-run --submission "$root/submission" --results "$root/results/results.json" \
    --metadata "$root/submission_metadata.json" ${policy[@]+"${policy[@]}"} ${NETVIS_GRADE_OPTIONS:-}
"""

REFUSED_OUTPUT = (
    "The autograder could not run safely on this machine, so your notebook was not graded. This is not "
    "your fault and says nothing about your work: your instructor has been told, and your submission "
    "will be graded once it is fixed. You do not need to submit again.")

BUNDLE_LEAVES_OUT = {"course", "dev"}
"""The nbgrader course and the developer tools stay out of the bundle."""
SOURCES = ["assignment/netvis", "get_datasets.sh", "assignment/NetworkVisualization.ipynb", "autograder", "solutions/NetworkVisualization.ipynb", "requirements.txt",
           "pyproject.toml", "README.md"]


def _files(path: Path):
    if path.is_file():
        yield path
    else:
        yield from (p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
                    and p.relative_to(path).parts[0] not in BUNDLE_LEAVES_OUT)


def write_bundle(out: Path, policy: Path = None) -> Path:
    """The zip Gradescope takes as a programming assignment's autograder; ``policy`` (a TOML file,
    checked first) goes in as ``policy.toml``, with the extensions CSV it names beside it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = {}
    if policy is not None:
        from .policy import load

        loaded = load(policy)  # refuse a bad policy here, not on Gradescope
        extra["policy.toml"] = Path(policy).read_bytes()
        for name in loaded.companions:
            extra[name] = (Path(policy).parent / name).read_bytes()
    atomic_write(out, lambda stream: _write_zip(stream, extra))
    return out


def _write_zip(stream, extra: dict = None) -> None:
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in (extra or {}).items():
            bundle.writestr(name, data)
        for name, text in [("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)]:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            bundle.writestr(info, text)
        for relative in SOURCES:
            for path in _files(KIT_ROOT / relative):
                bundle.write(path, str(path.relative_to(KIT_ROOT)))
        for path in _files(REFERENCES_DIR):
            bundle.write(path, f"build/references/{path.name}")
        for path in _files(data_dir()):
            if not path.name.startswith("."):
                bundle.write(path, f"datasets/{path.name}")


def _time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def late_adjustments(metadata: dict, policy, result):
    """The late penalty (results.Adjustments) for a submission per ``submission_metadata.json``, or
    None where the policy does not apply it on Gradescope or the submission is on time."""
    from .results import Adjustments

    if policy is None or not policy.on_gradescope or not policy.penalty_percent:
        return None
    submitted = _time(metadata.get("created_at"))
    dues = [_time((user.get("assignment") or {}).get("due_date")) for user in metadata.get("users") or []]
    dues = [d for d in dues if d is not None] or [_time((metadata.get("assignment") or {}).get("due_date"))]
    due = max((d for d in dues if d is not None), default=None)
    if submitted is None or due is None:
        return None
    days, percent = policy.late_by(due, submitted)
    if not percent:
        return None
    penalty = round(result.score * percent / 100, 2)
    return Adjustments(days_late=round(days, 2), penalty_percent=percent, penalty_points=penalty,
                       final=max(result.score - penalty, 0), max_points=result.max_score,
                       notes=[f"Due {due.isoformat()}; submitted {submitted.isoformat()}. The inline questions "
                              "are graded by hand, later."])


def run(submission_dir: Path, results_path: Path, isolate="auto", policy_path: Path = None,
        metadata_path: Path = None, **limits) -> float:
    """Grade the notebook in ``submission_dir`` after the self-test; write Gradescope's results.json;
    return the score (less any late penalty the policy applies here). Where the sandbox cannot be had or fails its self-test, results.json tells the
    student it is not their fault and the instructor what to change, and SelfTestFailed is raised."""
    from .notebook import find_notebook
    from .reports import gradescope_results
    from .selftest import SelfTestFailed, grade_one_after_self_test

    from .policy import load

    config.GRADER_ONLY_PATHS.append(Path(results_path).parent)
    policy = load(policy_path) if policy_path else None
    try:
        metadata = json.loads(Path(metadata_path).read_text()) if metadata_path else {}
    except (OSError, ValueError):
        metadata = {}
    notebook = find_notebook(submission_dir) or Path(submission_dir) / NOTEBOOK_NAME
    try:
        result = grade_one_after_self_test(notebook, "submission", isolate, **limits)
    except SelfTestFailed as err:
        atomic_write_text(Path(results_path), json.dumps(refused_results(str(err)), indent=1))
        raise
    adjustments = late_adjustments(metadata, policy, result)
    results = gradescope_results(result, adjustments, policy.hidden_visibility if policy else "after_due_date")
    atomic_write_text(Path(results_path), json.dumps(results, indent=1))
    return results["score"]


def refused_results(reason: str) -> dict:
    """results.json where nothing could be graded safely: no score, a message for the student, and
    the reason (what to change) for the instructor only."""
    return {"output": REFUSED_OUTPUT, "visibility": "visible", "stdout_visibility": "hidden",
            "tests": [{"name": "Instructor: the autograder refused to run student code", "score": 0, "max_score": 0,
                       "output": f"{reason}\nChange the machine as it says, then regrade all submissions.",
                       "visibility": "hidden"}],
            "extra_data": {"refused": True, "reason": reason}}
