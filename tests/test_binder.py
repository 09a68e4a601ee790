"""The Binder files, checked on paper against repo2docker's documented behaviour."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def _lines(name):
    return [
        line.strip()
        for line in (BINDER / name).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_requirements_are_remote_packages_with_a_cpu_torch():
    lines = _lines("requirements.txt")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert "torch==2.14.1+cpu" in lines and "torchvision==0.29.1+cpu" in lines
    packages = [line for line in lines if not line.startswith("-")]
    assert all(
        re.match(r"^[A-Za-z0-9_.\-]+(\[[^]]+\])?([<>=!~]=?[^ ;]+)?$", p) for p in packages
    ), packages
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


def _pins(lines):
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("-"))


def test_requirements_pin_what_ci_tests():
    binder = _pins(_lines("requirements.txt"))
    ci = _pins(
        [
            line.strip()
            for line in (ROOT / "constraints.txt").read_text().splitlines()
            if not line.startswith("#")
        ]
    )
    for name in ("jupyterlab", "ipywidgets", "bqplot", "ipykernel", "torch", "torchvision"):
        assert name in binder and name in ci, name
        assert binder[name].removesuffix("+cpu") == ci[name], (name, binder[name], ci[name])
    major, minor = map(int, binder["ipykernel"].split(".")[:2])
    assert (major, minor) >= (7, 1)  # 7.0.x loses output printed from threads


def test_start_caps_blas_threads_by_the_usable_cpus():
    from coursekit.data.workers import usable_cpus

    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [str(BINDER / "start"), "env"], capture_output=True, text=True, check=True, env=env
    ).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        assert values[name] == str(usable_cpus()), name
    env["OMP_NUM_THREADS"] = "7"  # a value already set wins
    out = subprocess.run(
        [str(BINDER / "start"), "env"], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert "OMP_NUM_THREADS=7" in out.splitlines()


def test_requirements_cover_every_dependency_of_coursekit():
    """postBuild installs coursekit with --no-deps: what it needs must come from requirements.txt."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {
        re.split(r"[<>=!~\[]", line)[0].lower()
        for line in _lines("requirements.txt")
        if not line.startswith("-")
    }
    assert {re.split(r"[<>=!~\[]", d)[0].lower() for d in deps} <= names
