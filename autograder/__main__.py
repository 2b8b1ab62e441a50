"""``python -m autograder COMMAND``: the instructor's and the TA's entry point.

Commands:
  grade SUBMISSIONS_DIR --out OUT_DIR [--workers N] [--shard I/N]
               grade one folder per student; write grades.csv, <student>/results.json, feedback.html
  merge OUT_DIR... --out MERGED
               combine the output folders of several shards
  check NOTEBOOK
               run every check on one notebook (public and hidden) and print the verdicts
  references   regenerate the reference tensors from the solution notebook
  release      regenerate assignment/NetworkVisualization.ipynb with nbgrader
  answer-key   execute the solution notebook into build/answer_key/ (notebook + HTML)
  examples     rebuild examples/submissions/ from the solution and tests/corpus variants
  bench        measure performance against its anchors; print a table, write build/bench.json
  gradescope-bundle --out ZIP
               write a Gradescope autograder zip (setup.sh, run_autograder and the kit)
  gradescope-run --submission DIR --results FILE
               what run_autograder calls on Gradescope: grade one submission
"""
import argparse
import sys
from pathlib import Path


GRADING_COMMANDS = {"grade", "check", "gradescope-run"}
"""The commands that run student code, through the sandbox's fork server."""


def _references(args) -> int:
    from .references import generate

    manifest = generate()
    print(f"reference tensors written for solution {manifest['solution_sha256'][:12]} "
          f"(torch {manifest['torch']}, weights {manifest['squeezenet_weights']['file']})")
    return 0


def _release(args) -> int:
    from .course import write_release

    print(f"student release written to {write_release()}")
    return 0


def _answer_key(args) -> int:
    from .answer_key import write_answer_key

    notebook, html, seconds = write_answer_key()
    print(f"solution notebook executed in {seconds:.0f} s: {notebook}, {html}")
    return 0


def _examples(args) -> int:
    from .variants import EXAMPLES_DIR, write_examples

    names = [v.name for v in write_examples()]
    print(f"sample submissions written to {EXAMPLES_DIR}: {', '.join(names)}")
    return 0


def _bench(args) -> int:
    from .bench import BENCH_JSON, format_table, run

    print(format_table(run()))
    print(f"\nwritten to {BENCH_JSON}")
    return 0


def _gradescope_bundle(args) -> int:
    from .gradescope import write_bundle

    print(f"Gradescope autograder bundle written to {write_bundle(args.out)}")
    return 0


def _gradescope_run(args) -> int:
    from .gradescope import run

    print(f"score {run(args.submission, args.results):g}; results in {args.results}")
    return 0


def _shard(text: str) -> tuple:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes I/N, such as 2/8; got {text!r}") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 1 <= I <= N")
    return index, count


def _grade(args) -> int:
    from .batch import grade_directory
    from .reports import grade_table

    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder of student folders", file=sys.stderr)
        return 2
    results = grade_directory(args.submissions, args.out, workers=args.workers, shard=args.shard, timeout=args.timeout)
    print(grade_table(results))
    print(f"\ngrades: {args.out / 'grades.csv'}; feedback: {args.out}/<student>/feedback.html and results.json")
    return 0


def _merge(args) -> int:
    from .batch import merge
    from .reports import grade_table

    print(grade_table(merge(args.out_dirs, args.out)))
    print(f"\ngrades: {args.out / 'grades.csv'}")
    return 0


def _check(args) -> int:
    from .grading import grade_notebook

    result = grade_notebook(args.notebook, args.notebook.stem, timeout=args.timeout)
    for check in result.checks:
        print(f"{'PASS' if check.passed else 'FAIL'} {check.points:g}/{check.max_points:g} {check.id}: {check.message}")
    print(f"total {result.score:g} / {result.max_score:g}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR")
    grade.add_argument("--out", type=Path, required=True, metavar="OUT_DIR")
    grade.add_argument("--workers", type=int, default=1, help="submissions graded in parallel (default 1)")
    grade.add_argument("--shard", type=_shard, default=(1, 1), metavar="I/N", help="grade every N-th student from the I-th")
    grade.add_argument("--timeout", type=float, default=None, help="seconds per check (default from autograder/config.py)")
    merge = commands.add_parser("merge", help="combine shard output folders")
    merge.add_argument("out_dirs", type=Path, nargs="+", metavar="OUT_DIR")
    merge.add_argument("--out", type=Path, required=True)
    check = commands.add_parser("check", help="grade one notebook and print the verdicts")
    check.add_argument("notebook", type=Path)
    check.add_argument("--timeout", type=float, default=None)
    bundle = commands.add_parser("gradescope-bundle", help="write a Gradescope autograder zip")
    bundle.add_argument("--out", type=Path, default=Path("build/gradescope_autograder.zip"))
    gradescope = commands.add_parser("gradescope-run", help="grade one submission the Gradescope way")
    gradescope.add_argument("--submission", type=Path, required=True)
    gradescope.add_argument("--results", type=Path, required=True)
    for name in ("references", "release", "answer-key", "examples", "bench"):
        commands.add_parser(name)
    args = parser.parse_args(argv)
    if args.command in GRADING_COMMANDS:
        from .forkserver import ForkServer

        ForkServer.prestart()  # it imports torch while this process does
    handlers = {"grade": _grade, "merge": _merge, "check": _check, "references": _references,
                "release": _release, "answer-key": _answer_key, "examples": _examples,
                "gradescope-bundle": _gradescope_bundle, "gradescope-run": _gradescope_run, "bench": _bench}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
