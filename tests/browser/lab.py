"""A JupyterLab server and a headless Chromium for the browser tests, always stopped afterwards."""

from __future__ import annotations

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


class Lab:
    """JupyterLab on 127.0.0.1 with a token, serving ``root``; ``stop()`` ends its process group."""

    def __init__(self, root: Path, env: dict):
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        self.log = open(root / "jupyterlab.log", "w")  # noqa: SIM115 (open while Lab runs; stop() closes it)
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.allow_root=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        self.process = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(
                    f"{self.url}/api/status?token={self.token}", timeout=2
                ) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"JupyterLab did not start in {timeout} s: see {self.log.name}")

    def notebook_url(self, name: str) -> str:
        """The notebook alone in a fresh workspace (``reset``): no tab of an earlier test restored."""
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"

    def write_notebook(self, name: str, cells: list[str]) -> str:
        nb = new_notebook(cells=[new_code_cell(c) for c in cells])
        nb.metadata = {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
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
