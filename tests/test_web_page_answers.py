"""A server answering a web page (a Wi-Fi sign-in page, a proxy) where JSON or a file was asked for:
the error names the URL and what came back, and nothing of that page is kept as data."""

import json

import pytest

import coursekit as ck
from coursekit.data.download import download_url
from coursekit.data.sources import Archive
from tests.test_kaggle import DOGS, kaggle  # noqa: F401 (kaggle: the fixture)
from tools.mirror_server import MirrorServer

URL = "https://s3.amazonaws.com/fast-ai-sample/pets.tgz"


@pytest.fixture
def mirror(tmp_path, monkeypatch, fresh_home):
    archive = tmp_path / "mirror" / "s3.amazonaws.com" / "fast-ai-sample" / "pets.tgz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"\x1f\x8b" + bytes(5000))
    (tmp_path / "mirror" / "checks.txt").write_text(json.dumps({}))
    with MirrorServer(tmp_path / "mirror") as server:
        monkeypatch.setenv("COURSEKIT_MIRROR", server.url)
        yield server


def test_a_web_page_for_the_mirrors_checks_names_the_url(mirror):
    mirror.html = {"/checks.txt"}
    with pytest.raises(ck.DownloadError) as e:
        ck.untar_data(URL)
    message = str(e.value)
    assert f"{mirror.url}/checks.txt answered with an HTML page" in message
    assert "Sign in to the network" in message and "where JSON was expected" in message
    assert "JSONDecodeError" not in message


def test_a_web_page_for_an_archive_names_the_url_and_keeps_nothing(mirror, fresh_home, tmp_path):
    mirror.html = {"/s3.amazonaws.com/"}
    dest = tmp_path / "pets.tgz"
    part = tmp_path / "pets.tgz.part"
    part.write_bytes(b"\x1f\x8b" + bytes(100))  # a download cut short earlier, to resume
    with pytest.raises(ck.DownloadError) as e:
        download_url(Archive(URL), dest)
    assert f"{mirror.url}/s3.amazonaws.com/fast-ai-sample/pets.tgz answered with an HTML page" in (
        str(e.value)
    )
    assert "text/html" in str(e.value) and "not the file" in str(e.value)
    assert not dest.exists() and part.read_bytes() == b"\x1f\x8b" + bytes(100)  # untouched
    mirror.html = set()
    assert download_url(Archive(URL), dest).read_bytes() == b"\x1f\x8b" + bytes(5000)


def test_a_web_page_saved_by_kagglehub_is_set_aside_and_fetched_anew(kaggle, fresh_home):  # noqa: F811
    kaggle.html = {"/kaggle/"}
    with pytest.raises(ck.DownloadError) as e:
        ck.kaggle_data(DOGS, files=["labels.csv"])
    message = str(e.value)
    assert f"Kaggle's answer (through {kaggle.url}/kaggle) for 'labels.csv'" in message
    assert "is an HTML page" in message and "Sign in to the network" in message
    assert not (fresh_home / "data" / DOGS / "labels.csv").exists()
    kaggle.html = set()
    path = ck.kaggle_data(DOGS, files=["labels.csv"])
    assert (path / "labels.csv").read_text() == "id,breed\nabc,beagle\n"


def test_a_web_page_where_kaggles_api_answers_json_says_so(kaggle, monkeypatch):  # noqa: F811
    import kagglehub
    import requests

    page = "<!DOCTYPE html><html><title>Proxy sign-in</title></html>"

    def answered_html(*args, **kwargs):  # what kagglehub 0.3's response.json() raises on a page
        try:
            json.loads(page)
        except ValueError as e:
            raise requests.exceptions.JSONDecodeError(e.msg, e.doc, e.pos) from None

    monkeypatch.setattr(kagglehub, "competition_download", answered_html)
    with pytest.raises(ck.DownloadError) as e:
        ck.kaggle_data(DOGS, files=["labels.csv"])
    message = str(e.value)
    assert f"Kaggle's API at {kaggle.url}/kaggle answered with an HTML page" in message
    assert "Proxy sign-in" in message and "where JSON was expected" in message


def test_the_mirror_answers_a_sign_in_page_on_request(mirror):
    import urllib.request

    mirror.html = {"/s3.amazonaws.com/"}
    with urllib.request.urlopen(f"{mirror.url}/s3.amazonaws.com/fast-ai-sample/pets.tgz") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
        assert b"<!DOCTYPE html>" in r.read()
    mirror.html = set()
    with urllib.request.urlopen(f"{mirror.url}/s3.amazonaws.com/fast-ai-sample/pets.tgz") as r:
        assert r.read().startswith(b"\x1f\x8b")
