"""coursekit data --full: the plan first, every item tried, and a summary that says what to retry."""

import hashlib
import re

import pytest

import coursekit.prepare as prepare
from coursekit.cli import main
from coursekit.data.planet import PLANET, PLANET_FILES
from coursekit.data.sizes import format_size
from coursekit.data.sources import Archive
from tests.test_download import HOST, _tgz
from tests.test_kaggle import DOGS, _api_calls, _tar_7z, kaggle  # noqa: F401 (kaggle: the fixture)
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


def test_the_plan_gives_kaggle_items_their_listed_sizes_and_lists_once(
    kaggle,  # noqa: F811
    fresh_home,
    monkeypatch,
    capsys,
):
    planet = kaggle.root / "kaggle" / "competitions" / PLANET
    _tar_7z(planet / "test-jpg.tar.7z", "test-jpg", {"test_0.jpg": b"jpeg" * 500})
    wanted = sum((planet / name).stat().st_size for name in PLANET_FILES)
    dogs_root = kaggle.root / "kaggle" / "competitions" / DOGS
    bundle = sum(p.stat().st_size for p in dogs_root.rglob("*") if p.is_file())
    monkeypatch.setattr(
        prepare,
        "FULL_MODE",  # Planet through planet_data, dog breeds' whole bundle, no weights
        {
            "planet": prepare.FullModeNeeds("04", competition=PLANET, kaggle_files=PLANET_FILES),
            "dogbreeds": prepare.FullModeNeeds("03", competition=DOGS),
        },
    )
    assert main(["data", "--full", "all"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        f"coursekit data --full all: 2 items, 2 to download ({format_size(wanted + bundle)});"
    )
    assert out[1].endswith(f"({format_size(wanted)}, to download)")  # not sample_submission_v2
    assert out[2].endswith(f"({format_size(bundle)}, to download)")
    assert not [line for line in out if "size unknown" in line or "size listed" in line]
    # Each competition listed once, for the plan; Planet's download used that listing.
    assert _api_calls(kaggle).count("list") == 2
    assert "Kaggle lists its files in the 2017 layout" in "\n".join(out)


def test_a_kaggle_item_of_unknown_size_says_so_and_counts_no_zero(
    kaggle,  # noqa: F811
    fresh_home,
    monkeypatch,
    capsys,
):
    monkeypatch.setattr(prepare, "kaggle_listing", lambda competition: None)  # cannot list
    monkeypatch.setattr(
        prepare, "FULL_MODE", {"dogbreeds": prepare.FullModeNeeds("03", competition=DOGS)}
    )
    assert main(["data", "--full", "dogbreeds"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        "coursekit data --full dogbreeds: 1 items, 1 to download "
        f"({DOGS} (size listed when it starts));"
    )
    assert out[1].endswith("(size unknown, to download)")
    assert not [line for line in out if re.search(r"\b0 (bytes|kB|MB)", line)]
