"""Grading where instructors really grade: real Docker containers with Docker's defaults, as root
and as an unprivileged user, on a kernel that has Landlock and on one that answers it with ENOSYS.

- Docker's default profile as root (Gradescope's kind): the ``uid`` mode, Landlock on top.
- Docker's default profile as uid 1000 with every capability dropped and no-new-privileges, the kit
  read-only (Kubernetes' "restricted", an image an admin built): the ``landlock`` mode.
  Both grade the whole hostile corpus beside an honest and a blank notebook, at the same time.
- A profile that also answers Landlock with ENOSYS, as root: the Gradescope bundle, unpacked into
  /autograder/source, its setup, then run_autograder per submission (``uid`` without Landlock,
  the grader's files closed by ``protect``).
- The same profile with every capability dropped: nothing is possible; the refusal names why, and
  Gradescope's results.json tells the student it is not their fault.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.config import KIT_ROOT, REFERENCES_DIR, RELEASE_NOTEBOOK, SOLUTION_NOTEBOOK
from autograder.dev.variants import Variant, build_submission, read_variant
from containers import KIT_PYTHON, run_in_container, seccomp_profile

pytestmark = pytest.mark.slow

VERDICT_ATTACKS = {"cached_public_case", "fake_results_output", "patch_allclose", "patch_builtins", "patch_tensor_eq",
                   "wire_poison", "huge_output"}
"""Attacks on the checks' verdicts, the wire or the output's size: each is answered in the grader's
process or the sandbox's plumbing, the same in every isolation mode, so tests/test_adversarial.py grades
them once; the containers grade the attacks on isolation (processes, files, signals, limits)."""
ADVERSARIAL = [p for p in sorted((Path(__file__).parent / "adversarial").glob("*.py")) if p.stem not in VERDICT_ATTACKS]
NEW_ATTACKS = ["read_grader_files", "daemon_rewrites_results", "ptrace_grader", "other_sandboxes_files"]
FILE_ATTACKS = ["read_grader_files", "other_sandboxes_files"]
"""Those of NEW_ATTACKS that Landlock would otherwise stop: where the kernel has none (the Gradescope
test), `protect` and the sandbox's own uid must. Daemons and ptrace are the sweep's and seccomp's,
the same with or without Landlock, and the uid container grades them."""
BUDGETS = ["--timeout", "8", "--cell-timeout", "5"]
SETTINGS = {
    "uid": {},
    "landlock": {"user": "1000:1000", "cap_drop": "ALL", "security_opt": ["no-new-privileges"], "kit_read_only": True},
}
LEFT = "left in /tmp:"
SHORT_BUDGETS = {"NETVIS_CALL_TIMEOUT_S": "8", "NETVIS_CELL_TIMEOUT_S": "5"}
"""The Gradescope runs' budgets (setup.sh's self-test and run_autograder read the same, so the
verdict setup.sh proved is remembered): attacks that stop or loop spend them in full."""


def _folder(owner=None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="netvis-containers-"))
    folder.chmod(0o755)
    if owner is not None:
        os.chown(folder, owner, owner)
    return folder


def _write_class(folder: Path, names, owner=None) -> Path:
    notebooks = {"honest": build_submission(Variant("honest", set(), "", {})),
                 "blank": nbformat.read(str(RELEASE_NOTEBOOK), as_version=4)}
    notebooks.update({p.stem: build_submission(read_variant(p)) for p in ADVERSARIAL if p.stem in names})
    for student, nb in notebooks.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, str(folder / student / "NetworkVisualization.ipynb"))
    if owner is not None:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, owner, owner)
    return folder


def _readable_references(owner, work: Path) -> Path:
    """A copy of the references its user can read (the kit's are the building user's alone)."""
    copy = work / "references"
    shutil.copytree(REFERENCES_DIR, copy)
    for path in [copy, *copy.iterdir()]:
        os.chown(path, owner, owner)
    return copy


@pytest.fixture(scope="module")
def batches():
    """{mode: (exit code, grades, out folder, the grader's last report, what /tmp held afterwards)}:
    each container grades the corpus with grade_and_find_strays, the two at the same time."""
    runs, folders = {}, []
    for mode, options in SETTINGS.items():
        owner = 1000 if options.get("user") else None
        work = _folder(owner)
        folders.append(work)
        submissions = _write_class(work / "class", [p.stem for p in ADVERSARIAL], owner)
        out = work / "out"
        env = {"NETVIS_REFERENCES_DIR": str(_readable_references(owner, work))} if owner else {}
        command = ["/bin/sh", "-c", f'"$@"; status=$?; echo "{LEFT}" $(ls -A /tmp); exit $status',
                   "grade", KIT_PYTHON, "tests/grade_and_find_strays.py", "grade", str(submissions), "--out", str(out),
                   "--workers", "2", *BUDGETS]
        runs[mode] = out, work, _start(command, dict(options, env=env, extra_mounts=[(work, work, "rw")]))
    found = {}
    for mode, (out, work, future) in runs.items():
        done = future.result()
        report = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
        left = _left([line for line in done.stdout.splitlines() if line.startswith(LEFT)][-1], work)
        with open(out / "grades.csv") as f:
            grades = {row["student"]: row for row in csv.DictReader(f)}
        found[mode] = done.returncode, grades, out, report, left, done.stderr
    yield found
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _left(line: str, *mounted) -> list:
    """What a container's /tmp held at the end, less its home and the mount points of the kit and
    the test's folders (the first folder under /tmp of each)."""
    points = {"home"} | {Path(p).relative_to("/tmp").parts[0] for p in (KIT_ROOT, *mounted)
                         if str(p).startswith("/tmp/")}
    return [name for name in line[len(LEFT):].split() if name not in points]


def _start(command, options):
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(1)
    return pool.submit(run_in_container, command, timeout=1500, **options)


def test_each_container_grades_in_its_mode_and_the_honest_student_keeps_full_marks(batches):
    for mode, (code, grades, out, report, _, stderr) in batches.items():
        assert code == 0 and report["code"] == 0, (mode, stderr[-3000:])
        assert float(grades["honest"]["total"]) == float(grades["honest"]["max"]) == 38, mode
        assert float(grades["blank"]["total"]) == 0, mode
        isolation = json.loads((out / "honest" / "results.json").read_text())["extra_data"]["isolation"]
        assert isolation["mode"] == mode and isolation["landlock"] == 7 and isolation["seccomp"], isolation
        assert isolation["network_blocked"] and not isolation["keeper_signalable"], isolation
        assert not isolation["host_paths_visible"] and not isolation["root_writable"], isolation
        assert isolation["user"] == ("own uid 1000" if mode == "landlock" else isolation["user"]), isolation
        if mode == "uid":
            assert int(isolation["user"].split()[1]) >= 200000 and isolation["uid"] >= 200000, isolation


@pytest.mark.parametrize("path", ADVERSARIAL, ids=[p.stem for p in ADVERSARIAL])
def test_attack_gains_nothing_in_any_mode(batches, path):
    expected = read_variant(path).expected_failures
    for mode, (_, grades, out, _, _, _) in batches.items():
        won = {check for check in expected if float(grades[path.stem][check]) > 0}
        assert not won, f"{path.stem} scored on {won} ({mode})"
        assert json.loads((out / path.stem / "results.json").read_text())["score"] <= 38
        if path.stem in NEW_ATTACKS:
            assert float(grades[path.stem]["total"]) <= float(grades["blank"]["total"]), (mode, path.stem)


def test_no_daemon_survives_and_nothing_is_rewritten_or_left(batches):
    for mode, (_, grades, out, report, left, _) in batches.items():
        assert report["strays"] == [], mode
        assert "1000" not in (out / "grades.csv").read_text(), mode
        for student in grades:
            assert json.loads((out / student / "results.json").read_text())["score"] <= 38, (mode, student)
        assert left == [], (mode, left)  # every sandbox's folder, the skeleton and the caches are gone


# ------------------------------------------------------------------ Gradescope, on an older kernel

def _gradescope_tree() -> Path:
    """/autograder as Gradescope lays it out: the bundle unpacked into source/, a submission folder."""
    root = _folder()
    bundle = root / "bundle.zip"
    subprocess.run([sys.executable, "-m", "autograder", "gradescope-bundle", "--out", str(bundle)], check=True,
                   cwd=KIT_ROOT, capture_output=True)
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # zipfile drops the modes: run_autograder and setup.sh are executables
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, mode)
    bundle.unlink()
    (root / "submissions").mkdir()
    notebooks = {"solution": nbformat.read(str(SOLUTION_NOTEBOOK), as_version=4),
                 "blank": nbformat.read(str(RELEASE_NOTEBOOK), as_version=4)}
    notebooks.update({p.stem: build_submission(read_variant(p)) for p in ADVERSARIAL if p.stem in FILE_ATTACKS})
    for name, nb in notebooks.items():
        (root / "submissions" / name).mkdir()
        nbformat.write(nb, str(root / "submissions" / name / "NetworkVisualization.ipynb"))
    return root


GRADESCOPE = """set -e
python=$(readlink -f {kit_python})
"$python" -m venv --without-pip /tmp/gs
echo {site_packages} > /tmp/gs/lib/python3.11/site-packages/kit-packages.pth
# No network here: pip finds every requirement installed, and builds the kit without an isolated env.
export PATH=/tmp/gs/bin:$PATH PIP_NO_INDEX=1 PIP_NO_BUILD_ISOLATION=0
cd /autograder/source && bash setup.sh > /tmp/setup.log 2>&1 || {{ cat /tmp/setup.log; exit 9; }}
mkdir -p /autograder/collected && chmod 700 /autograder/submissions /autograder/collected
for submission in /autograder/submissions/*; do
  rm -rf /autograder/submission && cp -r "$submission" /autograder/submission
  bash /autograder/source/run_autograder > /dev/null 2>&1
  cp /autograder/results/results.json "/autograder/collected/$(basename "$submission").json"
done
echo "{left}" $(ls -A /tmp | grep -vx -e gs -e setup.log)
"""


def _gradescope(security_opt, cap_drop=None):
    root = _gradescope_tree()
    profile = seccomp_profile(root / "profile.json", landlock_enosys=True)
    site_packages = next(p for p in sys.path if p.endswith("site-packages") and str(KIT_ROOT) in p)
    script = GRADESCOPE.format(kit_python=KIT_PYTHON, site_packages=site_packages, left=LEFT)
    done = run_in_container(["/bin/bash", "-c", script], mount_kit=False, cap_drop=cap_drop, env=SHORT_BUDGETS,
                            security_opt=[f"seccomp={profile}", *security_opt], timeout=1500,
                            extra_mounts=[(root, "/autograder", "rw"), (KIT_ROOT / ".venv", str(KIT_ROOT / ".venv"))])
    results = {p.stem: json.loads(p.read_text()) for p in (root / "collected").glob("*.json")}
    shutil.rmtree(root, ignore_errors=True)
    return done, results


def test_gradescope_bundle_on_a_kernel_without_landlock():
    done, results = _gradescope([])
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    assert results["solution"]["score"] == 38, results["solution"].get("output")
    assert results["blank"]["score"] == 0
    isolation = results["solution"]["extra_data"]["isolation"]
    assert isolation["mode"] == "uid" and isolation["landlock"] is None and not isolation["host_paths_visible"]
    for attack in FILE_ATTACKS:
        assert results[attack]["score"] <= results["blank"]["score"], (attack, results[attack]["output"][:500])
    assert _left(done.stdout.strip().splitlines()[-1], KIT_ROOT / ".venv") == []


def test_nothing_possible_refuses_and_tells_the_student_it_is_not_their_fault():
    done, results = _gradescope([], cap_drop="ALL")
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    for name, result in results.items():
        assert "score" not in result and result["extra_data"]["refused"], name
        assert "not your fault" in result["output"], name
        reason = result["extra_data"]["reason"]
        assert "namespaces:" in reason and "CAP_SETUID" in reason and "Landlock is not available" in reason, reason
        assert "--no-isolation" not in result["output"] + reason


def test_the_kubernetes_recipe_runs_under_the_restricted_standard():
    import yaml

    spec = yaml.safe_load((KIT_ROOT / "examples" / "cluster" / "grade-indexed-job.yaml").read_text())
    context = spec["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert context["runAsNonRoot"] and context["runAsUser"] != 0 and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]} and context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "Unconfined" not in str(spec) and "landlock" in (KIT_ROOT / "examples" / "cluster" / "grade-indexed-job.yaml").read_text()
