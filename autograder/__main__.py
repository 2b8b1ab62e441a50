"""``python -m autograder COMMAND``: the instructor's and the TA's entry point.

Commands:
  grade SUBMISSIONS --out OUT_DIR [--workers N] [--shard I/N] [--times CSV]
               grade one folder per student, or a Canvas or Moodle download (zip or folder: see
               docs/gradebook.md); write grades.csv, class_report.html/.json, <student>/results.json,
               feedback.html and, for a download, intake.json (who is who, what was chosen, what was
               not matched)
  gradebook OUT_DIR [--policy TOML] [--hand-grades DB_OR_CSV]
               apply the course policy (lateness, extensions, extra credit), merge the hand
               grades; write final_grades.csv, canvas_import.csv, moodle_import.csv and each
               student's feedback again
  merge OUT_DIR... --out MERGED
               combine the output folders of several shards (grades.csv and the class report too)
  report OUT_DIR
               write OUT_DIR/class_report.html and class_report.json from the students' records
  check NOTEBOOK
               grade one notebook (public and hidden cases) and print the verdicts
  gradescope-run --submission DIR --results FILE [--policy TOML] [--metadata JSON]
               what run_autograder calls on Gradescope: grade one submission
  self-test    prove the sandbox on the solution now and remember the verdict (exit 3 if it fails)
  references   regenerate the reference tensors from the solution notebook
  release      regenerate assignment/NetworkVisualization.ipynb with nbgrader
  answer-key   execute the solution notebook into build/answer_key/ (notebook + HTML)
  gradescope-bundle --out ZIP [--policy TOML]
               write a Gradescope autograder zip (setup.sh, run_autograder and the kit)
  student-bundle [--out ZIP] [--url URL]
               write what students get (notebook, helpers, data script, README); with --url,
               also the notebook for Colab, which fetches the zip from URL
  examples     rebuild examples/submissions/ from the solution and tests/corpus variants
  bench        measure performance against its anchors; print a table, write build/bench.json
  similarity SUBMISSIONS_DIR --out OUT_DIR [--against FOLDER] [--threshold Z]
               rank pairs of students by how unusually alike their functions are (and each student
               against known solutions); write similarity.html and similarity.json, for a person to review

Grading commands first grade the reference solution in their sandbox and refuse to grade
anyone if it does not get full marks. Exit status: 0 when everything was graded, 1 when some
students could not be graded (rerun to retry them), 2 for bad arguments, 3 when grading was
refused.
"""
import argparse
import os
import sys
import time
from pathlib import Path

from . import config
from .modes import CHOICES

GRADING_COMMANDS = {"grade", "check", "gradescope-run", "self-test"}
"""The commands that run student code, through the sandbox's fork server."""
REFUSED = 3


def _isolation(args) -> str:
    return "none" if args.no_isolation else args.isolation


def _limits(args) -> dict:
    return {"timeout": args.timeout, "cell_timeout": args.cell_timeout, "budget": args.budget}


