"""untar_data / download_url against tools.mirror_server.MirrorServer on 127.0.0.1, with faults."""

import hashlib
import io
import json
import os
import socket
import tarfile
import zipfile

import pytest

import coursekit as ck
from coursekit.data.download import download_url
from coursekit.data.extract import extract_archive
from coursekit.data.sources import Archive, fastai_check, mirrored
from tools.mirror_server import MirrorServer

HOST = "s3.amazonaws.com/fast-ai-sample"


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A running mirror of tmp_path/mirror, with COURSEKIT_MIRROR pointing at it."""
    with MirrorServer(tmp_path / "mirror") as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        yield server


def publish(mirror, name: str, body: bytes) -> Archive:
    """Put ``body`` on the mirror as https://s3.amazonaws.com/fast-ai-sample/<name>; its real URL, unchecked."""
    path = mirror.root / HOST / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return Archive(f"https://{HOST}/{name}")


def _tgz(members: dict, top: str = "pets", links: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(
                f"{top}/{name}" if top and not name.startswith(("/", "..")) else name
            )
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    return buf.getvalue()


def _big_tgz() -> bytes:
    """A fast.ai-like archive over 1 MiB (incompressible bytes, so the .tgz is large too)."""
    return _tgz(
        {"images/Bengal_1.jpg": os.urandom(1_300_000), "images/beagle_2.jpg": os.urandom(400_000)}
    )


def _outside_untouched(tmp_path):
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_mirrored_maps_real_urls_only_when_set(monkeypatch):
    url = "https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz"
    monkeypatch.delenv("COURSEKIT_MIRROR", raising=False)
    assert mirrored(url) == url
    monkeypatch.setenv("COURSEKIT_MIRROR", "http://127.0.0.1:8123/")
    assert mirrored(url) == "http://127.0.0.1:8123/s3.amazonaws.com/fast-ai-sample/dogscats.tgz"
    assert mirrored("http://127.0.0.1:8123/x.tgz") == "http://127.0.0.1:8123/x.tgz"


def test_fastai_check_is_size_and_md5_of_the_first_mib(tmp_path):
    body = _big_tgz()
    path = tmp_path / "a.tgz"
    path.write_bytes(body)
    assert len(body) > 2**20
    assert fastai_check(path) == (len(body), hashlib.md5(body[: 2**20]).hexdigest())
    assert hashlib.md5(body).hexdigest() != fastai_check(path)[1]


def test_fastai_style_entry_downloads_and_extracts(mirror, fresh_home):
    """The bug this replaces: fast.ai's first-MiB MD5 was compared with the whole file's MD5."""
    body = _big_tgz()
    url = publish(mirror, "pets.tgz", body).url
    archive = Archive(url, len(body), "md5-first-mib:" + hashlib.md5(body[: 2**20]).hexdigest())
    path = ck.untar_data(archive)
    assert path == fresh_home / "data" / "pets"
    assert (path / "images" / "Bengal_1.jpg").stat().st_size == 1_300_000  # pets/pets unwrapped
    (mirror.root / HOST / "pets.tgz").unlink()  # a second call needs no network
    assert ck.untar_data(archive) == path


def test_urls_carry_fastais_published_checks():
    """fast.ai's download_checks.py: URLs.PETS:(811706944, 'e4db5c768afd933bb91f5f594d7417a4'), ..."""
    assert (
        Archive(
            "https://s3.amazonaws.com/fast-ai-imageclas/oxford-iiit-pet.tgz",
            811706944,
            "md5-first-mib:e4db5c768afd933bb91f5f594d7417a4",
        )
        == ck.URLs.PETS
    )
    assert ck.URLs.DOGSCATS.size == 839285364 and ck.URLs.DOGSCATS.checksum.endswith(
        "3e483c8d6ef2175e9d395a6027eb92b7"
    )
    assert ck.URLs.PLANET_SAMPLE.checksum == "md5-first-mib:8bfb174b3162f07fbde09b54555bdb00"
    assert (
        Archive(
            "https://s3.amazonaws.com/fast-ai-sample/planet_tiny.tgz",
            997569,
            "md5-first-mib:490873c5683454d4b2611fb1f00a68a9",
        )
        == ck.URLs.PLANET_TINY
    )


def test_mirror_publishes_its_own_checks_in_fastai_format(mirror, fresh_home):
    body = _tgz({"a": b"a"})
    archive = publish(mirror, "pets.tgz", body)
    real = Archive(archive.url, 811706944, "md5-first-mib:" + "e" * 32)  # what the real file has
    with pytest.raises(ck.DownloadError, match="expected 811,706,944"):
        ck.untar_data(real)
    (mirror.root / "checks.txt").write_text(
        json.dumps({archive.url: list(fastai_check(mirror.root / HOST / "pets.tgz"))})
    )
    assert (ck.untar_data(real) / "a").read_bytes() == b"a"


def test_zip_archive(mirror, fresh_home):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("dogscats/train/cats/cat.1.jpg", b"c")
    path = ck.untar_data(publish(mirror, "dogscats.zip", buf.getvalue()))
    assert (path / "train" / "cats" / "cat.1.jpg").read_bytes() == b"c"


@pytest.mark.parametrize(
    "status, message",
    [
        (404, r"not found at .*HTTP 404.*Check the URL's spelling"),
        (500, "HTTP 500.*try again later"),
    ],
)
def test_http_errors_say_what_to_do(mirror, fresh_home, status, message):
    archive = publish(mirror, "pets.tgz", _tgz({"a": b"a"}))
    mirror.fail[f"/{HOST}/pets.tgz"] = status
    with pytest.raises(ck.DownloadError, match=message):
        download_url(archive, fresh_home / "archive" / "pets.tgz", retries=1)
    assert not (fresh_home / "archive" / "pets.tgz").exists()
    tries = [r for r in mirror.requests if r[1] == f"/{HOST}/pets.tgz"]
    assert len(tries) == (2 if status == 500 else 1)  # a 500 is retried, a 404 is not


def test_dropped_connection_resumes_with_range(mirror, fresh_home):
    body = _big_tgz()
    archive = publish(mirror, "pets.tgz", body)
    mirror.drop_after[f"/{HOST}/pets.tgz"] = (700_000, 2)  # cut twice, 700 kB each time
    archive = Archive(archive.url, len(body), "md5:" + hashlib.md5(body).hexdigest())
    dest = download_url(archive, fresh_home / "archive" / "pets.tgz")
    assert dest.read_bytes() == body
    ranges = [r[2] for r in mirror.requests if r[1] == f"/{HOST}/pets.tgz"]
    assert ranges == [None, "bytes=700000-", "bytes=1400000-"]
    assert not dest.with_name("pets.tgz.part").exists()


def test_server_ignoring_range_starts_over(mirror, fresh_home):
    body = _big_tgz()
    archive = publish(mirror, "pets.tgz", body)
    mirror.drop_after[f"/{HOST}/pets.tgz"] = (500_000, 1)
    mirror.ignore_range = True
    archive = Archive(archive.url, len(body), "md5:" + hashlib.md5(body).hexdigest())
    assert download_url(archive, fresh_home / "archive" / "pets.tgz").read_bytes() == body


def test_a_dropped_download_is_kept_and_resumed_by_the_next_call(mirror, fresh_home):
    body = _big_tgz()
    archive = publish(mirror, "pets.tgz", body)
    mirror.drop_after[f"/{HOST}/pets.tgz"] = (300_000, 5)
    with pytest.raises(ck.DownloadError, match=r"300,000 bytes are kept.*run again to resume"):
        download_url(archive, fresh_home / "archive" / "pets.tgz", retries=0)
    assert not (
        fresh_home / "archive" / "pets.tgz"
    ).exists()  # nothing half-written taken as complete
    assert (fresh_home / "archive" / "pets.tgz.part").stat().st_size == 300_000
    mirror.drop_after.clear()
    assert (ck.untar_data(archive) / "images" / "beagle_2.jpg").stat().st_size == 400_000
    assert [r[2] for r in mirror.requests if r[1] == f"/{HOST}/pets.tgz"][-1] == "bytes=300000-"


def test_failed_check_keeps_nothing(mirror, fresh_home):
    body = _big_tgz()
    archive = publish(mirror, "pets.tgz", body)
    with pytest.raises(ck.DownloadError, match="corrupt or incomplete: its md5-first-mib is"):
        ck.untar_data(Archive(archive.url, len(body), "md5-first-mib:" + "0" * 32))
    with pytest.raises(ck.DownloadError, match="expected 5"):
        ck.untar_data(Archive(archive.url, 5))
    assert not (fresh_home / "data" / "pets").exists()
    assert not list((fresh_home / "archive").iterdir())


def test_offline_error_says_what_to_do(fresh_home, monkeypatch):
    with socket.socket() as s:  # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.delenv("COURSEKIT_MIRROR", raising=False)
    with pytest.raises(
        ck.DownloadError, match=r"Connection refused.*Run again to retry.*sample data"
    ):
        download_url(f"{dead}/pets.tgz", fresh_home / "archive" / "pets.tgz", retries=0)
    monkeypatch.setenv("COURSEKIT_MIRROR", dead)
    with pytest.raises(
        ck.DownloadError, match=r"could not reach the mirror.*unset COURSEKIT_MIRROR"
    ):
        download_url(ck.URLs.PLANET_TINY, fresh_home / "archive" / "planet_tiny.tgz", retries=0)


@pytest.mark.parametrize(
    "members, links, message",
    [
        ({"../evil.txt": b"!"}, {}, "'..' would climb out"),
        ({"/tmp/evil.txt": b"!"}, {}, "absolute path"),
        ({}, {"pets/link": "/etc"}, "links to '/etc'"),
        ({}, {"pets/link": "../../evil.txt"}, "links to '../../evil.txt'"),
    ],
)
def test_malicious_archives_are_refused(mirror, fresh_home, members, links, message):
    archive = publish(mirror, "pets.tgz", _tgz({"ok.txt": b"fine", **members}, top="", links=links))
    with pytest.raises(ck.UnsafeArchiveError, match=message):
        ck.untar_data(archive)
    assert not (fresh_home / "data" / "pets").exists()
    assert not [p for p in (fresh_home / "data").iterdir() if not p.name.endswith("extracting")]
    _outside_untouched(fresh_home / "data")


def test_zip_with_traversal_is_refused(tmp_path):
    buf = tmp_path / "evil.zip"
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("fine.txt", b"ok")
        zf.writestr("../../evil.txt", b"!")
    with pytest.raises(ck.UnsafeArchiveError, match=r"evil\.txt"):
        extract_archive(buf, tmp_path / "out" / "dest")
    assert not (tmp_path / "out" / "dest").exists()
    _outside_untouched(tmp_path / "out")


def test_a_folder_coursekit_did_not_write_is_left_alone(mirror, fresh_home):
    archive = publish(mirror, "pets.tgz", _tgz({"a": b"1"}))
    mine = fresh_home / "data" / "pets"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("my work")
    with pytest.raises(ck.DownloadError, match="not extracted by coursekit, so it is left alone"):
        ck.untar_data(archive)
    assert (mine / "notes.txt").read_text() == "my work"


def test_force_extracts_afresh_and_keeps_the_students_files(mirror, fresh_home, capsys):
    """force=True used to delete the whole data folder, with the student's work inside it."""
    archive = publish(mirror, "pets.tgz", _tgz({"images/a.jpg": b"1", "images/b.jpg": b"2"}))
    path = ck.untar_data(archive)
    theirs = {
        "models/x.pth": os.urandom(3000),
        "export.pth": os.urandom(2000),
        ".trash/images/b.jpg": b"2",
        ".trash/log.json": b'{"deleted": ["images/b.jpg"]}',
    }
    for name, body in theirs.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(body)
    (path / "images" / "b.jpg").unlink()  # the cleaner moved it to .trash/
    publish(mirror, "pets.tgz", _tgz({"images/a.jpg": b"new", "images/b.jpg": b"2"}))
    assert ck.untar_data(archive, force=True) == path
    assert (path / "images" / "a.jpg").read_bytes() == b"new"
    assert not (path / "models").exists() and not (path / "export.pth").exists()
    [aside] = [p for p in path.parent.iterdir() if p.name.startswith("pets.before-")]
    for name, body in theirs.items():
        assert (aside / name).read_bytes() == body, name
    out = capsys.readouterr().out
    assert str(aside) in out and "models/x.pth" in out and "export.pth" in out
    assert ck.untar_data(archive) == path  # and the new folder counts as complete


def test_s3s_403_for_a_missing_file_reads_as_not_found(mirror, fresh_home):
    """S3 answers 403 AccessDenied, not 404, for a key that is not in a bucket; it used to read as
    'the server is failing, try again later'."""
    mirror.missing_status = 403
    archive = Archive(f"https://{HOST}/pets.tgz")
    with pytest.raises(
        ck.DownloadError,
        match=r"pets\.tgz was not found at http://127\.0\.0\.1:\d+/s3\.amazonaws\.com/fast-ai-sample/"
        r"pets\.tgz \(HTTP 403.*spelling.*ck\.URLs.*COURSEKIT_MIRROR",
    ):
        download_url(archive, fresh_home / "archive" / "pets.tgz", retries=2)
    assert len([r for r in mirror.requests if r[1] == f"/{HOST}/pets.tgz"]) == 1  # not retried


@pytest.mark.parametrize(
    "size, needed", [(None, "the server did not say how big"), (5_000_000, "5 MB more")]
)
def test_a_full_disk_while_downloading_says_how_much_room_is_needed(
    mirror, fresh_home, monkeypatch, size, needed
):
    from coursekit.data import download

    def full_disk(url, part, timeout, label):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(download, "_fetch_once", full_disk)
    archive = Archive(publish(mirror, "pets.tgz", b"x").url, size)
    with pytest.raises(
        ck.DownloadError, match=r"disk is full.*[\d.,]+ [kMGT]?B free, " + needed
    ) as error:
        download_url(archive, fresh_home / "archive" / "pets.tgz")
    assert "0 MB needed" not in str(error.value) and "Free some space" in str(error.value)
