"""MirrorServer answers like S3: by path, with HEAD and HTTP Range, on 127.0.0.1 only."""

import urllib.error
import urllib.request

import pytest

from tools.mirror_server import MirrorServer


@pytest.fixture
def mirror(tmp_path):
    (tmp_path / "s3.amazonaws.com" / "bucket").mkdir(parents=True)
    (tmp_path / "s3.amazonaws.com" / "bucket" / "a.tgz").write_bytes(bytes(range(256)) * 4)
    with MirrorServer(tmp_path) as server:
        yield server


def _get(url, **headers):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)


def test_serves_files_by_path_with_head(mirror):
    assert mirror.url.startswith("http://127.0.0.1:")
    with _get(f"{mirror.url}/s3.amazonaws.com/bucket/a.tgz") as r:
        assert (
            r.status == 200
            and r.headers["Accept-Ranges"] == "bytes"
            and r.read() == bytes(range(256)) * 4
        )
    head = urllib.request.Request(f"{mirror.url}/s3.amazonaws.com/bucket/a.tgz", method="HEAD")
    with urllib.request.urlopen(head, timeout=10) as r:
        assert r.headers["Content-Length"] == "1024" and r.read() == b""


def test_range_requests(mirror):
    with _get(f"{mirror.url}/s3.amazonaws.com/bucket/a.tgz", Range="bytes=1000-") as r:
        assert r.status == 206 and r.headers["Content-Range"] == "bytes 1000-1023/1024"
        assert r.read() == bytes(range(232, 256))
    with _get(f"{mirror.url}/s3.amazonaws.com/bucket/a.tgz", Range="bytes=10-11") as r:
        assert r.read() == bytes([10, 11])
    with pytest.raises(urllib.error.HTTPError, match="416"):
        _get(f"{mirror.url}/s3.amazonaws.com/bucket/a.tgz", Range="bytes=5000-")
    mirror.ignore_range = True
    with _get(f"{mirror.url}/s3.amazonaws.com/bucket/a.tgz", Range="bytes=1000-") as r:
        assert r.status == 200 and len(r.read()) == 1024


def test_nothing_outside_root_and_faults(mirror, tmp_path):
    (tmp_path.parent / "secret.txt").write_text("no")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/missing.tgz"):
        with pytest.raises(urllib.error.HTTPError, match="404"):
            _get(f"{mirror.url}{path}")
    mirror.fail["/s3.amazonaws.com/bucket/a.tgz"] = 500
    with pytest.raises(urllib.error.HTTPError, match="500"):
        _get(f"{mirror.url}/s3.amazonaws.com/bucket/a.tgz")