def _grade(args) -> int:
    from .batch import grade_directory
    from .reports import grade_table

    from .lms import IntakeError, summary, take_in

    if not args.submissions.exists():
        print(f"error: {args.submissions} is neither a folder nor a zip", file=sys.stderr)
        return 2
    try:
        submissions, intake = take_in(args.submissions, args.out, args.times)
    except (IntakeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if intake is not None:
        print("\n".join(summary(intake)), file=sys.stderr)
    results, errors = grade_directory(submissions, args.out, workers=args.workers, shard=args.shard,
                                      isolate=_isolation(args), **_limits(args))
    print(grade_table(results))
    print(f"\ngrades: {args.out / 'grades.csv'}; class report: {args.out / 'class_report.html'}; "
          f"feedback: {args.out}/<student>/feedback.html and results.json")
    if errors:
        print(f"\n{len(errors)} student(s) could not be graded because of a grader fault: {', '.join(sorted(errors))}. "
              "Run the same command again to retry them.", file=sys.stderr)
        return 1
    return 0


def _gradebook(args) -> int:
    from .gradebook import write, summary
    from .hand_grades import HandGradesError
    from .policy import Policy, PolicyError, load

    if not args.out_dir.is_dir():
        print(f"error: {args.out_dir} is not a grading output folder (what `grade --out` wrote)", file=sys.stderr)
        return 2
    try:
        policy = load(args.policy) if args.policy else Policy()
        rows, warnings = write(args.out_dir, policy, args.hand_grades)
    except (PolicyError, HandGradesError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary(rows))
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    print(f"\nwritten: {args.out_dir}/final_grades.csv, canvas_import.csv, moodle_import.csv; "
          "each student's feedback.html and results.json again")
    return 0


def _merge(args) -> int:
    from .batch import merge
    from .reports import grade_table

    print(grade_table(merge(args.out_dirs, args.out)))
    print(f"\ngrades: {args.out / 'grades.csv'}; class report: {args.out / 'class_report.html'}")
    return 0


def _report(args) -> int:
    from .class_report import write_class_report

    if not args.out_dir.is_dir():
        print(f"error: {args.out_dir} is not a grading output folder", file=sys.stderr)
        return 2
    print(f"class report: {write_class_report(args.out_dir)}")
    return 0


def _check(args) -> int:
    from .reports import isolation_summary
    from .selftest import grade_one_after_self_test

    age, start = _process_age(), time.perf_counter()
    result = grade_one_after_self_test(args.notebook, args.notebook.stem, _isolation(args), **_limits(args))
    for number, error in result.notebook_errors.items():
        print(f"cell {number} raised: {error.splitlines()[-1]}")
    for check in result.checks:
        print(f"{'PASS' if check.passed else 'FAIL'} {check.points:g}/{check.max_points:g} {check.id}: {check.message}")
    if result.extra_max_score:
        print(f"extra credit {result.extra_score:g} / {result.extra_max_score:g}")
    print(f"total {result.score:g} / {result.max_score:g} (isolation: {result.isolation.get('mode', 'none')})")
    print(f"isolation: {isolation_summary(result.isolation)}")
    if args.timings:
        from .timings import format_breakdown

        print("time (the pieces run side by side, so they do not add up):")
        print(format_breakdown(dict(result.timings, startup=age), wall=age + time.perf_counter() - start))
    return 0


def _process_age() -> float:
    """Seconds since this process started (Python's start-up and the imports so far); 0 where unknown."""
    try:
        start_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        return max(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


def _gradescope_run(args) -> int:
    from .gradescope import run
    from .selftest import SelfTestFailed

    try:
        score = run(args.submission, args.results, isolate=_isolation(args), policy_path=args.policy,
                    metadata_path=args.metadata, **_limits(args))
    except SelfTestFailed as err:  # results.json tells the student and the instructor; Gradescope shows it
        print(f"error: {err}", file=sys.stderr)
        return 0
    print(f"score {score:g}; results in {args.results}")
    return 0


def _self_test(args) -> int:
    from .selftest import self_test

    report = self_test(_isolation(args), **_limits(args))
    print(f"self-test passed: the solution gets full marks in this sandbox (isolation: {report.get('mode')})")
    return 0


def _references(args) -> int:
    from .hidden import generate

    manifest = generate()
    print(f"reference tensors written for {manifest['fingerprint'][:12]} "
          f"(torch {manifest['torch']}, weights {manifest['squeezenet_weights']['file']})")
    return 0


def _release(args) -> int:
    from .nbgrader_course import part5_wanted, write_release

    part5 = part5_wanted()
    print(f"student release written to {write_release(part5=part5)}" + ("" if part5 else " (without Part 5: PART5=0)"))
    return 0


def _answer_key(args) -> int:
    from .answer_key import write_answer_key

    notebook, html, seconds = write_answer_key()
    print(f"solution notebook executed in {seconds:.0f} s: {notebook}, {html}")
    return 0


def _gradescope_bundle(args) -> int:
    from .gradescope import write_bundle

    from .policy import PolicyError

    try:
        print(f"Gradescope autograder bundle written to {write_bundle(args.out, args.policy)}")
    except PolicyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _student_bundle(args) -> int:
    from .handout import write_student_bundle

    out = write_student_bundle(args.out, args.url)
    print(f"student bundle written to {out} ({out.stat().st_size / 1024:.0f} KiB)")
    if args.url:
        print(f"notebook for Colab written to {out.parent / 'colab' / config.NOTEBOOK_NAME}: "
              f"its first cell fetches {args.url}")
    return 0


def _examples(args) -> int:
    from .dev.variants import EXAMPLES_DIR, write_examples

    names = [v.name for v in write_examples()]
    print(f"sample submissions written to {EXAMPLES_DIR}: {', '.join(names)}")
    return 0


def _bench(args) -> int:
    from .dev.bench import BENCH_JSON, format_breakdowns, format_table, run

    print(format_table(run()))
    print(format_breakdowns())
    print(f"\nwritten to {BENCH_JSON}")
    return 0


def _similarity(args) -> int:
    from .similarity import THRESHOLD, SimilarityError, write_report

    from .lms import IntakeError, take_in

    threshold = THRESHOLD if args.threshold is None else args.threshold
    try:
        # the same submissions as `grade`: a Canvas or Moodle download is staged under OUT first
        submissions = take_in(args.submissions, args.out)[0] if args.submissions.exists() else args.submissions
        report = write_report(submissions, args.out, against=args.against, threshold=threshold)
    except (SimilarityError, IntakeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    flagged = sum(m.score > report.threshold for m in report.pairs)
    print(f"{len(report.pairs)} pairs ranked, {flagged} above {report.threshold:g}"
          + (f"; {len(report.against)} matches with known solutions" if args.against else "")
          + (f"; skipped: {', '.join(sorted(report.skipped))}" if report.skipped else ""))
    print(f"report: {args.out / 'similarity.html'} and similarity.json (for a person to review, not a verdict)")
    return 0


def _shard(text: str) -> tuple:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes I/N, such as 2/8; got {text!r}") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 1 <= I <= N")
    return index, count


def _add_grading_options(parser) -> None:
    parser.add_argument("--timeout", type=float, default=config.CALL_TIMEOUT_S,
                        help=f"seconds per check, of its worker's own time: waiting for a CPU is not counted "
                             f"(default {config.CALL_TIMEOUT_S:g})")
    parser.add_argument("--cell-timeout", type=float, default=config.CELL_TIMEOUT_S,
                        help=f"seconds per notebook cell, of its own time (default {config.CELL_TIMEOUT_S:g})")
    parser.add_argument("--budget", type=float, default=config.SUBMISSION_TIMEOUT_S,
                        help=f"wall-clock seconds per submission, all included (default {config.SUBMISSION_TIMEOUT_S:g})")
    parser.add_argument("--isolation", choices=CHOICES, default=os.environ.get("NETVIS_ISOLATION", "auto"),
                        help="how student code is isolated: the strongest mode this machine allows (auto, the "
                             "default), or exactly one: namespaces, uid (root without namespaces), landlock (a user "
                             "without namespaces), none (only for code you trust); see docs/security.md")
    parser.add_argument("--no-isolation", action="store_true", help="the same as --isolation none")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                       help="a folder of student folders, or a Canvas or Moodle download (zip or folder)")
    grade.add_argument("--times", type=Path, metavar="CSV",
                       help="submission times: a CSV student,submitted_at (ISO 8601 with its zone)")
    grade.add_argument("--out", type=Path, required=True, metavar="OUT_DIR")
    grade.add_argument("--workers", type=int, default=1, help="submissions graded in parallel (default 1)")
    grade.add_argument("--shard", type=_shard, default=(1, 1), metavar="I/N", help="grade every N-th student from the I-th")
    book = commands.add_parser("gradebook", help="final grades and the Canvas and Moodle import files")
    book.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    book.add_argument("--policy", type=Path, metavar="TOML", help="the course policy (docs/gradebook.md)")
    book.add_argument("--hand-grades", type=Path, metavar="DB_OR_CSV",
                      help="nbgrader's gradebook.db or a CSV student,question,points")
    merge = commands.add_parser("merge", help="combine shard output folders")
    merge.add_argument("out_dirs", type=Path, nargs="+", metavar="OUT_DIR")
    merge.add_argument("--out", type=Path, required=True)
    report = commands.add_parser("report", help="write the class report from an output folder's records")
    report.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    check = commands.add_parser("check", help="grade one notebook and print the verdicts")
    check.add_argument("notebook", type=Path)
    check.add_argument("--timings", action="store_true",
                       help="also print where the time went (self-test, sandbox, cells, each part's checks)")
    gradescope = commands.add_parser("gradescope-run", help="grade one submission the Gradescope way")
    gradescope.add_argument("--submission", type=Path, required=True)
    gradescope.add_argument("--results", type=Path, required=True)
    gradescope.add_argument("--policy", type=Path, help="the course policy (TOML): hidden cases' visibility, late penalty")
    gradescope.add_argument("--metadata", type=Path, help="Gradescope's submission_metadata.json (for the late penalty)")
    proof = commands.add_parser("self-test", help="prove the sandbox on the solution and remember the verdict")
    for command in (grade, check, gradescope, proof):
        _add_grading_options(command)
    bundle = commands.add_parser("gradescope-bundle", help="write a Gradescope autograder zip")
    bundle.add_argument("--out", type=Path, default=Path("build/gradescope_autograder.zip"))
    bundle.add_argument("--policy", type=Path, help="the course policy (TOML) to put in the bundle as policy.toml")
    student = commands.add_parser("student-bundle", help="write the student zip (and the Colab notebook)")
    student.add_argument("--out", type=Path, default=Path("build/netvis_student.zip"))
    student.add_argument("--url", default="", help="where students (Colab) will download the zip from")
    protect = commands.add_parser("protect", help="make the grader's files unreadable to other users "
                                                  "(for the uid mode where Landlock is missing)")
    protect.add_argument("paths", type=Path, nargs="*", metavar="FOLDER",
                         help="more folders to close (submissions, output); the kit's own are always closed")
    similar = commands.add_parser("similarity", help="rank pairs of submissions by unusual likeness, for review")
    similar.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                         help="what grade takes: one folder per student, or a Canvas or Moodle download")
    similar.add_argument("--out", type=Path, required=True, metavar="OUT_DIR")
    similar.add_argument("--against", type=Path, metavar="FOLDER",
                         help="a folder of known solutions (.py or .ipynb) to match each submission against")
    similar.add_argument("--threshold", type=float, default=None,
                         help="score above which a pair is marked for review (default 5; see docs/similarity.md)")
    for name in ("references", "release", "answer-key", "examples", "bench"):
        commands.add_parser(name)
    return parser


