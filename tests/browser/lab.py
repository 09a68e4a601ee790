"""Notebook servers (JupyterLab 4; classic Notebook 6.5) and a headless Chromium for the browser
tests, always stopped afterwards."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import ClassVar

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def ensure_chromium() -> str | None:
    """Install Debian's chromium if it is missing (as root); None if it is there, else why not."""
    if Path(CHROMIUM).exists():
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return "chromium is missing and cannot be installed here (needs apt-get as root)"
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotebookServer:
    """A notebook server on 127.0.0.1 with a token, serving ``root``; ``stop()`` ends its process
    group. Subclasses say which server to start (``command``) and how to open a notebook."""

    name = "notebook server"
    kernel: ClassVar[dict[str, str]] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }

    def __init__(self, root: Path, env: dict):
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        # open for the server's whole life; stop() closes it
        self.log = open(root / f"{type(self).__name__.lower()}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up()

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(
                    f"{self.url}/api/status?token={self.token}", timeout=2
                ) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not start in {timeout} s: see {self.log.name}")

    def write_notebook(self, name: str, cells: list[str]) -> str:
        nb = new_notebook(cells=[new_code_cell(c) for c in cells])
        nb.metadata = {"kernelspec": self.kernel}
        nbformat.write(nb, self.root / name)
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Lab(NotebookServer):
    """JupyterLab 4 from the test venv (ipywidgets 8, bqplot 0.13)."""

    name = "JupyterLab"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.allow_root=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]

    def notebook_url(self, name: str) -> str:
        """The notebook alone in a fresh workspace (``reset``): no tab of an earlier test restored."""
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"


class ClassicNotebook(NotebookServer):
    """Classic Notebook 6.5 with widgetsnbextension 3.6 and bqplot 0.12's nbextension, from its own
    small venv (``.venv/classic``, no torch): the widget generation Google Colab runs.

    Its notebooks use the kernel ``coursekit-widgets7``: the test venv's Python (torch, coursekit)
    with Colab's ipywidgets 7.7.1 and bqplot 0.12.45 (``.venv/colab-widgets``) first on the path."""

    name = "classic Notebook"
    kernel: ClassVar[dict[str, str]] = {
        "name": "coursekit-widgets7",
        "display_name": "coursekit (ipywidgets 7)",
        "language": "python",
    }

    def __init__(self, root: Path, env: dict, venv: Path, kernel_path: list[str]):
        self.venv = venv
        spec_dir = root / ".jupyter-data" / "kernels" / self.kernel["name"]
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": self.kernel["display_name"],
            "language": "python",
            "env": {"PYTHONPATH": os.pathsep.join(kernel_path)},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        super().__init__(root, {**env, "JUPYTER_PATH": str(root / ".jupyter-data")})

    def command(self) -> list[str]:
        return [
            str(self.venv / "bin" / "jupyter"),
            "notebook",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--NotebookApp.token={self.token}",
            f"--notebook-dir={self.root}",
            "--allow-root",
        ]

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/notebooks/{name}?token={self.token}"


def run_all(page, timeout_ms: int = 240_000) -> None:
    """Run every cell through JupyterLab's Run menu and wait until each code cell has run.

    The menu item does nothing until the notebook's kernel is up, so wait for "Idle" in the status
    bar first, and click again if no cell has started a few seconds later."""
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", state="attached", timeout=60_000)
    page.get_by_text("| Idle").first.wait_for(timeout=120_000)
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()  # focus the notebook
    for _ in range(3):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]"
                ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))",
                timeout=10_000,
            )
            break
        except Exception:  # playwright's TimeoutError: the click came too early; try again
            continue
    wait_for_cells(page, timeout_ms)


def wait_for_cells(page, timeout_ms: int = 240_000) -> None:
    """Wait until every code cell shows an execution count (none is queued or running)."""
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];"
        " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
        timeout=timeout_ms,
    )


def run_cell(page, index: int, timeout_ms: int = 60_000) -> None:
    """Run the ``index``-th code cell again (select it, Ctrl+Enter: run in place) and wait for it."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Enter")
    wait_for_cells(page, timeout_ms)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def run_all_classic(page, timeout_ms: int = 240_000) -> None:
    """Classic Notebook: once its kernel is connected, run every cell and wait until each code cell
    has an execution count and the kernel is idle.

    A cell's execution count comes with its reply on the shell channel, which can arrive before the
    cell's outputs on the iopub channel (a panel's widgets, a few hundred kB of pictures): the kernel's
    "idle" status comes on iopub after them. A test that clicks a panel before then races the widget
    manager, which is still creating that panel's models (an update can be lost, a picture broken)."""
    page.wait_for_function(
        "() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
        " && Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel.widget_manager",
        timeout=120_000,
    )
    # As the kernel connects, ipywidgets 7's widget manager asks it which widgets exist (a control
    # comm, then a comm_info request) and makes a model for each one it has not seen. Cells run at
    # that moment race it: it makes a second model for a widget whose own is still being made, and
    # the panel's views are torn down (nothing drawn, "Could not add child view to box"). A student
    # clicking Run All never runs that close; let the kernel answer a request sent after the
    # manager's, then give the manager a moment to finish.
    page.evaluate("() => new Promise(done => Jupyter.notebook.kernel.kernel_info(() => done()))")
    page.wait_for_timeout(1_000)
    page.evaluate("Jupyter.notebook.execute_all_cells()")
    page.wait_for_function(
        "() => Jupyter.notebook.get_cells()"
        ".every(c => c.cell_type !== 'code' || typeof c.input_prompt_number === 'number')",
        timeout=timeout_ms,
    )
    page.wait_for_function("() => !Jupyter.notebook.kernel_busy", timeout=timeout_ms)
