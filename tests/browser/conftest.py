"""Fixtures of the browser suite: one JupyterLab server, one classic Notebook server (started by the
tests that ask for it) and one Chromium for the session."""

import os
from pathlib import Path

import pytest

from tests.browser.lab import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    ClassicNotebook,
    Lab,
    ensure_chromium,
    screenshot,
)
from tests.environment import importorskip, missing

ROOT = Path(__file__).resolve().parents[2]
CLASSIC_VENV = ROOT / ".venv" / "classic"
COLAB_WIDGETS = ROOT / ".venv" / "colab-widgets"


def server_env(root, coursekit_home) -> dict:
    return {
        **os.environ,
        "COURSEKIT_SAMPLE": "1",
        "COURSEKIT_HOME": str(coursekit_home),
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".jupyter-runtime"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }


@pytest.fixture(scope="session")
def lab(tmp_path_factory, coursekit_home):
    root = tmp_path_factory.mktemp("lab")
    server = Lab(root, server_env(root, coursekit_home))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def classic(tmp_path_factory, coursekit_home):
    """Classic Notebook 6.5 + ipywidgets 7.7.1 + bqplot 0.12.45: `make test` builds its venv."""
    absent = [p for p in (CLASSIC_VENV, COLAB_WIDGETS) if not (p / ".installed").exists()]
    if absent:
        missing(f"{', '.join(map(str, absent))} missing: `make test` installs them")
    root = tmp_path_factory.mktemp("classic")
    server = ClassicNotebook(
        root,
        server_env(root, coursekit_home),
        venv=CLASSIC_VENV,
        kernel_path=[str(COLAB_WIDGETS), str(ROOT)],
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    reason = ensure_chromium()
    if reason:
        missing(reason)
    playwright = importorskip("playwright.sync_api")

    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        try:  # the page as it was at the end, pass or fail: for debugging
            screenshot(page, f"end-{request.node.name}")
        finally:
            context.close()
