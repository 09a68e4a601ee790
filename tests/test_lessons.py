"""Every lesson runs end to end in sample mode, through pytest-notebook.

Outputs are not compared (the lessons are stored without them, and training numbers vary); each
lesson checks its own key figures in its last cell (e.g. accuracy far above chance), so a cell
that raises fails the test. The kernel gets COURSEKIT_SAMPLE=1 and this session's COURSEKIT_HOME.
"""

import json
import re
from pathlib import Path

import pytest

LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("*.ipynb"))


def test_there_are_five_lessons_stored_without_outputs():
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
def test_lesson_runs_in_sample_mode(nb_regression, lesson):
    nb_regression.diff_ignore = ("/cells/*/outputs", "/cells/*/execution_count", "/metadata")
    nb_regression.exec_env = {
        "COURSEKIT_SAMPLE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    nb_regression.exec_timeout = 300
    nb_regression.exec_cwd = str(lesson.parent)
    nb_regression.check(str(lesson))


def test_each_lesson_draws_the_sample_set_coursekit_data_draws():
    """`coursekit data NAME` (and Binder's postBuild) draws LESSON_SAMPLES: lessons 01-04's own calls."""
    from coursekit.data.sample_sets import LESSON_SAMPLES

    drawn = {}
    for path, name in zip(LESSONS, ("pets", "dogscats", "dogbreeds", "planet")):
        source = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        (args,) = re.findall(rf"ck\.samples\.{name}\(([^)]*)\)", source)
        drawn[name] = {k.strip(): int(v) for k, v in (a.split("=") for a in args.split(","))}
    assert drawn == LESSON_SAMPLES
