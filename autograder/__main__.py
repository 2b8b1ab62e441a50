"""``python -m autograder COMMAND``: the instructor's and the TA's entry point.

Commands:
  references   regenerate the reference tensors from the solution notebook
  release      regenerate assignment/NetworkVisualization.ipynb with nbgrader
  answer-key   execute the solution notebook into build/answer_key/ (notebook + HTML)
"""
import argparse
import sys


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


COMMANDS = {"references": _references, "release": _release, "answer-key": _answer_key}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        commands.add_parser(name)
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
