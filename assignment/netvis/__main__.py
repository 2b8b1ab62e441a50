"""The student's commands, ``python -m netvis [COMMAND]``:

- ``python -m netvis [--device cuda] [--figure PATH]``: check the setup. Loads the images and the
  pretrained SqueezeNet, reports its top-1 accuracy on them and where it ran, saves an image grid.
- ``python -m netvis check [NOTEBOOK]``: run the notebook top to bottom as the grader does and
  print every test cell's verdict, the cells that raised, and the public points.
- ``python -m netvis submit [NOTEBOOK]``: the same check, then ``netvis_submission.zip`` with the
  notebook in it, to upload.
"""
import argparse
import sys
from pathlib import Path

NOTEBOOK = Path("NetworkVisualization.ipynb")
SUBMISSION = Path("netvis_submission.zip")


def setup(args) -> int:
    import torch

    from . import load_imagenet_val, load_pretrained_squeezenet, preprocess, show_images

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    X, y, class_names = load_imagenet_val()
    model = load_pretrained_squeezenet(device=device)
    with torch.no_grad():
        predicted = model(preprocess(X).to(device)).argmax(dim=1).cpu()
    correct = int((predicted == torch.from_numpy(y)).sum())
    print(f"SqueezeNet 1.1 on {device}: top-1 {correct}/{len(y)} on the validation images, "
          f"{len(class_names)} class names")
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    show_images(X[:10], y[:10], title="ImageNet validation images").savefig(args.figure)
    print(f"image grid saved to {args.figure}")
    return 0


def _notebook(path: Path) -> Path:
    if not path.is_file():
        raise SystemExit(f"{path} not found: run this in the folder of NetworkVisualization.ipynb, or give its path.")
    return path


def check(args) -> int:
    from .selfcheck import format_report, run_notebook

    notebook = _notebook(args.notebook)
    print(f"Running {notebook} top to bottom in a fresh kernel, as the grader does "
          "(your notebook file is not changed)...")
    report = run_notebook(notebook, timeout=args.timeout)
    print(format_report(report))
    return 0 if not report.failed and not report.raised else 1


def submit(args) -> int:
    from .selfcheck import format_report, run_notebook, write_submission

    notebook = _notebook(args.notebook)
    if not args.no_check:
        print(f"Checking {notebook} before packing it (your notebook file is not changed)...")
        report = run_notebook(notebook, timeout=args.timeout)
        print(format_report(report))
        if report.failed or report.raised:
            print(f"WARNING: {len(report.failed)} test cell(s) did not pass and {len(report.raised)} other cell(s) "
                  "raised. You can still submit, but fix them first if you can.")
    out = write_submission(notebook, args.out)
    print(f"Wrote {out}: upload it (or {notebook.name} itself) where your course collects submissions. "
          "Save the notebook in JupyterLab before you pack it: the file on disk is what is sent.")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m netvis", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when there is a GPU)")
    parser.add_argument("--figure", type=Path, default=Path("build/images.png"))
    commands = parser.add_subparsers(dest="command")
    for name, helptext in [("check", "run the notebook as the grader does and print the verdicts"),
                           ("submit", "check, then pack the notebook into netvis_submission.zip")]:
        command = commands.add_parser(name, help=helptext)
        command.add_argument("notebook", nargs="?", type=Path, default=NOTEBOOK)
        command.add_argument("--timeout", type=float, default=600, help="seconds one cell may run (default 600)")
        if name == "submit":
            command.add_argument("--out", type=Path, default=SUBMISSION)
            command.add_argument("--no-check", action="store_true", help="pack without running the notebook")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    return {"check": check, "submit": submit}.get(args.command, setup)(args)


if __name__ == "__main__":
    sys.exit(main())
