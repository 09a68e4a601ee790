"""Every place a student may put Kaggle credentials, on every kagglehub version students have.

Routes (tests/kaggle_signin_probe.py): the new-style token as ``KAGGLE_API_TOKEN`` or in
``~/.kaggle/access_token``, the legacy ``KAGGLE_USERNAME``/``KAGGLE_KEY`` variables or
``kaggle.json``, and Colab Secrets under the new and the legacy names (``google.colab.userdata``
faked at its module path). Versions: the installed kagglehub (>= 0.4; 1.0.x here), in this
process, and Colab's pinned 0.3.x (requirements-colab.txt) in a subprocess, from
``.venv/kagglehub-0.3`` (``make test`` installs it there with ``pip install --target``).
Kaggle's stand-in accepts only the route's own credentials, so a pass proves they were sent.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.data.kaggle_auth import TOKEN_HELP, find_credentials
from tests import kaggle_signin_probe as probe
from tests.environment import importorskip, missing
from tools.mirror_server import MirrorServer

importorskip("kagglehub")
REPO = Path(__file__).resolve().parents[1]
OLD_KAGGLEHUB = REPO / ".venv" / "kagglehub-0.3"


@pytest.fixture
def kaggle(tmp_path, monkeypatch, fresh_home):
    folder = tmp_path / "mirror" / "kaggle" / "competitions" / probe.PLANET
    folder.mkdir(parents=True)
    (folder / "train_v2.csv").write_text("image_name,tags\ntrain_0,clear primary\n")
    for key in [k for k in os.environ if k.startswith("KAGGLE")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    with MirrorServer(tmp_path / "mirror") as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        yield server


def _in_this_process(route, home, monkeypatch, access=True) -> tuple[str, str]:
    import kagglehub

    for key, value in probe.arrange(route, home).items():
        monkeypatch.setenv(key, value)
    secrets = probe.ROUTES[route][2]
    if secrets is not None:
        for name, module in probe.fake_colab(secrets, access).items():
            monkeypatch.setitem(sys.modules, name, module)
    return kagglehub.__version__, probe.attempt()


def _with_kagglehub_03(route, home, access=True) -> tuple[str, str]:
    if not (OLD_KAGGLEHUB / "kagglehub").is_dir():
        missing(f"no kagglehub 0.3.x in {OLD_KAGGLEHUB}: `make test` installs it there")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE")}
    env |= probe.arrange(route, home) | {"PYTHONPATH": f"{OLD_KAGGLEHUB}{os.pathsep}{REPO}"}
    command = [sys.executable, "-m", "tests.kaggle_signin_probe", route]
    done = subprocess.run(
        command + ([] if access else ["--no-access"]),
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["kagglehub"], answer["result"]


def _attempt(version, route, home, monkeypatch, access=True) -> str:
    if version == "installed":  # 1.0.x in the test venv; 0.3.x in make test-colab's and test-min's
        _, result = _in_this_process(route, home, monkeypatch, access)
    else:
        found, result = _with_kagglehub_03(route, home, access)
        assert found.startswith("0.3."), found
    return result


VERSIONS = ["installed", pytest.param("0.3", marks=pytest.mark.slow)]  # 0.3: a subprocess each


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("route", list(probe.ROUTES))
def test_every_route_signs_in(kaggle, tmp_path, monkeypatch, route, version):
    kaggle.kaggle_credentials = {probe.accepted(route)}
    assert _attempt(version, route, tmp_path / "home-dir", monkeypatch) == "ok"
    assert any("train_v2.csv" in path for _, path, _ in kaggle.requests)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_rejected_token_names_the_route_used(kaggle, tmp_path, monkeypatch, version):
    kaggle.kaggle_credentials = {"Bearer KGAT_another"}
    message = _attempt(version, "Colab Secret KAGGLE_API_TOKEN", tmp_path / "h", monkeypatch)
    assert "rejected the API token from the Colab Secret KAGGLE_API_TOKEN (401)" in message
    assert "the variable KAGGLE_API_TOKEN: not set" in message  # and where else it looked


@pytest.mark.parametrize("version", VERSIONS)
def test_secrets_the_notebook_cannot_read_are_named(kaggle, tmp_path, monkeypatch, version):
    route = "Colab Secrets KAGGLE_USERNAME/KAGGLE_KEY"
    message = _attempt(version, route, tmp_path / "h", monkeypatch, access=False)
    assert message.startswith("no Kaggle API token was found")
    assert "the Colab Secret KAGGLE_API_TOKEN: this notebook has no access to it" in message
    assert "kaggle.json: no such file" in message


def _places_looked(home: Path, monkeypatch) -> list[str]:
    """Every place ``find_credentials`` looks, as its search names them, in a (faked) Colab."""
    for key in [k for k in os.environ if k.startswith("KAGGLE")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    for name, module in probe.fake_colab({}).items():
        monkeypatch.setitem(sys.modules, name, module)
    return [line.split(": ")[0] for line in find_credentials().tried]


def _names(place: str, home: Path) -> list[str]:
    """What a text must say for a student to use ``place``: a file as ``~/...``, the variables' or
    Secrets' names, and "Colab Secret" for a Secret."""
    if place.startswith(str(home)):
        return ["~/" + Path(place).relative_to(home).as_posix()]
    return re.findall(r"KAGGLE_\w+", place) + (["Colab Secret"] if "Colab Secret" in place else [])


def _markdown(lesson: Path) -> str:
    cells = json.loads(lesson.read_text())["cells"]
    return "".join("".join(c["source"]) + "\n" for c in cells if c["cell_type"] == "markdown")


def test_the_lessons_and_the_error_message_name_every_place_coursekit_looks(tmp_path, monkeypatch):
    places = _places_looked(tmp_path, monkeypatch)
    assert any("Colab Secret" in place for place in places), places  # the Colab ones too
    kaggle_lessons = [
        lesson
        for lesson in sorted((REPO / "lessons").glob("*.ipynb"))
        if re.search(r"ck\.(kaggle_data|planet_data)\(", lesson.read_text())
    ]
    assert kaggle_lessons, "no lesson downloads from Kaggle"
    texts = {"TOKEN_HELP": TOKEN_HELP} | {
        lesson.name: _markdown(lesson) for lesson in kaggle_lessons
    }
    unnamed = {
        where: [name for place in places for name in _names(place, tmp_path) if name not in text]
        for where, text in ((where, " ".join(text.split())) for where, text in texts.items())
    }
    assert not any(unnamed.values()), unnamed