def _protect(args) -> int:
    from .protect import protect

    for line in protect(args.paths):
        print(line)
    return 0


HANDLERS = {"gradebook": _gradebook, "protect": _protect, "self-test": _self_test, "grade": _grade, "merge": _merge, "report": _report, "check": _check, "gradescope-run": _gradescope_run,
            "references": _references, "release": _release, "answer-key": _answer_key,
            "gradescope-bundle": _gradescope_bundle, "student-bundle": _student_bundle, "examples": _examples, "bench": _bench,
            "similarity": _similarity}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from .scratch import NoTemporaryFolder

    try:
        if args.command in GRADING_COMMANDS | {"protect"}:
            from .scratch import use_for_temporary_files

            use_for_temporary_files()  # torch makes torchinductor_<user> in the temporary folder at import
        if args.command in GRADING_COMMANDS:
            from .forkserver import ForkServer

            ForkServer.prestart()  # it imports torch while this process does
        from .selftest import SelfTestFailed

        try:
            return HANDLERS[args.command](args)
        except SelfTestFailed as err:
            print(f"error: {err}", file=sys.stderr)
            return REFUSED
    except NoTemporaryFolder as err:
        print(f"error: {err}", file=sys.stderr)
        return REFUSED


def _exit_now(status: int) -> None:
    """Exit without the interpreter's teardown, which takes 1 to 2 s once torch is loaded: every
    file the command wrote is closed and atomic by now, so only the standard streams need flushing.
    The fork server sees its control socket close and ends itself."""
    import logging

    from .scratch import cleanup

    cleanup()  # atexit does not run under os._exit
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    _exit_now(main() or 0)
