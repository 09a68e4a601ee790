"""The presenter view and the second screen in headless Chromium: computed font sizes, the curve
drawn, a screenshot of each under the test's tmp path."""

import pytest

import coursekit as ck
from coursekit.lessons import presentation_copy
from tests.browser.lab import run_all_classic

pytestmark = pytest.mark.browser

PRESENTING = """import coursekit as ck
from coursekit import widgets as ckw
ck.present()
data = ck.ImageData.from_name_re(ck.samples.pets(n_per_class=6, max_side=200) / "images", pat=r"([^/]+)_\\d+\\.jpg$",
                                 size=32, bs=4, num_workers=0)
learn = ck.Learner.pretrained("tinyresnet", data)
monitor = ckw.TrainingMonitor(learn)
monitor"""


def font_px(locator) -> float:
    return locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


def test_presenter_view_in_jupyterlabs_single_document_view(page, lab, tmp_path):
    """A presentation copy (code folded) in /doc: the panel's text and tick labels at 24 px."""
    lab.write_notebook("presenting.ipynb", [PRESENTING, "learn.fit(1e-3, 1)"])
    copy = presentation_copy(lab.root / "presenting.ipynb", lab.root / "present")
    page.goto(f"{lab.url}/doc/tree/present/{copy.name}?token={lab.token}")
    page.get_by_text("| Idle").first.wait_for(timeout=120_000)
    assert page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea").first.is_hidden()  # folded
    for _ in range(3):  # the Run menu does nothing until the kernel is up: click again if so
        page.locator(".jp-Notebook").first.click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.locator(".coursekit-present .bqplot.figure").wait_for(timeout=30_000)
            break
        except Exception:  # playwright's TimeoutError
            continue
    page.get_by_text("done: 1 epochs").wait_for(timeout=180_000)
    panel = page.locator(".coursekit-present").first
    px = ck.PresenterStyle().font_px
    assert font_px(panel.locator(".bqplot .tick text").first) == px
    assert font_px(panel.locator(".widget-html-content").first) == px
    assert font_px(panel.locator(".bqplot text.axislabel").first) == px
    width = panel.locator("path.line").first.evaluate(
        "e => parseFloat(getComputedStyle(e).strokeWidth)"
    )
    assert width >= ck.PresenterStyle().line_width
    page.screenshot(path=str(tmp_path / "presenter_view.png"), full_page=True)
    assert (tmp_path / "presenter_view.png").stat().st_size > 10_000


def test_presenter_view_on_ipywidgets_7(browser, classic, tmp_path):
    """Classic Notebook with ipywidgets 7.7.1 and bqplot 0.12.45 (Colab's): the same sizes."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        check = 'import ipywidgets; assert ipywidgets.__version__ == "7.7.1"\n'
        classic.write_notebook("presenting7.ipynb", [check + PRESENTING, "learn.fit(1e-3, 1)"])
        page.goto(classic.notebook_url("presenting7.ipynb"))
        # widgetsnbextension 3.6 opens its control comm after the kernel connects; widgets shown
        # before that are not drawn ("Could not add child view to box"): give it a moment
        page.wait_for_function(
            "() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
            " && Jupyter.notebook.kernel.is_connected()",
            timeout=120_000,
        )
        page.wait_for_timeout(5_000)
        run_all_classic(page)
        page.get_by_text("done: 1 epochs").wait_for(timeout=60_000)
        panel = page.locator(".coursekit-present").first
        px = ck.PresenterStyle().font_px
        assert font_px(panel.locator(".bqplot .tick text").first) == px
        assert font_px(panel.locator(".widget-html-content").first) == px
    finally:
        page.screenshot(path=str(tmp_path / "presenter_view_ipywidgets7.png"), full_page=True)
        context.close()


def test_second_screen_page_draws_the_curve_and_says_when_it_stops(page, tiny_pets, tmp_path):
    learn = ck.Learner.pretrained("tinyresnet", tiny_pets)
    screen = ck.second_screen(learn)
    try:
        learn.fit(1e-3, 2)
        page.goto(screen.url)
        page.get_by_text("done: 2 epochs").wait_for(timeout=10_000)
        train = page.locator("svg path.train")
        assert len(train.get_attribute("d")) > 50  # the smoothed loss, one point a batch
        assert page.locator("svg circle.valid-point").count() == 2  # one a validation
        assert font_px(page.locator("svg text").first) == 24
        page.screenshot(path=str(tmp_path / "second_screen.png"))
        assert (tmp_path / "second_screen.png").stat().st_size > 10_000
    finally:
        screen.close()
    page.get_by_text("has stopped").wait_for(timeout=10_000)
