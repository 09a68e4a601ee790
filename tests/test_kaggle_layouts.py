"""Planet in each layout Kaggle has served it (tools/mirror_kaggle.py), through the real kagglehub:
the 2017 names, the December 2019 re-upload (nested CSVs, loose or archived tiles), no tiles at
all (then fast.ai's subsets), and a wanted file Kaggle does not have."""

import csv
import hashlib
import json
import zipfile

import pytest

import coursekit as ck
import coursekit.data.kaggle as kaggle_module
import coursekit.data.kaggle_folder as kaggle_folder
from coursekit.data.kaggle_files import KaggleFile
from tests.environment import importorskip
from tests.test_kaggle import _api_calls, _tar_7z
from tools.mirror import _planet_fastai, _tar
from tools.mirror_kaggle import PLANET, build_planet_layouts
from tools.mirror_server import MirrorServer

importorskip("py7zr")
importorskip("kagglehub")
TILES = {"train_0.jpg": b"tile-0" * 300, "train_1.jpg": b"tile-1" * 300}
LABELS = "image_name,tags\ntrain_0,clear primary\ntrain_1,haze water\n"


@pytest.fixture
def planet(tmp_path, monkeypatch, fresh_home):
    """A mirror serving Planet in the 2017 layout (default) and the 2019 ones; a token; own caches."""
    root = tmp_path / "mirror"
    old = root / "kaggle" / "competitions" / PLANET
    old.mkdir(parents=True)
    (old / "train_v2.csv").write_text(LABELS)
    (old / "sample_submission_v2.csv").write_text("image_name,tags\ntest_0,clear\n")
    tiles = tmp_path / "tiles"
    for folder, files in (("train-jpg", TILES), ("test-jpg", {"test_0.jpg": b"test" * 300})):
        (tiles / folder).mkdir(parents=True)
        for name, body in files.items():
            (tiles / folder / name).write_bytes(body)
        _tar_7z(old / f"{folder}.tar.7z", folder, files)
    build_planet_layouts(old, tiles, root / "kaggle" / "layouts")
    for key in ("KAGGLE_API_TOKEN", "KAGGLE_API_ENDPOINT", "KAGGLE_API_ENVIRONMENT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home-dir"))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle-config"))
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    monkeypatch.setenv("KAGGLE_USERNAME", "student")
    monkeypatch.setenv("KAGGLE_KEY", "0123456789abcdef")
    with MirrorServer(root) as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        yield server


def _lesson_layout_holds_the_tiles(path):
    assert (path / "train_v2.csv").read_text() == LABELS
    assert {p.name: p.read_bytes() for p in (path / "train-jpg").iterdir()} == TILES
    assert [p.name for p in (path / "test-jpg").iterdir()] == ["test_0.jpg"]


def _fetched_in_layout(planet, capsys, layout):
    """``ck.planet_data()`` with the mirror in ``layout``: the lesson's folder, checked, and what
    coursekit printed."""
    planet.kaggle_layout[PLANET] = layout
    path = ck.planet_data()
    _lesson_layout_holds_the_tiles(path)
    return path, capsys.readouterr().out


def test_the_2017_layout(planet, capsys):
    path = ck.planet_data()
    _lesson_layout_holds_the_tiles(path)
    assert "Kaggle lists its files in the 2017 layout" in capsys.readouterr().out


def test_the_2019_layout_with_loose_tiles(planet, capsys):
    path, out = _fetched_in_layout(planet, capsys, "2019")
    assert "since its December 2019 re-upload" in out
    assert "train_v2.csv is train_v2.csv/train_v2.csv" in out
    assert "train-jpg.tar.7z is train-jpg/ (2 files)" in out
    assert sorted(p.name for p in path.iterdir()) == ["test-jpg", "train-jpg", "train_v2.csv"]


