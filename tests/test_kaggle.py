"""kaggle_data through the real kagglehub client, against MirrorServer's Kaggle stand-in."""

import dataclasses
import io
import os
import re
import sys
import tarfile

import pytest

import coursekit as ck
from coursekit.data.extract import ExtractError, extract_archive
from tests.environment import importorskip
from tools.mirror_server import MirrorServer

py7zr = importorskip("py7zr")
importorskip("kagglehub")

PLANET = "planet-understanding-the-amazon-from-space"
DOGS = "dog-breed-identification"


def _tar_7z(path, folder: str, files: dict) -> None:
    """Write ``path`` as Kaggle ships planet's images: a tar of ``folder/`` inside a 7z."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(buf.getvalue(), f"{folder}.tar")


def _api_calls(server) -> list:
    """The Kaggle API calls kagglehub made: 'list', 'file' or 'bundle' (kagglehub >= 0.4 POSTs,
    older GETs)."""
    kinds = {
        "ListDataFiles": "list",
        "DownloadDataFile": "file",
        "DownloadDataFiles": "bundle",
        "list": "list",
        "download": "file",
        "download-all": "bundle",
    }
    calls = [
        re.search(
            r"CompetitionApiService/(\w+)$|/competitions/data/(download(?:-all)?|list)/", path
        )
        for _, path, _ in server.requests
    ]
    return [kinds[call[1] or call[2]] for call in calls if call]


@pytest.fixture
def kaggle(tmp_path, monkeypatch, fresh_home):
    """A mirror with both competitions; kagglehub with a token and a cache of this test's own."""
    planet = tmp_path / "mirror" / "kaggle" / "competitions" / PLANET
    planet.mkdir(parents=True)
    (planet / "train_v2.csv").write_text("image_name,tags\ntrain_0,clear primary\n")
    (planet / "sample_submission_v2.csv").write_text("image_name,tags\ntest_0,clear\n")
    _tar_7z(planet / "train-jpg.tar.7z", "train-jpg", {"train_0.jpg": b"jpeg-bytes" * 1000})
    dogs = tmp_path / "mirror" / "kaggle" / "competitions" / DOGS
    (dogs / "train").mkdir(parents=True)
    (dogs / "labels.csv").write_text("id,breed\nabc,beagle\n")
    (dogs / "train" / "abc.jpg").write_bytes(b"dog")
    for key in ("KAGGLE_API_TOKEN", "KAGGLE_API_ENDPOINT", "KAGGLE_API_ENVIRONMENT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home-dir"))  # no ~/.kaggle of the machine's
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle-config"))
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    monkeypatch.setenv("KAGGLE_USERNAME", "student")
    monkeypatch.setenv("KAGGLE_KEY", "0123456789abcdef")
    with MirrorServer(tmp_path / "mirror") as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        yield server


def test_only_the_files_asked_for_are_downloaded_and_tar_7z_is_unpacked(kaggle, fresh_home):
    path = ck.kaggle_data(PLANET, files=["train_v2.csv", "train-jpg.tar.7z"])
    assert path == fresh_home / "data" / PLANET
    assert (path / "train_v2.csv").read_text().startswith("image_name,tags")
    assert (path / "train-jpg" / "train_0.jpg").read_bytes() == b"jpeg-bytes" * 1000
    assert sorted(p.name for p in path.iterdir()) == ["train-jpg", "train_v2.csv"]
    assert _api_calls(kaggle) == ["list", "file", "file"]
    kaggle.requests.clear()
    assert ck.kaggle_data(PLANET, files=["train_v2.csv", "train-jpg.tar.7z"]) == path
    assert kaggle.requests == []  # the second call needs no network


def test_a_manual_unpack_is_used_and_never_deleted(kaggle, fresh_home):
    mine = fresh_home / "data" / PLANET / "train-jpg"
    mine.mkdir(parents=True)
    (mine / "train_0.jpg").write_bytes(b"unpacked by hand")
    path = ck.kaggle_data(PLANET, files=["train_v2.csv", "train-jpg.tar.7z"])
    assert (path / "train-jpg" / "train_0.jpg").read_bytes() == b"unpacked by hand"
    assert not any("train-jpg.tar.7z" in r[1] for r in kaggle.requests)


def test_whole_bundle(kaggle, fresh_home):
    path = ck.kaggle_data(DOGS)
    assert (path / "labels.csv").read_text() == "id,breed\nabc,beagle\n"
    assert (path / "train" / "abc.jpg").read_bytes() == b"dog"
    assert _api_calls(kaggle) == ["bundle"]


@pytest.mark.slow
def test_dropped_connection_resumes(kaggle, fresh_home):
    photo = os.urandom(2_500_000)  # kagglehub writes whole MiBs
    _tar_7z(
        kaggle.root / "kaggle" / "competitions" / PLANET / "train-jpg.tar.7z",
        "train-jpg",
        {"big.jpg": photo},
    )
    kaggle.drop_after[f"/kaggle/files/{PLANET}/train-jpg.tar.7z"] = (1_500_000, 1)
    path = ck.kaggle_data(PLANET, files=["train-jpg.tar.7z"])
    assert (path / "train-jpg" / "big.jpg").read_bytes() == photo
    ranges = [r[2] for r in kaggle.requests if r[1] == f"/kaggle/files/{PLANET}/train-jpg.tar.7z"]
    assert (
        ranges[0] is None and ranges[-1] == f"bytes={2**20}-"
    )  # kagglehub resumed from the MiB it kept


