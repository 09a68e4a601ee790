"""The full-mode rehearsal: every lesson, top to bottom, with ``SAMPLE = False``, against a local
mirror of the real sources (tools/mirror.py) — fast.ai's archives, Kaggle's API through the real
kagglehub client, torchvision's weight files through torchvision's weights API.

First the instructor's command, ``coursekit data --full all``, fetches everything from the mirror
(and a second run fetches nothing); then the mirror is stopped, so the lessons run with the network
off, as they would in a classroom prepared that way. Planet as Kaggle has listed it since its
December 2019 re-upload (the mirror's layout ``2019``) must give lesson 4 the very files that the
2017 layout gives it. Lesson 4 runs once more on the layout with no JPEG tiles (``2019-no-jpg``):
there the instructor's command must say so and go on, and the lesson runs as a student then would,
with ``PLANET_SUBSET = ck.URLs.PLANET_SAMPLE``, fetching fast.ai's planet_sample from the mirror
itself. The one rehearsal setting is ``COURSEKIT_MAX_SIZE=32`` (pictures capped at 32 px, so
resnets train on a CPU in minutes); each lesson prints it where it applies. ``pytest -m full_mode``
runs only this file.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.full_mode
REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "lessons").glob("*.ipynb"))


@pytest.fixture(scope="module")
def mirror_root(tmp_path_factory):
    from tools.mirror import build

    return build(tmp_path_factory.mktemp("mirror") / "root", quiet=True)


def _prepare(mirror_root, work: Path, names: str, layout: dict | None = None) -> dict:
    """Run ``coursekit data --full NAMES`` against the mirror (in ``layout``) into ``work``."""
    from tools.mirror import full_mode_env
    from tools.mirror_server import MirrorServer

    env = full_mode_env(work) | {"COURSEKIT_MAX_SIZE": "32"}
    cli = [sys.executable, "-m", "coursekit.cli", "data", "--full", names]
    runs = []
    with MirrorServer(mirror_root, kaggle_layout=layout) as server:
        env["COURSEKIT_MIRROR"] = server.url
        run_env = {**os.environ, **env}
        for _ in range(1 if layout else 2):
            runs.append(
                subprocess.run(
                    cli, env=run_env, capture_output=True, text=True, cwd=REPO, timeout=600
                )
            )
    env["runs"] = runs
    return env


@pytest.fixture(scope="module")
def full_mode_env(mirror_root, tmp_path_factory):
    """Environment of a machine prepared by ``coursekit data --full all``; the mirror is then stopped."""
    env = _prepare(mirror_root, tmp_path_factory.mktemp("full_mode"), "all")
    first, second = env.pop("runs")
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    env["first_run"], env["second_run"] = first.stdout, second.stdout
    return env


def test_instructor_command_fetches_everything_once(full_mode_env):
    first, second = full_mode_env["first_run"], full_mode_env["second_run"]
    for item in (
        "oxford-iiit-pet.tgz",
        "dogscats.tgz",
        "dog-breed-identification",
        "planet-understanding-the-amazon-from-space",
        "resnet34",
        "resnet50",
        "resnext50_32x4d",
    ):
        assert item in first and item in second, item
    assert "7 items, 7 to download" in first and "7 items, 0 to download" in second
    assert "B free in" in first and "size unknown" not in first  # the plan, before anything starts
    for competition in ("dog-breed-identification", "planet-understanding-the-amazon-from-space"):
        assert re.search(
            rf"competition {competition} from \S+ \([\d.,]+ [kMG]?B, to download", first
        )
    assert first.count("fetched:") == 7 and "already there:" not in first, first
    assert second.count("already there:") == 7 and "fetched:" not in second, second
    assert "Kaggle lists its files in the 2017 layout" in first
    checkpoints = Path(full_mode_env["TORCH_HOME"]) / "hub" / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == [
        "resnet34-b627a593.pth",
        "resnet50-11ad3fa6.pth",
        "resnext50_32x4d-1a0047aa.pth",
    ]


def _run_lesson(nb_regression, lesson: Path, env: dict) -> str:
    """Run ``lesson`` top to bottom in ``env``; return what its cells printed."""
    nb_regression.diff_ignore = ("/cells/*/outputs", "/cells/*/execution_count", "/metadata")
    nb_regression.exec_env = {k: v for k, v in env.items() if k.isupper()} | {
        "MPLBACKEND": "module://matplotlib_inline.backend_inline"
    }
    nb_regression.exec_timeout = 600
    nb_regression.exec_cwd = str(lesson.parent)
    result = nb_regression.check(str(lesson))  # raises if any cell raises
    printed = "".join(
        output.get("text", "")
        for cell in result.nb_final.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "rehearsal: pictures capped at 32 px" in printed, (
        "the rehearsal setting must show where it applies"
    )
    # every lesson trains a resnet (lesson 5 fine-tunes one for an epoch to show its filters barely move)
    assert printed.count("No GPU:") == 1, "full mode on a CPU says so, once"
    return printed


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_full_mode(nb_regression, lesson, full_mode_env):
    _run_lesson(nb_regression, lesson, full_mode_env)


def _lesson_4_reads(env: dict) -> dict[str, str]:
    """What lesson 4's data cell (``ck.planet_data(None)``, in a fresh process, offline) gives the
    lesson to read: its ``train_v2.csv``, ``train-jpg/`` and ``test-jpg/``, each file's SHA-256."""
    code = "import coursekit as ck; print(ck.planet_data(None))"
    run_env = {**os.environ, **{k: v for k, v in env.items() if k.isupper()}}
    run = subprocess.run(
        [sys.executable, "-c", code], env=run_env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    path = Path(run.stdout.strip().splitlines()[-1])
    assert path.is_relative_to(env["COURSEKIT_HOME"]), path  # this machine's copy, no other
    tiles = [*(path / "train-jpg").iterdir(), *(path / "test-jpg").iterdir()]
    files = [path / "train_v2.csv", *sorted(tiles)]
    return {str(f.relative_to(path)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_planet_lesson_reads_the_same_files_from_kaggles_2019_layout(
    full_mode_env, mirror_root, tmp_path_factory
):
    """Kaggle's December 2019 layout gives lesson 4 the very files the 2017 layout gives, on which
    ``test_lesson_runs_in_full_mode[04_planet]`` runs the whole lesson."""
    from tools.mirror_kaggle import PLANET

    env = _prepare(mirror_root, tmp_path_factory.mktemp("planet_2019"), "planet", {PLANET: "2019"})
    [run] = env.pop("runs")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "since its December 2019 re-upload" in run.stdout
    assert "train_v2.csv is train_v2.csv/train_v2.csv" in run.stdout
    from_2019, from_2017 = _lesson_4_reads(env), _lesson_4_reads(full_mode_env)
    assert sum(name.startswith("train-jpg/") for name in from_2019) > 0
    assert sum(name.startswith("test-jpg/") for name in from_2019) > 0
    assert from_2019 == from_2017


KAGGLES_PLANET = "PLANET_SUBSET = None"


def _lesson_on_planet_sample(folder: Path) -> Path:
    """A copy of lesson 4 in ``folder`` whose data cell takes fast.ai's planet_sample, as the
    instructor's message says to when Kaggle offers no tiles (the lesson reads nothing beside it)."""
    import nbformat

    nb = nbformat.read(REPO / "lessons" / "04_planet.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and KAGGLES_PLANET in c.source]
    assert len(cells) == 1, (
        f"lesson 4 no longer sets {KAGGLES_PLANET!r} in one cell: update this test"
    )
    cells[0].source = cells[0].source.replace(
        KAGGLES_PLANET, "PLANET_SUBSET = ck.URLs.PLANET_SAMPLE", 1
    )
    lesson = folder / "04_planet.ipynb"
    nbformat.write(nb, lesson)
    return lesson


def test_without_kaggles_tiles_the_instructor_hears_so_and_the_lesson_runs_on_fastais_sample(
    nb_regression, mirror_root, tmp_path_factory, tmp_path
):
    from tools.mirror_kaggle import PLANET
    from tools.mirror_server import MirrorServer

    no_jpg = {PLANET: "2019-no-jpg"}
    env = _prepare(mirror_root, tmp_path_factory.mktemp("no_jpg"), "planet", no_jpg)
    [run] = env.pop("runs")
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    assert "FAILED: Kaggle competition planet-understanding-the-amazon-from-space" in out
    assert "no longer offers Planet's JPEG tiles" in out and "ck.URLs.PLANET_SAMPLE" in out
    assert "fetched: weights of resnet34" in out  # the failure did not stop the next item
    assert out.rstrip().endswith("coursekit data --full planet")

    # the student takes the message's way on: the lesson fetches planet_sample itself, so the mirror serves
    lesson = _lesson_on_planet_sample(tmp_path)
    with MirrorServer(mirror_root, kaggle_layout=no_jpg) as server:
        printed = _run_lesson(nb_regression, lesson, env | {"COURSEKIT_MIRROR": server.url})
    sample_folder = Path(env["COURSEKIT_HOME"]) / "data" / "planet_sample-as-kaggle"
    assert "planet_sample.tgz: fast.ai's subset of Planet's training tiles" in printed
    assert f"laid out as the lesson expects in {sample_folder}" in printed
    n_sample = len((sample_folder / "train_v2.csv").read_text().splitlines()) - 1
    assert f"{n_sample} labelled tiles;" in printed
    assert "validation F2:" in printed  # the last cell ran
