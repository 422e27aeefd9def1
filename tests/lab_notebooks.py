"""Every notebook as a learner runs it: JupyterLab in headless Chromium, *Run > Run All Cells* (``make lab-test``).

nbval runs each notebook's kernel but never sees the page. This test serves JupyterLab on 127.0.0.1 (a free port, a
token), opens each notebook in Debian's Chromium through Playwright, runs *Run All Cells* from the menu in the smoke
profile and waits until every cell has run. Then it reads the page: no error and no stderr output (bar
:data:`ALLOWED_STDERR`), every image loaded, at least one figure in each notebook that draws one. It saves a
screenshot of each whole notebook in ``runs/lab-test/screenshots/`` and prints where, with the time each notebook took.

The notebooks run from copies in ``runs/lab-test/notebooks/``: the same project root, so the same data and models, and
nothing the browser does can touch the committed files. Set ``FER2013_DIR`` to run them on FER2013, as CI does.
Needs Debian's ``chromium`` (``apt-get install chromium``; ``CHROMIUM`` names another binary); Playwright downloads no
browser. Not part of ``make test`` (the file name does not start with ``test_``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "runs" / "lab-test"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the test may run as root (CI does)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOTEBOOK_TIMEOUT_S = float(os.environ.get("FER_LAB_TEST_TIMEOUT", 1200))
SCREENSHOT_WIDTH = 1280
SCREENSHOT_MAX_HEIGHT = 32000

ALLOWED_STDERR: dict[str, str] = {}
"""Text that may appear in a notebook's stderr output, with the reason it is not a problem: none so far."""

