"""The executed answer key: the solution notebook run headless, as a notebook and as HTML."""
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from .config import KIT_ROOT, SOLUTION_NOTEBOOK

ANSWER_KEY_DIR = KIT_ROOT / "build" / "answer_key"


def execute_notebook(path: Path, timeout: int = 600, env=None, allow_errors: bool = False):
    """Execute the notebook at ``path`` in its own folder with nbclient; return it and the seconds taken.

    ``env`` adds variables to the kernel's environment (only the kernel's: threads may run notebooks
    side by side). Unless ``allow_errors``, raises nbclient's CellExecutionError on the first cell that fails.
    """
    nb = nbformat.read(str(path), as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=dict(os.environ, **(env or {})))
    return nb, time.perf_counter() - start


def write_answer_key(out_dir: Path = ANSWER_KEY_DIR) -> tuple:
    """Execute the solution notebook; write it and its HTML rendering (figures inlined) to ``out_dir``."""
    nb, seconds = execute_notebook(SOLUTION_NOTEBOOK)
    out_dir.mkdir(parents=True, exist_ok=True)
    notebook_path = out_dir / SOLUTION_NOTEBOOK.name
    html_path = notebook_path.with_suffix(".html")
    nbformat.write(nb, str(notebook_path))
    html, _ = HTMLExporter().from_notebook_node(nb)
    html_path.write_text(html, encoding="utf-8")
    return notebook_path, html_path, seconds
