"""The panels in a real browser: JupyterLab 4, ipywidgets 8, bqplot 0.13, headless Chromium.

Each test writes a throw-away notebook, runs it through JupyterLab's Run menu, drives the page
the way a student would (keys, clicks, dropdowns) and asserts on the DOM. Screenshots of each
panel go to tests/artifacts/ (ignored by git).
"""

import json
import shutil
from pathlib import Path

import pytest

from tests.browser.lab import run_all, run_cell, screenshot

pytestmark = pytest.mark.browser

SETUP = """import coursekit as ck
from coursekit import widgets as ckw
data = ck.ImageData.from_name_re(ck.samples.pets(n_per_class=6, max_side=200) / "images", pat=r"([^/]+)_\\d+\\.jpg$",
                                 size=32, bs=4, num_workers=0)
learn = ck.Learner.pretrained("tinyresnet", data, metrics=[ck.accuracy])"""


def open_and_run(page, lab, name, cells):
    lab.write_notebook(name, cells)
    page.goto(lab.notebook_url(name))
    run_all(page)


def line_paths(page, figure=0):
    """The 'd' attribute of every bqplot line of the ``figure``-th plot on the page."""
    fig = page.locator(".bqplot.figure").nth(figure)
    fig.locator("path.line").first.wait_for(state="attached")
    return fig.locator("path.line").evaluate_all("els => els.map(e => e.getAttribute('d') || '')")


def slider_handle(page, label):
    return (
        page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label))
        .locator(".noUi-handle")
        .first
    )


def test_schedule_panel_slider_redraws_the_line(page, lab):
    open_and_run(page, lab, "schedule.ipynb", [SETUP, "panel = ckw.SchedulePanel(learn)\npanel"])
    page.get_by_text("Fit with this schedule").wait_for()
    before = line_paths(page)
    assert any(len(d) > 50 for d in before), "the plan is drawn"
    handle = slider_handle(page, "n_cycle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    # the kernel has planned the new fit (its code line no longer says 3 cycles) and the line is redrawn
    page.wait_for_function(
        "before => { const f = document.querySelector('.bqplot.figure');"
        " const d = [...f.querySelectorAll('path.line')].map(e => e.getAttribute('d') || '');"
        " return !document.body.innerText.includes('learn.fit(1e-2, 3,')"
        "        && JSON.stringify(d) !== before; }",
        arg=json.dumps(before),
    )
    page.wait_for_timeout(500)  # let bqplot's transition settle before reading the paths
    assert line_paths(page) != before
    assert page.get_by_text("cycle_mult=2").first.is_visible()
    screenshot(page, "schedule_panel")


def test_lr_finder_panel_draws_its_curve_and_the_marker_follows_the_slider(page, lab):
    open_and_run(page, lab, "lr_finder.ipynb", [SETUP, "panel = ckw.LRFinderPanel(learn)\npanel"])
    page.get_by_role("button", name="Run lr_find").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.bqplot.figure path.line')]"
        ".some(e => (e.getAttribute('d') || '').length > 50)"
    )  # the curve
    before = line_paths(page)
    handle = slider_handle(page, "lr")
    handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "before => JSON.stringify([...document.querySelector('.bqplot.figure')"
        ".querySelectorAll('path.line')].map(e => e.getAttribute('d') || '')) !== before",
        arg=json.dumps(before),
    )  # the marker moved
    after = line_paths(page)
    curve = max(before, key=len)
    assert curve in after, "the curve stays; only the marker moves"
    assert page.locator(".widget-html", has_text="smoothed loss").first.is_visible()
    screenshot(page, "lr_finder_panel")