@pytest.mark.parametrize(
    "status, competition, message",
    [
        (
            401,
            PLANET,
            r"rejected the API token from the variables KAGGLE_USERNAME and KAGGLE_KEY \(401\)"
            r".*Settings -> API",
        ),
        (
            403,
            PLANET,
            r"accept the competition's rules at "
            r"https://www.kaggle.com/competitions/planet-understanding-the-amazon-from-space/rules",
        ),
        (
            None,
            "planet-understanding-the-amazon",
            r"no competition 'planet-understanding-the-amazon'.*\(404\).*spelling",
        ),
    ],
)
def test_kaggle_refusals_say_what_to_do(kaggle, fresh_home, status, competition, message):
    kaggle.kaggle_status = status
    with pytest.raises(ck.DownloadError, match=message):
        ck.kaggle_data(competition, files=["train_v2.csv"])
    assert not (fresh_home / "data" / competition / "train_v2.csv").exists()


def test_no_token_says_where_it_looked_and_names_colab_secrets(kaggle, monkeypatch):
    monkeypatch.delenv("KAGGLE_USERNAME")
    monkeypatch.delenv("KAGGLE_KEY")
    with pytest.raises(
        ck.DownloadError,
        match=r"no Kaggle API token was found.*looked in: the variable KAGGLE_API_TOKEN: not set"
        r".*kaggle\.json: no such file.*Colab Secret named KAGGLE_API_TOKEN",
    ):
        ck.kaggle_data(PLANET, files=["train_v2.csv"])


def test_missing_packages_say_what_to_install(kaggle, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # import kagglehub -> ImportError
    with pytest.raises(ck.DownloadError, match="pip install kagglehub"):
        ck.kaggle_data(PLANET, files=["train_v2.csv"])
    monkeypatch.setitem(sys.modules, "py7zr", None)
    archive = tmp_path / "x.7z"
    _tar_7z(archive, "x", {"a": b"a"})
    with pytest.raises(ExtractError, match="pip install py7zr"):
        extract_archive(archive, tmp_path / "x")


def test_a_corrupt_7z_is_a_clear_error_and_is_fetched_anew(kaggle, fresh_home, tmp_path):
    real = kaggle.root / "kaggle" / "competitions" / PLANET / "train-jpg.tar.7z"
    good = real.read_bytes()
    real.write_bytes(good[:32] + b"\0" * (len(good) - 32))  # the header survives, the data does not
    with pytest.raises(
        ck.DownloadError, match=r"corrupt.*set aside as .*run again to fetch it anew"
    ):
        ck.kaggle_data(PLANET, files=["train-jpg.tar.7z"])
    aside = list((tmp_path / "kagglehub").rglob("train-jpg.tar.7z.damaged"))
    assert len(aside) == 1 and aside[0].stat().st_size == len(good)  # kept, out of the way
    assert not (fresh_home / "data" / PLANET / "train-jpg").exists()
    assert [p.name for p in (fresh_home / "data" / PLANET).iterdir()] == []
    real.write_bytes(good)
    path = ck.kaggle_data(PLANET, files=["train-jpg.tar.7z"])
    assert (path / "train-jpg" / "train_0.jpg").read_bytes() == b"jpeg-bytes" * 1000


def test_the_environment_is_restored_after_a_download(kaggle):
    ck.kaggle_data(PLANET, files=["train_v2.csv"])
    assert "KAGGLE_API_ENVIRONMENT" not in os.environ and "HTTP_PROXY" not in os.environ


def test_a_full_disk_while_downloading_says_where_to_free_space(kaggle, monkeypatch):
    import kagglehub

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kagglehub, "competition_download", full)
    with pytest.raises(ck.DownloadError, match=r"disk filled up.*KAGGLEHUB_CACHE"):
        ck.kaggle_data(PLANET, files=["train_v2.csv"])


def test_a_full_disk_while_unpacking_a_7z_says_how_much_room_it_needs(
    kaggle, fresh_home, monkeypatch
):
    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(py7zr.SevenZipFile, "extractall", full)
    with pytest.raises(
        ck.DownloadError,
        match=r"disk filled up while extracting.*the archive needs [\d.,]+ (bytes|kB|MB) and",
    ):
        ck.kaggle_data(PLANET, files=["train-jpg.tar.7z"])
    assert [p.name for p in (fresh_home / "data" / PLANET).iterdir()] == []  # nothing half-written


def test_a_full_disk_while_unpacking_a_7z_of_unlisted_size_says_so_not_0_bytes(
    kaggle, fresh_home, monkeypatch
):
    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    real_list = py7zr.SevenZipFile.list

    def unlisted(self):  # a 7z whose headers give no sizes
        return [dataclasses.replace(info, uncompressed=None) for info in real_list(self)]

    monkeypatch.setattr(py7zr.SevenZipFile, "extractall", full)
    monkeypatch.setattr(py7zr.SevenZipFile, "list", unlisted)
    with pytest.raises(ck.DownloadError) as e:
        ck.kaggle_data(PLANET, files=["train-jpg.tar.7z"])
    assert "the archive does not list its size and" in str(e.value)
    assert not re.search(r"needs 0 |at least 1 MB", str(e.value))
