"""A release that installs: build the sdist and wheel, check them, and install the wheel into a
clean virtual environment through a lesson's own install cell, from a package index on 127.0.0.1.

The clean environment has no site packages of its own and no access to this checkout. Building
torch and friends into it would cost gigabytes per run, so it sees the test environment's
already-installed dependencies through one path entry: a folder of links to them from which every
coursekit distribution (and every ``.pth`` hook, such as an editable install's) is left out.
pip therefore resolves the wheel's requirements against them, finds the wheel itself only on the
local index, and installs coursekit alone into the clean environment.
"""

import contextlib
import functools
import http.server
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import threading
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import nbformat
import pytest

import coursekit

pytestmark = pytest.mark.release

ROOT = Path(__file__).resolve().parents[1]
NAME = "coursekit-dl"


def run(*args, **kwargs):
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """sdist and wheel built from a copy of the checkout (the build writes egg-info beside the source)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    files = run("git", "ls-files", "-co", "--exclude-standard", cwd=ROOT).splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    # offline: the build backend (setuptools) is the one installed here, not fetched into an isolated env
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source)
    return out


def test_sdist_and_wheel_pass_twine_check(dist):
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"], files
    assert "PASSED" in run(sys.executable, "-m", "twine", "check", "--strict", *files)


def test_wheel_holds_weights_types_and_metadata(dist):
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(meta_name).decode())
        entry_points = z.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert {
        "coursekit/weights/tinyresnet.pth",
        "coursekit/py.typed",
        "coursekit/__main__.py",
    } <= names
    assert (meta["Name"], meta["Version"]) == (NAME, coursekit.__version__)
    assert "coursekit = coursekit.cli:main" in entry_points
    assert not any(n.startswith(("tests/", "lessons/")) for n in names)
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        assert any(n.endswith("coursekit/weights/tinyresnet.pth") for n in sdist.getnames())


@contextlib.contextmanager
def serve_index(wheels: list[Path], root: Path):
    """A PEP 503 simple index over ``wheels``, served on 127.0.0.1 while the block runs."""
    (root / "files").mkdir(parents=True)
    projects: dict[str, list[str]] = {}
    for wheel in wheels:
        (root / "files" / wheel.name).write_bytes(wheel.read_bytes())
        project = re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()
        projects.setdefault(project, []).append(wheel.name)
    for project, names in projects.items():
        links = "".join(f'<a href="../../files/{n}">{n}</a>' for n in names)
        (root / "simple" / project).mkdir(parents=True)
        (root / "simple" / project / "index.html").write_text(
            f"<!DOCTYPE html><html><body>{links}</body></html>"
        )
    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def local_index(dist, tmp_path):
    """A package index on 127.0.0.1 that holds the built wheel alone."""
    with serve_index([next(dist.glob("*.whl"))], tmp_path / "index") as url:
        yield url


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def dependency_layer(folder: Path) -> Path:
    """Links to this environment's installed packages, without coursekit and without .pth hooks."""
    folder.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        lowered = entry.name.lower()
        if (
            lowered.startswith(("coursekit", "__editable__", "_coursekit"))
            or entry.suffix == ".pth"
        ):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def fake_colab(folder: Path) -> Path:
    """``google.colab.output``, recording the custom widget manager call to a file."""
    (folder / "google" / "colab").mkdir(parents=True)
    (folder / "google" / "__init__.py").write_text("")
    (folder / "google" / "colab" / "__init__.py").write_text("")
    (folder / "google" / "colab" / "output.py").write_text(
        "from pathlib import Path\n"
        "def enable_custom_widget_manager():\n"
        "    Path(__file__).with_name('widget_manager_enabled').touch()\n"
    )
    return folder


def test_lesson_install_cell_installs_the_wheel_into_a_clean_venv(local_index, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # ensurepip may bring an old setuptools that would hide the newer one torch requires
    run(
        python,
        "-m",
        "pip",
        "uninstall",
        "-q",
        "-y",
        "setuptools",
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    Path(purelib, "dependencies.pth").write_text(f"{dependency_layer(tmp_path / 'deps')}\n")

    colab = fake_colab(tmp_path / "colab")
    nb = nbformat.read(ROOT / "lessons" / "01_pets.ipynb", 4)
    cell = next(c.source for c in nb.cells if c.cell_type == "code")
    script = tmp_path / "install_cell.py"
    script.write_text("import google.colab\n" + cell + "\n")

    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=local_index,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
        PYTHONNOUSERSITE="1",
        PYTHONPATH=str(colab),
    )
    run(python, script, env=env, cwd=tmp_path)
    assert (colab / "google" / "colab" / "widget_manager_enabled").exists()

    del env["PYTHONPATH"]
    shown = run(python, "-m", "pip", "show", "-f", NAME, env=env, cwd=tmp_path)
    assert f"Location: {purelib}" in shown and "coursekit/weights/tinyresnet.pth" in shown
    assert "share/coursekit/lessons/01_pets.ipynb" in shown  # what `coursekit lab` opens
    where = run(python, "-c", "import coursekit; print(coursekit.__file__)", env=env, cwd=tmp_path)
    assert where.strip() == str(Path(purelib, "coursekit", "__init__.py"))
    assert (
        run(python, "-m", "coursekit", "--version", env=env, cwd=tmp_path).strip()
        == f"coursekit {coursekit.__version__}"
    )
    assert "demo" in run(env_dir / "bin" / "coursekit", "--help", env=env, cwd=tmp_path)
    # the shipped weights load (their SHA-256 is checked) from the installed package
    run(
        python,
        "-c",
        "from coursekit.train.models import create_convnet; create_convnet('tinyresnet', 3)",
        env=env,
        cwd=tmp_path,
    )