def test_nested_archives_are_found_too(planet, capsys):
    layout = planet.root / "kaggle" / "layouts" / "nested" / PLANET
    old = planet.root / "kaggle" / "competitions" / PLANET
    for name in ("train_v2.csv", "train-jpg.tar.7z", "test-jpg.tar.7z"):
        (layout / name).mkdir(parents=True)
        (layout / name / name).write_bytes((old / name).read_bytes())
    _, out = _fetched_in_layout(planet, capsys, "nested")
    assert "train-jpg.tar.7z is train-jpg.tar.7z/train-jpg.tar.7z" in out


def test_a_zip_of_the_tiles_and_a_nested_folder_of_loose_tiles(planet, capsys):
    """Two more forms Kaggle may list the tiles in: ``train-jpg.zip`` (a zip holding
    ``train-jpg/``) and loose files one folder deeper (``test-jpg/test-jpg/test_0.jpg``)."""
    layout = planet.root / "kaggle" / "layouts" / "other-forms" / PLANET
    layout.mkdir(parents=True)
    (layout / "train_v2.csv").write_text(LABELS)
    with zipfile.ZipFile(layout / "train-jpg.zip", "w") as zf:
        for name, body in TILES.items():
            zf.writestr(f"train-jpg/{name}", body)
    (layout / "test-jpg" / "test-jpg").mkdir(parents=True)
    (layout / "test-jpg" / "test-jpg" / "test_0.jpg").write_bytes(b"test" * 300)
    _, out = _fetched_in_layout(planet, capsys, "other-forms")
    assert "train-jpg.tar.7z is train-jpg.zip" in out
    assert "test-jpg.tar.7z is test-jpg/test-jpg/ (1 file)" in out


def test_no_tiles_says_so_and_offers_fastais_subsets(planet, fresh_home):
    planet.kaggle_layout[PLANET] = "2019-no-jpg"
    with pytest.raises(
        ck.DownloadError,
        match=r"no longer offers Planet's JPEG tiles.*Kaggle-planet-train-tif\.torrent.*"
        r"nothing for train-jpg/ or test-jpg/.*ck\.planet_data\(ck\.URLs\.PLANET_SAMPLE\) "
        r"\(15\.5 MB\).*ck\.URLs\.PLANET_TINY\) \(997\.6 kB\)",
    ):
        ck.planet_data()
    assert not any((fresh_home / "data" / PLANET).iterdir())  # nothing fetched before saying so
    downloads = [r for r in planet.requests if "Download" in r[1] or "/download/" in r[1]]
    assert downloads == []


def test_a_fastai_subset_is_laid_out_as_the_lesson_reads_kaggles(planet, tmp_path, fresh_home):
    work = tmp_path / "work" / "planet_tiny"
    work.mkdir(parents=True)
    _planet_fastai(work, 6)
    archive = planet.root / "s3.amazonaws.com" / "fast-ai-sample" / "planet_tiny.tgz"
    archive.parent.mkdir(parents=True)
    _tar(work, archive, "planet_tiny")
    body = archive.read_bytes()
    checks = {ck.URLs.PLANET_TINY.url: [len(body), hashlib.md5(body[: 2**20]).hexdigest()]}
    (planet.root / "checks.txt").write_text(json.dumps(checks))
    path = ck.planet_data(ck.URLs.PLANET_TINY)
    rows = list(csv.DictReader((path / "train_v2.csv").read_text().splitlines()))
    assert len(rows) == 6 and all(
        (path / "train-jpg" / f"{r['image_name']}.jpg").is_file() for r in rows
    )
    assert list((path / "test-jpg").iterdir()) == []
    assert (fresh_home / "data" / "planet_tiny" / "labels.csv").is_file()  # fast.ai's, untouched
    with pytest.raises(ValueError, match=r"PLANET_SAMPLE or ck\.URLs\.PLANET_TINY"):
        ck.planet_data(ck.URLs.PETS)


def test_a_file_kaggle_does_not_list_has_its_own_message(planet, fresh_home):
    with pytest.raises(
        ck.DownloadError,
        match=r"lists nothing for 'train.csv' in the competition "
        r"'planet-understanding-the-amazon-from-space'.*It lists: sample_submission_v2\.csv",
    ):
        ck.kaggle_data(PLANET, files=["train.csv"])


