"""The student's real experience: JupyterLab on loopback, and the feedback page, in headless Chromium.

Needs Debian's chromium (``.ci/run`` installs it); Playwright drives it. The notebooks are
copied into a temporary root so that JupyterLab never saves over the committed ones.
nbgrader's Validate action on the same two notebooks is tested in ``test_grading_ways``.
The feedback pages are those of two graded notebooks: the solution, and one with failures and
notebook errors; full-page screenshots go to ``build/browser/feedback_*.png``.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.config import KIT_ROOT, NOTEBOOK_NAME, RELEASE_NOTEBOOK, SOLUTION_NOTEBOOK
from autograder.dev.variants import CORPUS_DIR, Variant, read_variant, write_notebook
from autograder.grading import grade_notebook
from autograder.reports import FEEDBACK_NAME, write_student
from netvis.checks import CHECKS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("NETVIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = KIT_ROOT / "build" / "browser"
TOKEN = "netvis-browser-test"
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
"""The notebook in front."""
LAB_SETTINGS = {
    # Every cell stays in the DOM (no virtual scrolling), and nothing is saved behind our back.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                          "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback whose root holds copies of the release and the solution."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium), "
                    "or set NETVIS_CHROMIUM to a Chromium binary")
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(RELEASE_NOTEBOOK, root / "release.ipynb")
    shutil.copy(SOLUTION_NOTEBOOK, root / "solution.ipynb")
    settings = tmp_path_factory.mktemp("settings")
    for name, values in LAB_SETTINGS.items():
        plugin, file = name.rsplit("/", 1)
        (settings / plugin).mkdir(parents=True, exist_ok=True)
        (settings / plugin / file).write_text(json.dumps(values))
    port = _free_port()
    log = open(root.parent / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}",
         f"--LabApp.user_settings_dir={settings}", "--LabApp.expose_app_in_browser=True",
         f"--LabApp.workspaces_dir={settings}", "--ServerApp.allow_root=True"],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(f"JupyterLab did not start:\n{(root.parent / 'jupyterlab.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open_and_run_all(browser, lab: str, name: str, timeout_s: float):
    """Open a notebook, run all its cells, and wait until the kernel has gone idle again."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    workspace = Path(name).stem  # one workspace per notebook: no other notebook is restored beside it
    page.goto(f"{lab}/lab/workspaces/{workspace}/tree/{name}?reset&token={TOKEN}")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=90_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # Busy first, then idle with no cell still queued ("[*]").
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status !== 'idle'"
                           " || document.querySelector('.jp-OutputArea-output') !== null", timeout=30_000)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'"
        f" && ![...document.querySelectorAll('{NOTEBOOK} .jp-InputPrompt')].some(p => p.textContent.includes('*'))",
        timeout=timeout_s * 1000, polling=1000)
    return page


def _cell_containing(page, text: str):
    cells = page.locator(f"{NOTEBOOK} .jp-CodeCell").filter(has=page.locator(".jp-InputArea", has_text=text))
    assert cells.count() >= 1, f"no code cell contains {text!r}"
    return cells.first


