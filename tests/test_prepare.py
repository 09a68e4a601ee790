"""coursekit data --full: the plan first, every item tried, and a summary that says what to retry."""

import hashlib
import re

import pytest

import coursekit.prepare as prepare
from coursekit.cli import main
from coursekit.data.sources import Archive
from tests.test_download import HOST, _tgz
from tools.mirror_server import MirrorServer


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    with MirrorServer(tmp_path / "mirror") as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        yield server


def _published(mirror, name: str) -> Archive:
    body = _tgz({"a.jpg": b"1"}, top=name.removesuffix(".tgz"))
    path = mirror.root / HOST / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return Archive(f"https://{HOST}/{name}", len(body), f"md5:{hashlib.md5(body).hexdigest()}")


def test_the_plan_comes_first_and_a_failure_stops_nothing(mirror, fresh_home, monkeypatch, capsys):
    good = _published(mirror, "good.tgz")
    gone = Archive(f"https://{HOST}/gone.tgz", 2_000_000)  # not on the server: S3 says 403
    mirror.missing_status = 403
    monkeypatch.setattr(
        prepare,
        "FULL_MODE",
        {
            "first": prepare.FullModeNeeds("01", archives=(gone,)),
            "second": prepare.FullModeNeeds("02", archives=(good,)),
        },
    )
    assert main(["data", "--full", "all"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("coursekit data --full all: 2 items, 2 to download (2 MB)")
    assert re.search(r"\d [kMGT]?B free in ", out[0])
    assert out[1].startswith("  first: fast.ai archive gone.tgz from http://127.0.0.1:")
    assert "(2 MB, to download)" in out[1]
    assert "FAILED: fast.ai archive gone.tgz: gone.tgz was not found at" in out[3]
    assert out[4].startswith("  fetched: fast.ai archive good.tgz")  # the next item still came
    assert out[-1].startswith("1 of 2 items failed: fast.ai archive gone.tgz.")
    assert out[-1].endswith("coursekit data --full first")
    assert (fresh_home / "data" / "good" / "a.jpg").read_bytes() == b"1"
