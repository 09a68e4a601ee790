"""The Makefile's recipe for CI (``make test``), read as text: what it runs side by side."""

import re
from pathlib import Path

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"


def recipe(target: str) -> str:
    """The recipe of ``target``, its continued lines joined."""
    text = MAKEFILE.read_text().replace("\\\n", " ")
    match = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)+)", text, re.MULTILINE)
    assert match, f"no recipe for {target} in {MAKEFILE}"
    return match.group(1)


def test_the_platform_runs_side_by_side_get_one_torch_thread_each():
    # three pytest runs on 2 cores, each with torch's one thread per core, ran five times slower
    # (bench/side_by_side.py)
    [line] = [line for line in recipe("test").splitlines() if "test-platforms" in line]
    assert "-j3" in line
    assert "OMP_NUM_THREADS=$(PLATFORM_THREADS)" in line
    assert "MKL_NUM_THREADS=$(PLATFORM_THREADS)" in line
    assert re.search(r"^PLATFORM_THREADS \?= 1$", MAKEFILE.read_text(), re.MULTILINE)
