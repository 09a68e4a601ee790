"""The panels on Google Colab's widget stack: ipywidgets 7.7 and bqplot 0.12.

`make test` installs those versions into .venv/colab-widgets; this test runs the panel and gallery
tests again in a subprocess with that folder ahead of the venv's ipywidgets 8 / bqplot 0.13.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environment import missing

ROOT = Path(__file__).resolve().parents[1]
COLAB_WIDGETS = ROOT / ".venv" / "colab-widgets"


@pytest.mark.slow  # three test files again in a subprocess: minutes
def test_panels_on_ipywidgets_7_and_bqplot_0_12():
    if not (COLAB_WIDGETS / ".installed").exists():
        missing(f"no {COLAB_WIDGETS}: `make test` installs Colab's ipywidgets 7.7 and bqplot 0.12")
    env = {**os.environ, "PYTHONPATH": str(COLAB_WIDGETS)}
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ipywidgets, bqplot; print(ipywidgets.__version__, bqplot.__version__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.split() == ["7.7.1", "0.12.45"]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
            "tests/test_panels.py",
            "tests/test_gallery.py",
            "tests/test_predict_cleaner_panels.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