LAB_SETTINGS = {
    # every cell in the page, so that the test can read all outputs and screenshot the whole notebook
    # and the notebook's kernel (Python 3) starts without asking
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    # the copies are never written back
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # no news or update checks: CI has no internet
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

NOTEBOOK = ".jp-NotebookPanel"
SCROLLER = f"{NOTEBOOK} .jp-WindowedPanel-outer"
READ_PAGE = """() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')];
  return {
    status: document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator')?.dataset.status,
    prompts: cells.map(c => c.querySelector('.jp-InputPrompt')?.textContent.trim() ?? ''),
    outputs: cells.map((c, i) => [...c.querySelectorAll('.jp-OutputArea-output')].map(o => ({
      cell: i, mime: o.dataset.mimeType ?? '', text: o.textContent.slice(0, 2000),
    }))).flat(),
    images: [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output img')].map(
      img => ({loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth})),
  };
}"""
DRAWS = re.compile(r"\bplt\.|\bplots\.|\bplot_\w+\(|\bimshow\(")
"""Code that draws a figure: a notebook with such code must show at least one image."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 with a token, fresh settings, and the notebooks' copies under its root."""

    def __init__(self, folder: Path) -> None:
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        for plugin, values in LAB_SETTINGS.items():
            path = folder / "settings" / f"{plugin.replace(':', '/')}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {
            **os.environ,
            "FER_PROFILE": "smoke",
            "JUPYTERLAB_SETTINGS_DIR": str(folder / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces"),
            "JUPYTER_CONFIG_DIR": str(folder / "config"),
            "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        }
        self.log = folder / "jupyterlab.log"
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={ROOT}", "--ServerApp.allow_root=True", "--LabApp.extension_manager=readonly",
        ]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.wait_until_up()

    def api(self, path: str, method: str = "GET"):
        """Call the server's REST API; return the decoded JSON (None for an empty answer)."""
        request = urllib.request.Request(
            f"{self.base}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def wait_until_up(self, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                self.api("status")
                return
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer within {timeout_s:.0f} s:\n{self.log.read_text()[-3000:]}")

    def url(self, workspace: str, path: Path) -> str:
        """Return the address that opens ``path`` in a workspace of its own (so no other tab comes back)."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path.relative_to(ROOT).as_posix()}?token={self.token}"

    def kernel_state(self, path: Path) -> str | None:
        """Return the execution state of the kernel of the notebook at ``path`` (None while it has none)."""
        for session in self.api("sessions"):
            if session["path"] == path.relative_to(ROOT).as_posix() and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def shut_down_kernels(self) -> None:
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Yield a Chromium browser context (Debian's binary, a fresh profile) driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `apt-get install chromium` (or set CHROMIUM to a Chromium binary)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": SCREENSHOT_WIDTH, "height": 900},
        )
        yield context
        context.close()


def open_notebook(page, lab: Lab, path: Path, timeout_s: float = 180) -> None:
    """Open the notebook and wait until its kernel is idle, for the server and on the page; accept the default kernel
    if JupyterLab asks for one."""
    page.goto(lab.url(path.stem, path), wait_until="domcontentloaded")
    deadline, settled = time.monotonic() + timeout_s, 0
    while settled < 3:  # idle, with no dialog, three times in a row a second apart
        page.wait_for_timeout(1000)
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            dialog.locator(".jp-mod-accept").first.click()  # "Select Kernel": keep the proposed Python 3
            settled = 0
        idle = lab.kernel_state(path) == "idle"
        idle = idle and page.locator(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        settled = settled + 1 if idle and not dialog.count() else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"the notebook's kernel was not idle after {timeout_s:.0f} s")


def run_all_cells(page, timeout_s: float) -> dict:
    """Click *Run > Run All Cells*, wait until no cell is queued or running and the kernel is idle; return the page."""
    first_prompt = "document.querySelector('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt').textContent.trim()"
    for attempt in range(2):  # a second click if the first came before JupyterLab was quite ready
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        started = time.monotonic()
        try:
            page.wait_for_function(f"() => {first_prompt} !== '[ ]:'", timeout=60_000)
            break
        except PlaywrightTimeoutError:
            if attempt:
                raise
    settled = 0
    while settled < 2:  # the same finished state twice in a row, a second apart
        page.wait_for_timeout(1000)
        state = page.evaluate(READ_PAGE)
        finished = state["status"] == "idle" and not any("*" in prompt for prompt in state["prompts"])
        settled = settled + 1 if finished else 0
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"cells still running after {timeout_s:.0f} s: {state['prompts']}")
    return state


def screenshot_whole_notebook(page, path: Path) -> None:
    """Make the window as tall as the notebook (up to a limit), scroll it to the top and save a screenshot."""
    height = page.evaluate(f"() => document.querySelector('{SCROLLER}').scrollHeight")
    page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": min(height + 120, SCREENSHOT_MAX_HEIGHT)})
    page.evaluate(f"() => {{ document.querySelector('{SCROLLER}').scrollTop = 0; }}")
    page.wait_for_timeout(1000)
    page.screenshot(path=path)


def problems_in(state: dict, code_cells: int, draws: bool) -> list[str]:
    """Return what a learner would see as wrong on the page: cells not run, errors, stderr, missing figures."""
    problems = []
    expected = [f"[{n}]:" for n in range(1, code_cells + 1)]
    if state["prompts"] != expected:
        problems.append(f"not every cell ran, in order: prompts {state['prompts']}")
    for output in state["outputs"]:
        text = output["text"]
        if output["mime"] == "application/vnd.jupyter.stderr" and not any(ok in text for ok in ALLOWED_STDERR):
            problems.append(f"cell {output['cell'] + 1}: error or stderr output:\n{text[:1500]}")
        elif "Error displaying widget" in text:
            problems.append(f"cell {output['cell'] + 1}: a widget (progress bar) did not render: {text[:300]}")
    if not all(image["loaded"] for image in state["images"]):
        problems.append(f"images that did not load: {[i for i in state['images'] if not i['loaded']]}")
    if draws and not state["images"]:
        problems.append("the notebook draws figures, but none rendered")
    return problems


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_clean_in_jupyterlab(notebook: Path, lab: Lab, browser) -> None:
    copy = OUT / "notebooks" / notebook.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, copy)
    screenshot = OUT / "screenshots" / f"{notebook.stem}.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    code = [
        "".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"
    ]
    page = browser.new_page()
    try:
        open_notebook(page, lab, copy)
        started = time.monotonic()
        state = run_all_cells(page, NOTEBOOK_TIMEOUT_S)
        seconds = time.monotonic() - started
        screenshot_whole_notebook(page, screenshot)
    except Exception:
        page.screenshot(path=screenshot.with_name(f"{notebook.stem}-failed.png"))
        raise
    finally:
        page.close()
        lab.shut_down_kernels()
    print(f"\n{notebook.name}: {seconds:.0f} s in JupyterLab, {len(state['images'])} images; screenshot {screenshot}")
    problems = problems_in(state, len(code), draws=any(DRAWS.search(source) for source in code))
    assert not problems, f"{notebook.name} in JupyterLab:\n" + "\n".join(problems)
