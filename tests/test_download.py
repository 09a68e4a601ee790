"""untar_data against a local HTTP server on 127.0.0.1 serving archives made here."""
import hashlib
import io
import socket
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import coursekit as ck
from coursekit.data.download import Archive, extract_archive


class _Handler(BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):
        body, truncate = self.files.get(self.path, (None, False))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if truncate else body)
        if truncate:                       # the connection drops mid-transfer
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"files": {}})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield base, handler.files
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _tgz(members: dict, top: str = "pets", links: dict = {}) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{top}/{name}" if top and not name.startswith(("/", "..")) else name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    return buf.getvalue()


def _outside_untouched(tmp_path):
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_good_archive_downloads_verifies_and_extracts(server, fresh_home):
    base, files = server
    body = _tgz({"images/Bengal_1.jpg": b"x" * 100, "README": b"hi"})
    files["/pets.tgz"] = (body, False)
    archive = Archive(f"{base}/pets.tgz", len(body), "md5:" + hashlib.md5(body).hexdigest())
    path = ck.untar_data(archive)
    assert path == fresh_home / "data" / "pets"
    assert (path / "images" / "Bengal_1.jpg").read_bytes() == b"x" * 100     # pets/pets unwrapped
    files.clear()                                          # a second call needs no network
    assert ck.untar_data(archive) == path


def test_zip_archive(server, fresh_home):
    base, files = server
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("dogscats/train/cats/cat.1.jpg", b"c")
    files["/dogscats.zip"] = (buf.getvalue(), False)
    path = ck.untar_data(f"{base}/dogscats.zip")
    assert (path / "train" / "cats" / "cat.1.jpg").read_bytes() == b"c"


def test_truncated_transfer_is_an_error_and_leaves_nothing(server, fresh_home):
    base, files = server
    body = _tgz({"a": b"a" * 50000})
    files["/pets.tgz"] = (body, True)
    with pytest.raises(ck.DownloadError, match="(?i)incomplete|run again"):
        ck.untar_data(f"{base}/pets.tgz")
    assert not (fresh_home / "data" / "pets").exists()
    assert not list((fresh_home / "archive").iterdir())     # no .part left, nothing trusted
    files["/pets.tgz"] = (body, False)                      # the next call redoes it
    assert (ck.untar_data(f"{base}/pets.tgz") / "a").stat().st_size == 50000


def test_checksum_mismatch(server, fresh_home):
    base, files = server
    body = _tgz({"a": b"a"})
    files["/pets.tgz"] = (body, False)
    with pytest.raises(ck.DownloadError, match="corrupt: md5"):
        ck.untar_data(Archive(f"{base}/pets.tgz", len(body), "md5:" + "0" * 32))
    with pytest.raises(ck.DownloadError, match="expected 5"):
        ck.untar_data(Archive(f"{base}/pets.tgz", 5))
    assert not (fresh_home / "data" / "pets").exists()
    assert not list((fresh_home / "archive").iterdir())


def test_offline_error_says_what_to_do(fresh_home):
    with socket.socket() as s:                 # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ck.DownloadError, match="sample data"):
        ck.untar_data(f"http://127.0.0.1:{port}/pets.tgz")


@pytest.mark.parametrize("members, links, message", [
    ({"../evil.txt": b"!"}, {}, "'..' would climb out"),
    ({"/tmp/evil.txt": b"!"}, {}, "absolute path"),
    ({}, {"pets/link": "/etc"}, "links to '/etc'"),
    ({}, {"pets/link": "../../evil.txt"}, "links to '../../evil.txt'"),
])
def test_malicious_archives_are_refused(server, fresh_home, tmp_path, members, links, message):
    base, files = server
    files["/pets.tgz"] = (_tgz({"ok.txt": b"fine", **members}, top="", links=links), False)
    with pytest.raises(ck.UnsafeArchiveError, match=message):
        ck.untar_data(f"{base}/pets.tgz")
    assert not (fresh_home / "data" / "pets").exists()
    assert not [p for p in (fresh_home / "data").iterdir()]      # no half-extracted folder either
    _outside_untouched(fresh_home / "data")


def test_zip_with_traversal_is_refused(tmp_path):
    buf = tmp_path / "evil.zip"
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("fine.txt", b"ok")
        zf.writestr("../../evil.txt", b"!")
    with pytest.raises(ck.UnsafeArchiveError, match="evil.txt"):
        extract_archive(buf, tmp_path / "out" / "dest")
    assert not (tmp_path / "out" / "dest").exists()
    _outside_untouched(tmp_path / "out")


def test_interrupted_extraction_is_redone(server, fresh_home):
    base, files = server
    files["/pets.tgz"] = (_tgz({"a": b"1"}), False)
    path = ck.untar_data(f"{base}/pets.tgz")
    (path.parent / ".pets.coursekit-complete").unlink()      # as if killed before the marker
    (path / "a").unlink()
    assert (ck.untar_data(f"{base}/pets.tgz") / "a").read_bytes() == b"1"


def test_kaggle_without_package_says_what_to_do(monkeypatch, fresh_home):
    monkeypatch.setitem(sys.modules, "kaggle", None)           # import kaggle -> ImportError
    with pytest.raises(ck.DownloadError, match="pip install kaggle"):
        ck.kaggle_data("dog-breed-identification")


def test_kaggle_without_credentials_says_what_to_do(monkeypatch, fresh_home):
    def fail_import(*a, **k):
        raise OSError("Could not find kaggle.json. Make sure it's located in /root/.kaggle.")
    monkeypatch.delitem(sys.modules, "kaggle", raising=False)
    import builtins
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__",
                        lambda name, *a, **k: fail_import() if name == "kaggle" else real_import(name, *a, **k))
    with pytest.raises(ck.DownloadError, match="kaggle.json"):
        ck.kaggle_data("planet-understanding-the-amazon-from-space")


def test_urls_know_their_sizes_and_checksums():
    assert ck.URLs.PETS.name == "oxford-iiit-pet" and ck.URLs.PETS.size > 800_000_000
    assert all(a.checksum.startswith("md5:") for a in (ck.URLs.PETS, ck.URLs.DOGSCATS, ck.URLs.PLANET_SAMPLE))
