"""Fixtures of the browser suite: one JupyterLab server and one Chromium for the session."""

import os

import pytest

from tests.browser.lab import CHROMIUM, CHROMIUM_FLAGS, Lab, ensure_chromium, screenshot
from tests.environment import importorskip, missing


@pytest.fixture(scope="session")
def lab(tmp_path_factory, coursekit_home):
    root = tmp_path_factory.mktemp("lab")
    env = {
        **os.environ,
        "COURSEKIT_SAMPLE": "1",
        "COURSEKIT_HOME": str(coursekit_home),
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".jupyter-runtime"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    server = Lab(root, env)
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
