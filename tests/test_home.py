"""One home: the distribution name and repository in pyproject.toml are the only ones the README,
the Binder badge and every lesson's Colab badge and install cell name."""

import re
from pathlib import Path

import nbformat
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))

# every way a text can name a GitHub repository: a plain link, Colab's and Binder's launch links
REPO_LINK = re.compile(
    r"(?:github\.com|colab\.research\.google\.com/github|mybinder\.org/v2/gh)/"
    r"([\w.-]+/[\w.-]+?)(?:\.git)?(?=[/?#)\s\"'>]|$)"
)


def project():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    url = meta["urls"]["Repository"]
    owner_repo = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", url)
    assert owner_repo, (
        f"pyproject.toml: [project.urls] Repository = {url!r} is not https://github.com/OWNER/NAME"
    )
    return meta["name"], owner_repo.group(1)


def first_cells(path):
    nb = nbformat.read(path, 4)
    markdown = next(c.source for c in nb.cells if c.cell_type == "markdown")
    code = next(c.source for c in nb.cells if c.cell_type == "code")
    return markdown, code


def test_repository_links_all_name_the_declared_repository():
    _, repo = project()
    texts = {"README.md": (ROOT / "README.md").read_text()}
    texts.update({f"{p.name} (first cells)": "\n".join(first_cells(p)) for p in LESSONS})
    for where, text in texts.items():
        assert REPO_LINK.findall(text), f"{where} links to no repository"
        wrong = {r for r in REPO_LINK.findall(text) if r != repo}
        assert not wrong, f"{where} names {sorted(wrong)}; pyproject.toml declares {repo}"


def test_readme_badges_and_install_line():
    name, repo = project()
    readme = (ROOT / "README.md").read_text()
    assert f"(https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/lessons)" in readme
    assert (
        f"(https://colab.research.google.com/github/{repo}/blob/main/lessons/01_pets.ipynb)"
        in readme
    )
    assert f"project's home is the repository https://github.com/{repo}" in readme
    installs = re.findall(r"pip install (?:-q )?([^\s`]+)", readme)
    assert f"{name}" in installs, installs
    assert not any(i.startswith("coursekit") and i != name for i in installs), installs


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_colab_badge_and_install_cell(lesson):
    name, repo = project()
    markdown, code = first_cells(lesson)
    badge = f"(https://colab.research.google.com/github/{repo}/blob/main/lessons/{lesson.name})"
    assert markdown.startswith("[![Open In Colab]") and badge in markdown, (
        f"{lesson.name}: first markdown cell"
    )
    assert f'"pip", "install", "-q", "{name}"]' in code, (
        f"{lesson.name}: first code cell installs {name}"
    )
    assert "git+" not in code


def test_version_is_declared_once():
    toml = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in toml["project"] and "version" in toml["project"]["dynamic"]
    assert toml["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "coursekit.__version__"}
