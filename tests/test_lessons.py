"""Every lesson runs end to end in sample mode, and its published copy is what a fresh run shows.

The lessons in lessons/ are stored without outputs, deliberately: a student opens a clean notebook
(the first test). Their outputs are published separately, in docs/lessons (`make publish`, see
tools/publish_lessons.py and tests/test_published_lessons.py). Each lesson runs here as `make
publish` runs it (COURSEKIT_SAMPLE=1, COURSEKIT_SEED=0, a fresh COURSEKIT_HOME, a fresh kernel
beside the notebook); a cell that raises fails the test, and so does a lesson's own check cell
(its key figures, and every claim its text makes about the sample's numbers). Its cleaned outputs
must then match the published copy's: the same cells, outputs of the same kinds, the same texts
with their digits masked (another machine may round the last digits differently).
"""

import json
import re
from pathlib import Path

import nbformat
import pytest

LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("*.ipynb"))


def test_there_are_six_lessons_stored_without_outputs():
    assert [p.name for p in LESSONS] == [
        "01_pets.ipynb",
        "02_dogscats.ipynb",
        "03_dogbreeds.ipynb",
        "04_planet.ipynb",
        "05_convolutions.ipynb",
        "06_your_classifier.ipynb",
    ]
    for path in LESSONS:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
        assert "colab.research.google.com" in "".join(nb["cells"][0]["source"]), path.name
        assert "google.colab" in "".join(code[0]["source"]), path.name  # the Colab set-up cell
        assert not any("class " in "".join(c["source"]) for c in code), path.name  # no library code


@pytest.mark.lessons
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_sample_mode_as_published(lesson, tmp_path):
    from tools.publish_lessons import PUBLISHED, clean, execute, structure

    home = tmp_path / "home"
    fresh = clean(execute(lesson, home), lesson, str(home))
    published = nbformat.read(PUBLISHED / lesson.name, as_version=4)
    for index, (ours, theirs) in enumerate(zip(structure(fresh), structure(published))):
        assert ours == theirs, f"cell {index} differs from docs/lessons: run `make publish`"
    assert len(fresh.cells) == len(published.cells)


def test_each_lesson_draws_the_sample_set_coursekit_data_draws():
    """`coursekit data NAME` (and Binder's postBuild) draws LESSON_SAMPLES: lessons 01-04's own calls."""
    from coursekit.data.sample_sets import LESSON_SAMPLES

    drawn = {}
    for path, name in zip(LESSONS, ("pets", "dogscats", "dogbreeds", "planet")):
        source = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        (args,) = re.findall(rf"ck\.samples\.{name}\(([^)]*)\)", source)
        drawn[name] = {k.strip(): int(v) for k, v in (a.split("=") for a in args.split(","))}
    assert drawn == LESSON_SAMPLES
