"""The published lessons (docs/lessons, `make publish`): the lessons' own cells with the outputs of
one seeded sample-mode run, cleaned of everything that belongs to the machine.

tests/test_lessons.py runs each lesson afresh and compares its outputs with these copies."""

import base64
import copy
import io
import re
import shutil

import nbformat
import pytest
from PIL import Image

from tools.publish_lessons import BANNER, LESSONS, PUBLISHED, WIDGET, clean, refresh

LESSON_PATHS = sorted(LESSONS.glob("*.ipynb"))


@pytest.mark.parametrize("lesson", LESSON_PATHS, ids=[p.stem for p in LESSON_PATHS])
def test_each_lesson_is_published_with_its_cells_and_outputs(lesson):
    published = nbformat.read(PUBLISHED / lesson.name, as_version=4)
    original = nbformat.read(lesson, as_version=4)
    assert published.cells[0].source == BANNER.format(name=lesson.name)  # labelled as sample mode's
    assert [(c.cell_type, c.source) for c in published.cells[1:]] == [
        (c.cell_type, c.source) for c in original.cells
    ], "the lesson changed: run `make publish`"
    assert published.metadata == original.metadata  # no kernel names, versions or widget state
    code = [c for c in published.cells if c.cell_type == "code"]
    assert all(out.output_type != "error" for c in code for out in c.outputs)
    assert sum(bool(c.outputs) for c in code) >= len(code) // 2  # what a reader came for
    assert all(c.execution_count is not None for c in code)


FORBIDDEN = {
    "a temporary folder": r"/tmp/",
    "a home folder": r"/root/|/home/",
    "this checkout's path": r"/work/",
    "a kernel's cell file": r"ipykernel",
    "Python's site-packages": r"site-packages",
    "an epoch's seconds": r">\d+(\.\d+)?s</td>",
    "a widget the page cannot show": re.escape(WIDGET),
    "cell timings": r'"execution":',
}


def test_published_outputs_say_nothing_about_the_machine():
    for path in sorted(PUBLISHED.glob("*.ipynb")):
        text = path.read_text()
        for what, pattern in FORBIDDEN.items():
            assert not re.search(pattern, text), f"{path.name} shows {what}"


def test_published_copies_stay_small():
    sizes = {p.name: p.stat().st_size for p in PUBLISHED.glob("*.ipynb")}
    assert len(sizes) == len(LESSON_PATHS)
    assert sum(sizes.values()) < 4 * 2**20, sizes  # the device tool copies the whole tree


def _png(colour):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_the_cleaner_drops_paths_timings_progress_bars_and_panels(tmp_path):
    lesson = tmp_path / "01_x.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    nb.cells = [nbformat.v4.new_markdown_cell("# x"), nbformat.v4.new_code_cell("fit()")]
    nbformat.write(nb, lesson)
    ran = nbformat.read(lesson, as_version=4)
    home = "/tmp/pub123/home"
    ran.metadata["widgets"] = {"state": {}}
    ran.cells[1].outputs = [
        nbformat.v4.new_output(
            "stream", name="stdout", text=f"saved to {home}/models/a.pth, "
        ),  # one print in two pieces, as a busy kernel may send it
        nbformat.v4.new_output(
            "stream", name="stdout", text=f"{home}/.trash/20261204-171853-ee0911\n"
        ),
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="/tmp/ipykernel_77/123.py:2: UserWarning: careful\n"
            "/srv/venv/lib/python3.11/site-packages/torch/x.py:9: Note\n",
        ),
        nbformat.v4.new_output(
            "display_data",
            data={WIDGET: {"model_id": "1"}, "text/plain": " 40%|####  | 4/10 [00:01<00:02]"},
        ),
        nbformat.v4.new_output(
            "display_data", data={WIDGET: {"model_id": "2"}, "text/plain": "Panel()"}
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": "<tr><td style='x'>0.5</td><td style='x'>17.6s</td></tr>"},
        ),
        nbformat.v4.new_output(
            "execute_result", data={"image/png": _png("red")}, execution_count=1
        ),
    ]
    published = clean(ran, lesson, home)
    outputs = published.cells[2].outputs  # after the banner and the markdown cell
    assert outputs[0].text == "saved to ~/.coursekit/models/a.pth, ~/.coursekit/.trash/<when>\n"
    assert outputs[1].text == "<cell>:2: UserWarning: careful\ntorch/x.py:9: Note\n"
    assert [list(o.data) for o in outputs[2:4]] == [["text/markdown"], ["text/html"]]  # no bar
    assert "interactive panel" in outputs[2].data["text/markdown"]
    assert outputs[3].data["text/html"] == "<tr><td style='x'>0.5</td><td style='x'>…</td></tr>"
    image = Image.open(io.BytesIO(base64.b64decode(outputs[4].data["image/png"])))
    assert image.mode == "P" and image.convert("RGB").getpixel((5, 5)) == (255, 0, 0)
    assert published.metadata == {"kernelspec": {"name": "python3", "display_name": "Python 3"}}


def test_refresh_keeps_the_published_outputs_byte_for_byte(tmp_path):
    """A change to a lesson's text alone rewrites only that text: the figures, already re-encoded
    when published, are not re-encoded again (each pass would alter them a little)."""
    out_dir = tmp_path / "published"
    out_dir.mkdir()
    lesson = LESSONS / "02_dogscats.ipynb"
    shutil.copy(PUBLISHED / lesson.name, out_dir)
    refresh(lesson, out_dir)
    before = nbformat.read(PUBLISHED / lesson.name, as_version=4)
    after = nbformat.read(out_dir / lesson.name, as_version=4)
    assert [c.get("outputs") for c in after.cells] == [c.get("outputs") for c in before.cells]


def _tables(nb):
    """The outputs of ``nb`` that are HTML tables with a header row (epoch tables)."""
    return [
        out
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "<th" in out.get("data", {}).get("text/html", "")
    ]


def test_a_rerun_must_keep_the_epoch_tables_columns_and_rows():
    from tools.publish_lessons import structure

    published = nbformat.read(PUBLISHED / "02_dogscats.ipynb", as_version=4)
    assert _tables(published), "02 prints epoch tables"
    renamed, other_numbers = copy.deepcopy(published), copy.deepcopy(published)
    table = _tables(renamed)[0]
    table.data["text/html"] = table.data["text/html"].replace(">accuracy<", ">error_rate<")
    for out in _tables(other_numbers):
        out.data["text/html"] = re.sub(r"\d", "7", out.data["text/html"])
    assert structure(renamed) != structure(published)  # a column renamed
    assert structure(other_numbers) == structure(published)  # only the numbers moved