def test_a_404_for_a_listed_file_is_not_a_misspelt_competition(planet, monkeypatch):
    def listing(kagglehub, competition, credentials):
        return [KaggleFile("ghost.csv", 10)]  # listed, but the server has no such file

    monkeypatch.setattr(kaggle_module, "list_files", listing)
    with pytest.raises(
        ck.DownloadError,
        match=r"has no file 'ghost.csv' in the competition 'planet-understanding-the-amazon-from-space' "
        r"\(404\): the competition is there",
    ):
        ck.kaggle_data(PLANET, files=["ghost.csv"])


def _many_tiles(planet, n: int) -> dict:
    """``n`` small tiles added to the 2019 layout's loose train-jpg/ (served from now on)."""
    folder = planet.root / "kaggle" / "layouts" / "2019" / PLANET / "train-jpg"
    tiles = {f"train_{i}.jpg": f"tile-{i}".encode() * 20 for i in range(n)}
    for name, body in tiles.items():
        (folder / name).write_bytes(body)
    planet.kaggle_layout[PLANET] = "2019"
    return tiles


def _tile_url(name: str) -> str:
    return f"/kaggle/files/{PLANET}/train-jpg/{name}"


def test_loose_tiles_come_concurrently_under_one_bar_and_quietly(
    planet, fresh_home, capfd, monkeypatch
):
    tiles = _many_tiles(planet, 300)
    monkeypatch.setattr(kaggle_folder, "LARGE_SET", 100)  # a large set, as Planet's 40,479 are
    path = ck.kaggle_data(PLANET, files=["train-jpg"])
    assert {p.name: p.read_bytes() for p in (path / "train-jpg").iterdir()} == tiles
    assert sorted(p.name for p in path.iterdir()) == ["train-jpg"]  # no half-filled folder left
    out, err = capfd.readouterr()
    assert len((out + err).splitlines()) <= 4, out + err  # the layout, the counts; no line per file
    assert "Downloading" not in out + err and err.count("it/s") + err.count("B/s") <= 1
    assert "train-jpg/: Kaggle lists 300 loose files (" in out
    assert _api_calls(planet).count("file") == len(tiles)  # one request for each, none twice
    assert len([r for r in planet.requests if r[1].startswith("/kaggle/files/")]) == len(tiles)


def test_a_rate_limited_tile_is_asked_again(planet, fresh_home):
    tiles = _many_tiles(planet, 20)
    planet.retry_after = "0"
    planet.fail_first[_tile_url("train_7.jpg")] = (429, 2)
    path = ck.kaggle_data(PLANET, files=["train-jpg"])
    assert {p.name: p.read_bytes() for p in (path / "train-jpg").iterdir()} == tiles
    assert [r[1] for r in planet.requests].count(_tile_url("train_7.jpg")) == 3


def test_a_tile_that_keeps_failing_keeps_the_others_and_a_rerun_asks_only_for_it(
    planet, fresh_home
):
    tiles = _many_tiles(planet, 40)
    planet.fail[_tile_url("train_13.jpg")] = 500
    with pytest.raises(
        ck.DownloadError,
        match=r"train-jpg/train_13\.jpg.*39 of 40 files.*Run again: only the 1 missing",
    ):
        ck.kaggle_data(PLANET, files=["train-jpg"], retries=1)
    assert not (fresh_home / "data" / PLANET / "train-jpg").exists()  # not marked complete
    kept = list((fresh_home / "data" / PLANET).glob(".train-jpg*/*.jpg"))
    assert len(kept) == 39
    del planet.fail[_tile_url("train_13.jpg")]
    before = len(_api_calls(planet))
    path = ck.kaggle_data(PLANET, files=["train-jpg"])
    assert _api_calls(planet)[before:] == ["list", "file"]
    assert {p.name: p.read_bytes() for p in (path / "train-jpg").iterdir()} == tiles
