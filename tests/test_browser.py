"""The student's real experience: JupyterLab on loopback, driven in headless Chromium.

Needs Debian's chromium (``.ci/run`` installs it); Playwright drives it. The notebooks are
copied into a temporary root so that JupyterLab never saves over the committed ones.
nbgrader's Validate action on the same two notebooks is tested in ``test_grading_ways``.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.config import RELEASE_NOTEBOOK, SOLUTION_NOTEBOOK
from autograder.config import KIT_ROOT

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
