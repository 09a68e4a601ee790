"""The Binder files, checked on paper against repo2docker's documented behaviour."""
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def _lines(name):
    return [l.strip() for l in (BINDER / name).read_text().splitlines() if l.strip() and not l.startswith("#")]


def test_requirements_are_remote_packages_with_a_cpu_torch():
    lines = _lines("requirements.txt")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert "torch==2.14.1+cpu" in lines and "torchvision==0.29.1+cpu" in lines
    packages = [l for l in lines if not l.startswith("-")]
    assert all(re.match(r"^[A-Za-z0-9_.\-]+(\[[^]]+\])?([<>=!~]=?[^ ;]+)?$", p) for p in packages), packages
    assert not any(p.startswith((".", "/", "-e", "file:")) or "coursekit" in p for p in packages)
    for needed in ("ipywidgets", "bqplot", "jupyterlab"):
        assert any(p.startswith(needed) for p in packages)


def test_post_build_installs_coursekit_without_dependencies():
    text = (BINDER / "postBuild").read_text()
    assert text.startswith("#!/bin/bash") and "\nset -e\n" in text
    assert "pip install --no-deps ." in text
    assert os.access(BINDER / "postBuild", os.X_OK)


def test_start_defaults_to_sample_mode_and_execs_the_server():
    text = (BINDER / "start").read_text()
    assert "export COURSEKIT_SAMPLE=1" in text and text.rstrip().endswith('exec "$@"')
    assert os.access(BINDER / "start", os.X_OK)


def test_runtime_names_a_python():
    assert re.fullmatch(r"python-3\.\d+", (BINDER / "runtime.txt").read_text().strip())
