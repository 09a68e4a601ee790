"""PredictPanel and CleanerPanel in a real browser (JupyterLab 4, ipywidgets 8, headless Chromium).

Screenshots go to tests/artifacts/ (ignored by git), like the other browser tests.
"""

import pytest

from tests.browser.lab import run_all, screenshot

pytestmark = pytest.mark.browser

SETUP = """import coursekit as ck
from coursekit import widgets as ckw
path = ck.samples.dogscats(n_per_class=8, n_test=2, max_side=200)
data = ck.ImageData.from_folder(path, size=32, bs=4, num_workers=0)
learn = ck.Learner.pretrained("tinyresnet", data)"""


def test_predict_panel_shows_the_photo_and_top_k_bars(page, lab):
    lab.write_notebook(
        "predict.ipynb",
        [
            SETUP,
            "import shutil; shutil.copy(data.valid_paths[0], 'photo.jpg')\n"
            "learn2 = ck.load_learner(learn.export('export.pth'))\n"
            "panel = ckw.PredictPanel(learn2, k=2)\npanel",
        ],
    )
    page.goto(lab.notebook_url("predict.ipynb"))
    run_all(page)
    box = page.locator(".jp-OutputArea input[type=text]").last
    box.fill("photo.jpg")  # a path beside the notebook, typed as a student would
    page.locator(".jp-OutputArea").last.get_by_text("1 MB").wait_for()
    page.locator(".jp-OutputArea .widget-button", has_text="predict").last.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-OutputArea .ck-topk > div').length == 2"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-OutputArea img')].some(e => e.naturalWidth > 0)"
    )
    screenshot(page, "predict_panel")


def test_cleaner_panel_delete_apply_and_undo(page, lab):
    lab.write_notebook(
        "cleaner.ipynb", [SETUP, "panel = ckw.CleanerPanel(learn.interpret(), n=4)\npanel"]
    )
    page.goto(lab.notebook_url("cleaner.ipynb"))
    run_all(page)
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-OutputArea .widget-gridbox img').length >= 1"
    )
    menus = page.locator(".jp-OutputArea .widget-gridbox select")
    menus.first.select_option(label="delete")
    page.locator(".jp-OutputArea").last.get_by_text("1 to delete").wait_for()
    screenshot(page, "cleaner_panel_choice")
    page.locator(".jp-OutputArea .widget-button", has_text="apply").last.click()
    page.locator(".jp-OutputArea").last.get_by_text("applied 1 change").wait_for()
    page.locator(".jp-OutputArea .widget-button", has_text="undo").last.click()
    page.locator(".jp-OutputArea").last.get_by_text("undid").wait_for()
    screenshot(page, "cleaner_panel_undone")
