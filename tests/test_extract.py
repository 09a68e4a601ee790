"""Extraction that fails halfway (a full disk, an interrupted kernel) leaves nothing taken as complete."""

import errno
import gzip
import io
import os
import re
import tarfile
import zipfile
import zlib

import pytest

import coursekit as ck
from coursekit.data.extract import (
    MAX_TOTAL_BYTES,
    ArchiveBombError,
    CorruptArchiveError,
    UnsafeArchiveError,
    extract_archive,
    unpacked_name,
)
from coursekit.data.sizes import format_size
from tests.environment import importorskip
from tools.mirror_server import MirrorServer

py7zr = importorskip("py7zr")
REAL_COPY = tarfile.copyfileobj


@pytest.fixture
def pets(tmp_path, monkeypatch, fresh_home):
    """A mirror serving a three-file pets.tgz; yields (server, archive URL)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for i in range(3):
            info = tarfile.TarInfo(f"pets/images/Bengal_{i}.jpg")
            info.size = 2000
            tf.addfile(info, io.BytesIO(bytes([i]) * 2000))
    path = tmp_path / "mirror" / "s3.amazonaws.com" / "pets.tgz"
    path.parent.mkdir(parents=True)
    path.write_bytes(buf.getvalue())
    with MirrorServer(tmp_path / "mirror") as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        yield server, "https://s3.amazonaws.com/pets.tgz"


def _fail_on_second_file(monkeypatch, error: BaseException) -> None:
    calls = []

    def copy(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise error
        return REAL_COPY(*args, **kwargs)

    monkeypatch.setattr(tarfile, "copyfileobj", copy)


def _nothing_complete(home):
    data = home / "data"
    assert not (data / "pets").exists()
    assert not (data / ".pets.coursekit-complete").exists()
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]  # no half-extracted folder


def test_a_full_disk_says_how_much_to_free_and_keeps_the_download(pets, monkeypatch, fresh_home):
    server, url = pets
    _fail_on_second_file(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(
        ck.DownloadError,
        match=r"disk filled up.*needs [\d.,]+ (bytes|kB|MB).*Free at least [\d.,]+ MB",
    ):
        ck.untar_data(url)
    _nothing_complete(fresh_home)
    assert (fresh_home / "archive" / "pets.tgz").exists()  # the verified download is kept
    monkeypatch.setattr(tarfile, "copyfileobj", REAL_COPY)  # space freed
    server.requests.clear()
    assert (ck.untar_data(url) / "images" / "Bengal_2.jpg").read_bytes() == b"\2" * 2000
    assert not [r for r in server.requests if r[1].endswith("pets.tgz")]  # not downloaded again


def test_an_interrupted_extraction_is_redone_by_the_next_call(pets, monkeypatch, fresh_home):
    _server, url = pets
    _fail_on_second_file(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        ck.untar_data(url)
    _nothing_complete(fresh_home)
    monkeypatch.setattr(tarfile, "copyfileobj", REAL_COPY)
    path = ck.untar_data(url)
    assert sorted(p.name for p in (path / "images").iterdir()) == [
        f"Bengal_{i}.jpg" for i in range(3)
    ]
    assert (path.parent / ".pets.coursekit-complete").exists()


def test_links_in_a_7z_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "link").symlink_to("/etc")
    (tmp_path / "fine.txt").write_text("fine")
    archive = tmp_path / "evil.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.write(tmp_path / "fine.txt", "pets/fine.txt")
        z.write(tmp_path / "link", "pets/link")
    with pytest.raises(UnsafeArchiveError, match="'pets/link': a link inside a 7-Zip archive"):
        extract_archive(archive, tmp_path / "out" / "dest")
    assert not (tmp_path / "out" / "dest").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_extract_never_replaces_an_existing_folder(tmp_path):
    archive = tmp_path / "a.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.writestr(b"new", "a.txt")
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "mine.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="Rename or remove it yourself"):
        extract_archive(archive, tmp_path / "dest")
    assert (tmp_path / "dest" / "mine.txt").read_text() == "mine"


def test_unpacked_names():
    assert unpacked_name("train-jpg.tar.7z") == "train-jpg"
    assert unpacked_name("train.zip") == "train" and unpacked_name("labels.csv.zip") == "labels.csv"
    assert unpacked_name("labels.csv") == "labels.csv"


def test_an_archive_that_passes_its_check_but_is_cut_short_is_fetched_anew(pets, fresh_home):
    server, url = pets
    real = server.root / "s3.amazonaws.com" / "pets.tgz"
    good = real.read_bytes()
    real.write_bytes(good[: len(good) // 2])  # a first-MiB check cannot see the missing end
    with pytest.raises(
        ck.DownloadError, match=r"pets\.tgz is not a readable archive.*set aside as .*run again"
    ):
        ck.untar_data(url)
    _nothing_complete(fresh_home)
    assert not (fresh_home / "archive" / "pets.tgz").exists()
    assert (fresh_home / "archive" / "pets.tgz.damaged").read_bytes() == good[: len(good) // 2]
    real.write_bytes(good)
    assert (ck.untar_data(url) / "images" / "Bengal_1.jpg").read_bytes() == b"\1" * 2000


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_zip_with_a_bad_crc_names_the_member_is_set_aside_and_fetched_anew(tmp_path, monkeypatch):
    members = {"train/a.jpg": b"a" * 5000, "train/b.jpg": bytes(range(256)) * 40}
    good = _zip(members)
    data = zipfile.ZipFile(io.BytesIO(good)).getinfo("train/b.jpg")
    offset = data.header_offset + 30 + len("train/b.jpg") + 10  # into b.jpg's compressed bytes
    bad = bytearray(good)
    bad[offset] ^= 0xFF
    real = tmp_path / "mirror" / "files.example.org" / "train.zip"
    real.parent.mkdir(parents=True)
    real.write_bytes(bytes(bad))
    with MirrorServer(tmp_path / "mirror") as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        url = "https://files.example.org/train.zip"
        with pytest.raises(ck.DownloadError) as e:
            ck.untar_data(url)
        assert "train.zip is damaged at member 'train/b.jpg'" in str(e.value)
        assert "set aside as" in str(e.value) and "run again to fetch it anew" in str(e.value)
        archive = ck.config.coursekit_home() / "archive"
        assert (archive / "train.zip.damaged").read_bytes() == bytes(bad)
        real.write_bytes(good)
        assert (ck.untar_data(url) / "b.jpg").read_bytes() == members["train/b.jpg"]  # unwrapped
        gets = [r for r in server.requests if r[0] == "GET" and r[1].endswith("train.zip")]
        assert len(gets) == 2  # the damaged copy was not used again


def _zeros_zip(bomb):
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(80):  # 80 MiB of zeros: about 80 KB compressed
            member.write(bytes(1 << 20))
    return bomb


def test_a_zip_bomb_is_refused_with_the_numbers(tmp_path):
    bomb = _zeros_zip(tmp_path / "bomb.zip")
    with pytest.raises(ArchiveBombError) as e:
        extract_archive(bomb, tmp_path / "out")
    assert re.search(
        r"bomb\.zip: its 1 member\(s\) would expand to 83\.9 MB from [\d.]+ kB", str(e.value)
    )
    assert re.search(r"a ratio of [\d,]+:1 \(the limits are 64 GB and 100:1", str(e.value))
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_the_bomb_message_names_the_limit_as_it_is_defined(tmp_path):
    """The limit is written in the units the messages print (decimal: coursekit.data.sizes), so
    64 GB reads "64 GB", not the "69 GB" that 64 * 2**30 bytes printed as."""
    assert MAX_TOTAL_BYTES == 64 * 10**9 and format_size(MAX_TOTAL_BYTES) == "64 GB"
    bomb = _zeros_zip(tmp_path / "bomb.zip")
    for max_total, shown in [(MAX_TOTAL_BYTES, "64 GB"), (50 * 10**6, "50 MB")]:
        with pytest.raises(ArchiveBombError, match=f"the limits are {shown} and 100:1"):
            extract_archive(bomb, tmp_path / "out", max_total=max_total)


def test_an_archive_larger_than_the_total_bound_is_refused(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for i in range(3):
            info = tarfile.TarInfo(f"data/{i}.bin")
            info.size = 4000
            tf.addfile(info, io.BytesIO(os.urandom(4000)))
    (tmp_path / "data.tgz").write_bytes(buf.getvalue())
    with pytest.raises(
        ArchiveBombError, match=r"3 member\(s\) would expand to 12 kB.*limits are 10 kB"
    ):
        extract_archive(tmp_path / "data.tgz", tmp_path / "out", max_total=10_000)
    assert extract_archive(tmp_path / "data.tgz", tmp_path / "ok").is_dir()  # the default bound


def _flipped_under_its_checksum(tgz: bytes, offset: int) -> bytes:
    """``tgz`` with the byte at ``offset`` of its tar flipped, compressed again under the original
    CRC and length: a copy damaged after its checksum was written (a bad disk, a faulty proxy)."""
    tar = bytearray(gzip.decompress(tgz))
    tar[offset] ^= 0xFF
    deflate = zlib.compressobj(wbits=-15)  # a bare deflate stream: header and trailer are ours
    header = b"\x1f\x8b\x08\x00" + bytes(4) + b"\x00\xff"  # gzip, deflate, no name, no time
    return header + deflate.compress(bytes(tar)) + deflate.flush() + tgz[-8:]


def test_a_tgz_whose_checksum_fails_is_named_set_aside_and_fetched_anew(pets, fresh_home):
    server, url = pets
    real = server.root / "s3.amazonaws.com" / "pets.tgz"
    good = real.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(good)) as tf:
        member = tf.getmember("pets/images/Bengal_1.jpg")
    bad = _flipped_under_its_checksum(good, member.offset_data + 1000)
    with tarfile.open(fileobj=io.BytesIO(bad)) as tf:  # tarfile alone reads the wrong bytes
        assert tf.extractfile(member.name).read() != b"\1" * 2000
    with pytest.raises(gzip.BadGzipFile, match="CRC check failed"):
        gzip.decompress(bad)
    real.write_bytes(bad)
    with pytest.raises(ck.DownloadError) as e:
        ck.untar_data(url)
    assert re.search(
        r"pets\.tgz is damaged after member 'pets/images/Bengal_2\.jpg' \(BadGzipFile: CRC check "
        r"failed .*set aside as .*run again to fetch it anew",
        str(e.value),
    )
    _nothing_complete(fresh_home)
    assert (fresh_home / "archive" / "pets.tgz.damaged").read_bytes() == bad
    real.write_bytes(good)
    assert (ck.untar_data(url) / "images" / "Bengal_1.jpg").read_bytes() == b"\1" * 2000
    gets = [r for r in server.requests if r[0] == "GET" and r[1].endswith("pets.tgz")]
    assert len(gets) == 2  # the damaged copy was not used again


def _pets_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i in range(3):
            info = tarfile.TarInfo(f"pets/images/Bengal_{i}.jpg")
            info.size = 2000
            tf.addfile(info, io.BytesIO(bytes([i + 1]) * 2000))
    return buf.getvalue()


MEMBER = tarfile.BLOCKSIZE + 2048  # a header and 2000 bytes padded to blocks


@pytest.mark.parametrize(
    "damage, last_good, why",
    [
        (lambda tar: tar[: 2 * MEMBER + 1000], 2, "unexpected end of data"),
        (lambda tar: tar[: 2 * MEMBER], 1, "ends before its end-of-archive marker"),
        (lambda tar: tar[:MEMBER] + b"x" * 512 + tar[MEMBER + 512 :], 0, "a damaged header"),
    ],
    ids=["cut-in-a-member", "cut-at-a-header", "garbage-header"],
)
def test_a_damaged_tar_names_the_last_good_member(tmp_path, damage, last_good, why):
    archive = tmp_path / "pets.tar"
    archive.write_bytes(damage(_pets_tar()))
    with pytest.raises(
        CorruptArchiveError,
        match=rf"pets\.tar is damaged after member 'pets/images/Bengal_{last_good}\.jpg' .*{why}",
    ):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))
