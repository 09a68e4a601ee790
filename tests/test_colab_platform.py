"""Colab's packages untouched: in a virtual environment holding Colab's torch, torchvision,
ipywidgets, bqplot and matplotlib (``make test-colab`` builds .venv/colab from
requirements-colab.txt), lesson 1's install cell installs the wheel and changes nothing else."""

import os
from pathlib import Path

import nbformat
import pytest
from test_release import NAME, dist, fake_colab, local_index, run  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
COLAB_PYTHON = ROOT / ".venv" / "colab" / "bin" / "python"

pytestmark = [
    pytest.mark.release,
    pytest.mark.skipif(
        not (ROOT / ".venv" / "colab" / ".installed").exists(),
        reason="no .venv/colab: `make test-colab` builds it and runs this test",
    ),
]


def colab_pins():
    lines = (ROOT / "requirements-colab.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def freeze(env):
    return sorted(run(COLAB_PYTHON, "-m", "pip", "freeze", "--all", env=env).splitlines())


def test_install_cell_changes_none_of_colabs_packages(local_index, tmp_path):  # noqa: F811 (fixture)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=local_index,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
        PYTHONNOUSERSITE="1",
    )
    before = freeze(env)
    assert {f"{name}=={version}" for name, version in colab_pins().items()} <= set(before)
    assert not any(line.lower().startswith(NAME) for line in before), (
        "uninstall coursekit-dl from .venv/colab"
    )

    cell = next(
        c.source
        for c in nbformat.read(ROOT / "lessons" / "01_pets.ipynb", 4).cells
        if c.cell_type == "code"
    )
    script = tmp_path / "install_cell.py"
    script.write_text("import google.colab\n" + cell + "\n")
    try:
        # the index on 127.0.0.1 holds coursekit-dl alone: a requirement Colab's packages did not
        # already meet would fail here rather than be fetched
        run(
            COLAB_PYTHON,
            script,
            env={**env, "PYTHONPATH": str(fake_colab(tmp_path / "colab"))},
            cwd=tmp_path,
        )
        after = freeze(env)
        added = [line for line in after if line not in before]
        assert [line.split("==")[0] for line in added] == [NAME], added
        assert [line for line in before if line not in after] == []
        out = run(
            COLAB_PYTHON,
            "-c",
            "import coursekit, torch; print(coursekit.__file__, torch.__version__)",
            env=env,
            cwd=tmp_path,
        )
        assert ".venv/colab/" in out and colab_pins()["torch"] in out
    finally:
        run(COLAB_PYTHON, "-m", "pip", "uninstall", "-q", "-y", NAME, env=env)
