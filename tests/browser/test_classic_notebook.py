"""The panels on ipywidgets 7's frontend: classic Notebook 6.5, widgetsnbextension 3.6,
ipywidgets 7.7.1 and bqplot 0.12.45 in headless Chromium — the widget generation Google Colab runs.

One notebook shows every panel; the tests then drive each one as a student would and check that
what it shows stays legible there: table cells keep their spacing, toggle labels are not cut, a
group of toggle buttons stays on one row. Screenshots go to tests/artifacts/ like the other tests.
"""

import json

import pytest

from tests.browser.lab import run_all_classic, screenshot

pytestmark = pytest.mark.browser

SETUP = """import coursekit as ck
from coursekit import widgets as ckw
import ipywidgets, bqplot
assert ipywidgets.__version__ == "7.7.1" and bqplot.__version__ == "0.12.45", (ipywidgets.__version__, bqplot.__version__)
data = ck.ImageData.from_name_re(ck.samples.pets(n_per_class=6, max_side=200) / "images", pat=r"([^/]+)_\\d+\\.jpg$",
                                 size=32, bs=4, num_workers=0)
learn = ck.Learner.pretrained("tinyresnet", data, metrics=[ck.accuracy])"""

CELLS = [
    SETUP,
    "ckw.SchedulePanel(learn)",
    "ckw.LayerGroupsPanel(learn)",
    "monitor = ckw.TrainingMonitor(learn)\nlearn.fit(1e-2, 1, quiet=True)\nmonitor",
    "ckw.ResultsGallery(learn.interpret(), view='top losses', n=4)",
    "ckw.CleanerPanel(learn.interpret(), n=4)",
    "ckw.PredictPanel(learn, k=2)",
    "ckw.ConvExplorer()",
    "ckw.MaxPoolExplorer()",
    "ckw.LRFinderPanel(learn)",
]


@pytest.fixture(scope="module")
def page(browser, classic):
    """The notebook of every panel, run once; the tests below share the page in this order."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    classic.write_notebook("panels.ipynb", CELLS)
    page.goto(classic.notebook_url("panels.ipynb"))
    try:
        run_all_classic(page)
        # the kernel is idle: every panel's models have arrived; wait until each is drawn and the
        # explorers' pictures are loaded (the max-pool explorer shows four)
        page.wait_for_function(
            "n => { const cells = [...document.querySelectorAll('.cell.code_cell')];"
            " const loaded = c => [...c.querySelectorAll('.widget-image')]"
            ".every(i => i.complete && i.naturalWidth > 0);"
            " return cells.length === n && cells.slice(1).every(c => c.querySelector('.widget-container'))"
            " && cells[8].querySelectorAll('.widget-image').length === 4"
            " && loaded(cells[7]) && loaded(cells[8]); }",
            arg=len(CELLS),
        )
        yield page
    finally:
        try:
            screenshot(page, "end-classic-notebook")
        finally:
            context.close()


def output(page, cell: int):
    """The output area of the ``cell``-th code cell."""
    return page.locator(".cell.code_cell").nth(cell).locator(".output_wrapper")


def test_every_panel_renders_without_an_error(page):
    errors = page.locator(".output_area .output_error").all_inner_texts()
    assert not errors, errors
    for cell in range(1, len(CELLS)):
        output(page, cell).locator(".jupyter-widgets.widget-container").first.wait_for()
    assert output(page, 1).locator(".bqplot.figure path.line").count() >= 1


def test_schedule_slider_redraws_the_plan(page):
    paths = "els => els.map(e => e.getAttribute('d') || '')"
    lines = output(page, 1).locator(".bqplot.figure path.line")
    before = lines.evaluate_all(paths)
    handle = (
        output(page, 1)
        .locator(".widget-slider", has=page.locator(".widget-label", has_text="n_cycle"))
        .locator(".ui-slider-handle")
    )
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "before => { const f = document.querySelectorAll('.cell.code_cell')[1];"
        " const d = [...f.querySelectorAll('.bqplot.figure path.line')].map(e => e.getAttribute('d') || '');"
        " return JSON.stringify(d) !== before; }",
        arg=json.dumps(before),
    )
    output(page, 1).get_by_text("learn.fit(1e-2, 4,").wait_for()


def test_layer_group_toggle_unfreezes_its_group(page):
    toggle = output(page, 2).locator(".widget-toggle-button", has_text="layer3+layer4")
    toggle.click()
    output(page, 2).locator(
        ".widget-toggle-button", has_text="layer3+layer4: 1,149,184 params, trainable"
    ).wait_for()


def test_explorers_respond(page):
    conv = output(page, 7)
    image = conv.locator(".widget-image").nth(1)
    before = image.get_attribute("src")
    conv.locator("select").first.select_option(label="outline")
    page.wait_for_function(
        "before => document.querySelectorAll('.cell.code_cell')[7]"
        ".querySelectorAll('.widget-image')[1].src !== before",
        arg=before,
    )
    pool = output(page, 8)
    image = pool.locator(".widget-image").last
    before = image.get_attribute("src")
    pool.locator(".widget-toggle-button", has_text="max-pool").first.click()
    page.wait_for_function(
        "before => { const i = document.querySelectorAll('.cell.code_cell')[8].querySelectorAll('.widget-image');"
        " return i[i.length - 1].src !== before; }",
        arg=before,
    )


def test_gallery_switches_to_the_confusion_matrix(page):
    gallery = output(page, 4)
    gallery.locator("select").first.select_option(label="confusion matrix")
    gallery.locator(".widget-gridbox .widget-button").first.wait_for()


def test_lr_finder_draws_its_curve(page):
    finder = output(page, 9)
    finder.get_by_role("button", name="Run lr_find").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cell.code_cell')[9]"
        ".querySelectorAll('.bqplot.figure path.line')].some(e => (e.getAttribute('d') || '').length > 50)"
    )
    screenshot(page, "classic_notebook_panels")


def test_tables_keep_their_cell_spacing(page):
    """ipywidgets 7 leaves tables in an HTML widget unstyled: without their own padding, the epoch
    table reads 2.4405931.9650990.357143."""
    # the conv explorer's arithmetic is redrawn by the kernel after test_explorers_respond's change:
    # wait for its table rather than read the page at one instant
    page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-html-content td')]"
        ".some(e => e.textContent.includes('\u00d7'))"
    )
    cells = page.locator(".widget-html-content td, .widget-html-content th").evaluate_all(
        "els => els.map(e => [e.textContent, parseFloat(getComputedStyle(e).paddingLeft)"
        " + parseFloat(getComputedStyle(e).paddingRight)])"
    )
    texts = " ".join(t for t, _ in cells)
    assert "trn_loss" in texts  # the monitor's epoch table
    assert "layer3+layer4" in texts  # the layer groups' rates table
    assert "×" in texts  # the conv explorer's arithmetic
    cramped = [t for t, padding in cells if padding <= 0]
    assert not cramped, cramped


def test_toggle_labels_are_whole_and_groups_stay_on_one_row(page):
    buttons = page.locator(".widget-toggle-buttons").evaluate_all(
        "groups => groups.map(g => [...g.querySelectorAll('button')]"
        ".map(b => [b.textContent, b.scrollWidth, b.clientWidth, b.offsetTop]))"
    )
    assert len(buttons) >= 3  # the schedule's mode, the conv explorer's colour, the max-pool view
    for group in buttons:
        cut = [label for label, scroll, client, _ in group if scroll > client]
        assert not cut, cut
        assert len({top for *_, top in group}) == 1, group