def test_layer_group_toggles_change_the_learner(page, lab):
    check = 'print("TRAINABLE", [g.trainable for g in learn.layer_groups])'
    open_and_run(
        page,
        lab,
        "layer_groups.ipynb",
        [SETUP, "panel = ckw.LayerGroupsPanel(learn)\npanel", check],
    )
    page.get_by_text("TRAINABLE [False, False, True]").wait_for()
    page.locator(".widget-toggle-button", has_text="layer3+layer4").click()
    page.locator(
        ".widget-toggle-button", has_text="layer3+layer4: 1,149,184 params, trainable"
    ).wait_for()
    run_cell(page, 2)  # ask the kernel
    page.get_by_text("TRAINABLE [False, True, True]").wait_for()
    page.get_by_role("button", name="Unfreeze all").click()
    page.locator(
        ".widget-toggle-button", has_text="stem+layer1+layer2: 77,216 params, trainable"
    ).wait_for()
    run_cell(page, 2)
    page.get_by_text("TRAINABLE [True, True, True]").wait_for()
    screenshot(page, "layer_groups_panel")


def _image_sources(panel):
    return panel.locator("img").evaluate_all("els => els.map(e => e.src)")


def test_gallery_shows_thumbnails_and_a_confusion_cell_click_changes_them(page, lab):
    open_and_run(
        page,
        lab,
        "gallery.ipynb",
        [
            SETUP,
            "learn.fit(1e-2, 1, quiet=True)\n"
            "panel = ckw.ResultsGallery(learn.interpret(), view='top losses', n=6)\npanel",
        ],
    )
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea img').length >= 6")
    before = _image_sources(page.locator(".jp-OutputArea").last)
    assert len(before) >= 6
    page.locator(".jp-OutputArea select").first.select_option(label="confusion matrix")
    cell = page.locator(".widget-button", has_text="1").first
    cell.wait_for()
    screenshot(page, "gallery_confusion_matrix")
    buttons = page.locator(".jp-OutputArea .widget-gridbox .widget-button")
    texts = buttons.evaluate_all("els => els.map(e => e.textContent.trim())")
    buttons.nth(next(i for i, t in enumerate(texts) if t not in ("", "0"))).click()
    page.get_by_text("actual ").first.wait_for()
    page.wait_for_function(
        "before => { const s = [...document.querySelectorAll('.jp-OutputArea img')].map(e => e.src);"
        " return s.length > 0 && JSON.stringify(s) !== before; }",
        arg=json.dumps(before),
    )
    screenshot(page, "gallery_pair")


def test_conv_explorer_output_changes_with_a_preset(page, lab):
    open_and_run(
        page,
        lab,
        "conv.ipynb",
        ["from coursekit import widgets as ckw\nexplorer = ckw.ConvExplorer()\nexplorer"],
    )
    output = page.locator(".jp-OutputArea .widget-image").nth(1)
    output.wait_for()
    before = output.get_attribute("src")
    page.locator(".jp-OutputArea select").first.select_option(label="outline")
    page.wait_for_function(
        "before => document.querySelectorAll('.jp-OutputArea .widget-image')[1].src !== before",
        arg=before,
    )
    assert page.get_by_text("sum of the nine products").first.is_visible()
    screenshot(page, "conv_explorer")


def test_training_monitor_stop_ends_a_background_fit(page, lab):
    slow = "import time\nlearn.events['after_batch'].append(lambda l: time.sleep(0.2))"
    open_and_run(
        page,
        lab,
        "monitor.ipynb",
        [
            SETUP + "\n" + slow,
            "monitor = ckw.TrainingMonitor(learn)\nmonitor",
            "job = learn.fit(1e-3, 50, background=True)",
        ],
    )
    page.get_by_text("training: 50 epochs").wait_for()
    stop = page.get_by_role("button", name="Stop")
    stop.click()
    page.get_by_text("fit ended early").wait_for(timeout=60_000)
    screenshot(page, "training_monitor")


def test_a_lesson_runs_through_jupyterlab_without_errors(page, lab):
    lesson = Path(__file__).resolve().parents[2] / "lessons" / "05_convolutions.ipynb"
    shutil.copy(lesson, lab.root / lesson.name)
    page.goto(lab.notebook_url(lesson.name))
    run_all(page)
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    nb = json.loads((lab.root / lesson.name).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code)
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, errors
    assert any("F.conv2d computes" in "".join(o.get("text", "")) for o in code[-1]["outputs"])
    screenshot(page, "lesson_05_in_jupyterlab")