def _errors(page) -> list:
    """The texts of the tracebacks in the notebook in front."""
    outputs = page.locator(f"{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    return [text for text in outputs.all_inner_texts() if "Traceback" in text or "Error" in text]


def test_release_runs_its_setup_and_shows_the_first_figure(browser, lab):
    page = _open_and_run_all(browser, lab, "release.ipynb", timeout_s=180)
    images = _cell_containing(page, "load_imagenet_val(num=5)").locator(".jp-OutputArea-output img")
    assert images.count() == 1 and images.first.evaluate("img => img.naturalWidth") > 100
    errors = _errors(page)
    assert errors and "NotImplementedError" in errors[0], errors  # the run stops at the first stub
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    images.first.screenshot(path=str(SCREENSHOTS / "release_first_figure.png"))
    page.close()


def test_solution_runs_and_shows_the_saliency_figure(browser, lab):
    page = _open_and_run_all(browser, lab, "solution.ipynb", timeout_s=400)
    assert _errors(page) == []
    prompts = page.locator(f"{NOTEBOOK} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
    assert prompts and all(any(ch.isdigit() for ch in p) for p in prompts), prompts  # every cell ran
    saliency = _cell_containing(page, "compute_saliency_maps(X_tensor").locator(".jp-OutputArea-output img")
    assert saliency.count() == 1 and saliency.first.evaluate("img => img.naturalWidth") > 100
    fooled = _cell_containing(page, "make_fooling_image(X_tensor").locator(".jp-OutputArea").inner_text()
    assert "iteration" in fooled.lower(), fooled
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saliency.first.scroll_into_view_if_needed()
    saliency.first.screenshot(path=str(SCREENSHOTS / "solution_saliency.png"))
    assert (SCREENSHOTS / "solution_saliency.png").stat().st_size > 10_000
    page.close()


SCRIPT_IN_MESSAGE = "<script>document.title = 'injected'</script>"


@pytest.fixture(scope="module")
def feedback_pages(tmp_path_factory):
    """{student: feedback.html}: the solution's, and one whose saliency raises (with a script in the
    message), whose class step adds the L2 term and whose last cell raises a NameError. Trusted
    notebooks, graded unsandboxed: the sandbox has tests of its own."""
    root = tmp_path_factory.mktemp("feedback")
    failing = read_variant(CORPUS_DIR / "class_l2_added.py")
    failing.name = "failures"
    failing.sources["compute_saliency_maps"] = ("def compute_saliency_maps(X, y, model):\n"
                                                f"    raise NotImplementedError({SCRIPT_IN_MESSAGE!r})")
    failing.inserted.append(("end", "", "print(X_tensr.shape)"))
    pages = {}
    for variant in [Variant("full_marks", set(), "The solution."), failing]:
        notebook = write_notebook(variant, root / "submissions" / variant.name)
        write_student(root / "out", grade_notebook(notebook, variant.name, isolate=False, figures=True))
        pages[variant.name] = root / "out" / variant.name / FEEDBACK_NAME
    return pages


def _open_feedback(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    images = page.locator("figure img")
    assert images.evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")  # every data: URI decodes
    return page, images.evaluate_all("imgs => imgs.map(i => i.getBoundingClientRect().width)")


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_full_marks_feedback_page_reads_at_a_glance(browser, feedback_pages):
    page, widths = _open_feedback(browser, feedback_pages["full_marks"])
    assert page.inner_text("#points") == ("38 / 38 points — saliency 9/9 · fooling 9/9 · class visualisation 10/10 · "
                                          "features 10/10")
    assert page.locator("#notebook-errors").count() == 0 and page.locator(".missing").count() == 0
    assert page.locator("section.part h2").all_inner_texts()[0].startswith("Part 1. Saliency maps")
    assert page.locator("tr.fail").count() == 0 and page.locator("tr.pass").count() == len(CHECKS)
    # images, your maps, the reference's (5 each); fooling 2 x 3; class 2; features 2 x 3
    assert len(widths) == 15 + 6 + 2 + 6 and min(widths) >= 200, widths
    assert _screenshot(page, "feedback_full_marks").stat().st_size > 100_000
    page.close()


def test_feedback_page_with_failures_lists_cell_errors_and_shows_the_reference(browser, feedback_pages):
    page, widths = _open_feedback(browser, feedback_pages["failures"])
    assert page.inner_text("#points").startswith("25 / 38 points — saliency 0/9 · fooling 9/9 · class visualisation 6/10")
    assert page.title() == "Feedback: failures"  # the script in the message did not run...
    assert page.locator("script").count() == 0
    entries = page.locator("li.cell-error").all_inner_texts()
    assert any(SCRIPT_IN_MESSAGE in e and "NotImplementedError" in e for e in entries), entries  # ...it is shown as text
    name_error = [e for e in entries if "X_tensr" in e]
    assert len(name_error) == 1 and re.match(r"Cell \d+, which starts print\(X_tensr.shape\)", name_error[0]), entries
    assert "NameError: name 'X_tensr' is not defined" in name_error[0]
    direction = page.locator("#part-3 tr.fail")
    assert direction.count() == 1 and "direction" in direction.inner_text() and "L2 term is added" in direction.inner_text()
    missing = page.locator("#part-1 .missing")
    assert missing.count() == 1 and "could not make saliency maps" in missing.inner_text()
    reference_maps = page.locator("#part-1 .row").filter(has_text="The reference's saliency maps").locator("img")
    assert reference_maps.count() == 5 and min(reference_maps.evaluate_all(
        "imgs => imgs.map(i => i.getBoundingClientRect().width)")) >= 200
    assert len(widths) == 10 + 6 + 2 + 6 and min(widths) >= 200, widths
    assert _screenshot(page, "feedback_failures").stat().st_size > 100_000
    page.close()


CLASS_REPORT_SCREENSHOT = KIT_ROOT / "build" / "screenshots" / "class_report.png"


def test_class_report_page_renders_its_histograms_and_links(browser, tmp_path):
    """The class report of a synthetic class (tests/test_class_report.py's), opened from disk:
    both histograms decode, the review flags and mistake links are there, a "<script>" id is text.
    Its full-page screenshot goes to build/screenshots/class_report.png (docs/images/ holds a copy)."""
    from autograder.class_report import write_class_report
    from test_class_report import sample_class

    path = write_class_report(tmp_path, sample_class())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    charts = page.locator(".chart img")
    assert charts.count() == 2
    assert charts.evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("script").count() == 0
    shape = page.locator("#check-compute_saliency_maps-shape")
    assert "review" in shape.inner_text() and "3 × .squeeze() dropped the batch dimension" in shape.inner_text()
    assert shape.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
        "%3Cscript%3E/feedback.html", "bob/feedback.html", "erin/feedback.html"]
    assert "<script>" in shape.inner_text()
    CLASS_REPORT_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(CLASS_REPORT_SCREENSHOT), full_page=True)
    assert CLASS_REPORT_SCREENSHOT.stat().st_size > 30_000
    page.close()
