"""The coursekit command: plain-text help, --version, python -m coursekit, where `lab` finds lessons."""

import subprocess
import sys

import pytest

import coursekit
from coursekit import lessons
from coursekit.cli import main


def test_help_is_plain_text(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "lab" in out and "train" in out
    assert "`" not in out and "::" not in out  # no reStructuredText markup
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "`" not in capsys.readouterr().out


def test_version_and_python_dash_m(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"coursekit {coursekit.__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "coursekit", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"coursekit {coursekit.__version__}"


def test_lab_uses_a_source_checkouts_lessons():
    assert lessons.lessons_folder() == lessons.CHECKOUT_LESSONS
    assert (lessons.CHECKOUT_LESSONS / "01_pets.ipynb").is_file()


def test_lab_outside_a_checkout_copies_the_installed_lessons(tmp_path, monkeypatch):
    prefix = tmp_path / "prefix"
    installed = prefix / "share" / "coursekit" / "lessons"
    installed.mkdir(parents=True)
    (installed / "01_pets.ipynb").write_text("installed 1")
    (installed / "02_dogscats.ipynb").write_text("installed 2")
    monkeypatch.setattr(lessons.sysconfig, "get_path", lambda name: str(prefix))
    monkeypatch.setattr(lessons.site, "getuserbase", lambda: str(tmp_path / "nobody"))
    no_checkout = tmp_path / "site-packages" / "lessons"  # an installed coursekit has none
    assert lessons.installed_lessons() == installed
    work = tmp_path / "mine"
    work.mkdir()
    (work / "01_pets.ipynb").write_text("my edits")  # a student's work is never overwritten
    assert lessons.lessons_folder(work, checkout=no_checkout) == work
    assert (work / "01_pets.ipynb").read_text() == "my edits"
    assert (work / "02_dogscats.ipynb").read_text() == "installed 2"
    monkeypatch.chdir(tmp_path)
    assert lessons.lessons_folder(checkout=no_checkout) == tmp_path / "coursekit-lessons"
    assert (tmp_path / "coursekit-lessons" / "01_pets.ipynb").read_text() == "installed 1"


def test_lab_without_lessons_says_where_they_install(tmp_path, monkeypatch):
    monkeypatch.setattr(lessons.sysconfig, "get_path", lambda name: str(tmp_path / "empty"))
    monkeypatch.setattr(lessons.site, "getuserbase", lambda: str(tmp_path / "nobody"))
    with pytest.raises(FileNotFoundError, match="share/coursekit/lessons"):
        lessons.lessons_folder(tmp_path / "w", checkout=tmp_path / "no-checkout")


def test_data_draws_each_sample_set_as_its_lesson_does(capsys, monkeypatch, tmp_path):
    from coursekit.data import samples
    from coursekit.data.sample_sets import LESSON_SAMPLES, SAMPLE_SETS

    calls = {}
    for name in SAMPLE_SETS:
        monkeypatch.setattr(
            samples, name, lambda _name=name, **kw: calls.setdefault(_name, kw) and tmp_path / _name
        )
    main(["data", "all"])
    assert capsys.readouterr().out.split() == [str(tmp_path / name) for name in SAMPLE_SETS]
    assert calls == LESSON_SAMPLES


def test_present_finds_a_lesson_by_name_number_subject_or_path(tmp_path):
    folder = lessons.CHECKOUT_LESSONS
    pets = folder / "01_pets.ipynb"
    for name in ("01_pets", "01_pets.ipynb", "1", "01", "pets", "PETS", str(pets)):
        assert lessons.find_lesson(name, folder) == pets, name
    with pytest.raises(FileNotFoundError, match="01_pets, 02_dogscats"):
        lessons.find_lesson("cats and dogs", folder)


def test_present_writes_a_copy_with_the_code_folded_and_opens_it_presenting(
    tmp_path, monkeypatch, capsys
):
    import json

    lesson = lessons.CHECKOUT_LESSONS / "01_pets.ipynb"
    before = lesson.read_bytes()
    work = tmp_path / "present"
    assert main(["present", "pets", "--dir", str(work), "--copy-only"]) == 0
    copy = work / "01_pets.ipynb"
    assert capsys.readouterr().out.strip() == str(copy)
    assert lesson.read_bytes() == before  # the lesson itself is only read
    cells, original = json.loads(copy.read_text())["cells"], json.loads(before)["cells"]
    assert [c["source"] for c in cells] == [c["source"] for c in original]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(c["metadata"]["jupyter"]["source_hidden"] for c in code)
    assert all("jupyter" not in c["metadata"] for c in cells if c["cell_type"] == "markdown")
    assert [p.name for p in work.iterdir()] == ["01_pets.ipynb"]  # no temporary file left

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, env: calls.append((cmd, env)) or 0)
    monkeypatch.delenv("COURSEKIT_PRESENT", raising=False)
    assert main(["present", "2", "--dir", str(work)]) == 0
    ((command, env),) = calls
    assert command[1:3] == ["-m", "jupyterlab"] and env["COURSEKIT_PRESENT"] == "1"
    assert f"--ServerApp.root_dir={work.resolve()}" in command
    assert "--LabApp.default_url=/doc/tree/02_dogscats.ipynb" in command
