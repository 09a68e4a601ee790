"""A local stand-in for the lessons' real download sources, on 127.0.0.1, with faults on request.

``MirrorServer(root)`` serves the files below ``root`` by path, the way coursekit's
``COURSEKIT_MIRROR`` switch asks for them: ``GET /s3.amazonaws.com/fast-ai-sample/dogscats.tgz``
answers ``root/s3.amazonaws.com/fast-ai-sample/dogscats.tgz``, with HEAD and HTTP Range
(206, Content-Range, Accept-Ranges), as S3 does.

Under ``/kaggle`` it answers the Kaggle API calls that the real ``kagglehub`` client makes for a
competition (the listing of its files, one file, or the whole bundle as a zip), from
``root/kaggle/competitions/<slug>/`` or another layout of it: see ``tools/mirror_kaggle.py``.

Faults, for tests, are plain settings on the server object::

    with MirrorServer(tmp_path) as mirror:
        mirror.fail["/s3.amazonaws.com/x.tgz"] = 500          # answer 500 for that path
        mirror.fail_first["/s3.amazonaws.com/x.tgz"] = (429, 2)  # answer 429 twice, then serve
        mirror.retry_after = "0"                               # Retry-After sent with 429 and 503
        mirror.drop_after["/s3.amazonaws.com/x.tgz"] = (4096, 1)  # cut after 4096 bytes, once
        mirror.ignore_range = True                             # answer 200 to Range requests
        mirror.missing_status = 403                            # S3's answer for a missing key
        mirror.kaggle_status = 403                             # 401, 403 or 404 for Kaggle calls
        mirror.kaggle_layout["planet-understanding-the-amazon-from-space"] = "2019"
        mirror.html = {"/kaggle/"}           # a sign-in page (200, text/html) for paths under these
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import socket
import sys
import tempfile
import threading
import zipfile
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from coursekit.fileio import atomic_write
from tools.mirror_kaggle import KaggleStub, competition_folder

__all__ = ["MirrorServer"]

KAGGLE_HOSTS = {"localhost", "localhost:80", "localhost:7777"}  # kagglesdk's LOCALHOST / TEST hosts
# What S3 answers for a key that does not exist in a bucket whose listing is not public
SIGN_IN_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>\n"
    "<body><form method='post'><input name='user'><input name='password'></form></body></html>\n"
)
S3_ACCESS_DENIED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    "<Message>Access Denied</Message></Error>"
)


class MirrorServer:
    """Serve ``root`` over HTTP on 127.0.0.1 (a free port); use as a context manager.

    Fault settings (all empty by default): ``fail`` maps a path to an HTTP status to answer;
    ``fail_first`` maps a path to ``(status, times)``: answer that status the first ``times``
    requests, as a rate limit (429) or a busy server (503) does; ``retry_after``: the
    ``Retry-After`` header's value sent with 429 and 503 answers (None: no header);
    ``drop_after`` maps a path to ``(n_bytes, times)``: close the connection after ``n_bytes`` of
    the body, the first ``times`` requests; ``ignore_range`` answers 200 to every Range request;
    ``missing_status = 403`` answers a missing file as S3 does (403 AccessDenied, not 404);
    ``kaggle_status`` (401/403/404) answers every Kaggle API call with that error; ``html`` holds
    paths (or prefixes ending in '/') answered 200 with an HTML page, as a proxy or a Wi-Fi
    sign-in page answers whatever is asked;
    ``kaggle_credentials``: the ``Authorization`` values the Kaggle stand-in accepts (empty: any);
    ``kaggle_layout`` maps a competition to the layout served (default: ``kaggle/competitions``).
    ``requests`` records ``(method, path, range header)`` of every request, for tests to inspect.
    """

    def __init__(self, root: Path, kaggle_layout: dict[str, str] | None = None) -> None:
        self.root = Path(root).resolve()
        self.fail: dict[str, int] = {}
        self.fail_first: dict[str, tuple[int, int]] = {}
        self.retry_after: str | None = None
        self.drop_after: dict[str, tuple[int, int]] = {}
        self.ignore_range = False
        self.missing_status = 404
        self.kaggle_status: int | None = None
        self.kaggle_credentials: set[str] = set()
        self.html: set[str] = set()
        self.kaggle_layout: dict[str, str] = dict(kaggle_layout or {})
        self.requests: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._bundles: Path | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(
                "the mirror is not running: call start() or use `with MirrorServer(root)`."
            )
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> MirrorServer:
        handler = type("Handler", (_Handler,), {"mirror": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._bundles = Path(tempfile.mkdtemp(prefix="mirror-bundles-"))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None
        if self._bundles is not None:
            shutil.rmtree(self._bundles, ignore_errors=True)  # the server's own temporary zips
            self._bundles = None

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _count_down(self, faults: dict[str, tuple[int, int]], path: str) -> int | None:
        """The value of ``faults[path] = (value, times)`` while ``times`` lasts (one used up per
        request), else None."""
        with self._lock:
            value, times = faults.get(path, (0, 0))
            if times <= 0:
                return None
            faults[path] = (value, times - 1)
            return value

    def take_drop(self, path: str) -> int | None:
        """How many bytes to send before cutting this request off, or None to send everything."""
        return self._count_down(self.drop_after, path)

    def take_failure(self, path: str) -> int | None:
        """The error status to answer this request for ``path`` with, or None to serve it."""
        status = self._count_down(self.fail_first, path)
        return status if status is not None else self.fail.get(path)

    def kaggle_folder(self, slug: str) -> Path:
        """The folder of ``slug``'s files in the layout being served (see ``kaggle_layout``)."""
        return competition_folder(self.root, slug, self.kaggle_layout.get(slug))

    def bundle(self, slug: str) -> Path:
        """The whole competition folder as one zip (built once), as Kaggle's 'Download All' gives it."""
        with self._lock:
            folder = self.kaggle_folder(slug)
            target = self._bundles / f"{slug}.{self.kaggle_layout.get(slug, 'default')}.zip"
            if not target.exists():

                def zip_folder(tmp: Path) -> None:
                    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
                        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                            zf.write(path, path.relative_to(folder).as_posix())

                atomic_write(target, zip_folder)
            return target


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is no error
            super().handle_error(request, client_address)


class _Handler(KaggleStub, BaseHTTPRequestHandler):
    mirror: MirrorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self._path()
        self.mirror.requests.append(("POST", path, None))
        if self._html(path):
            return
        if not self.kaggle_post(path, body):
            self._error(404)

    def _path(self) -> str:
        """The request's path; a proxy-style absolute URL for Kaggle's ``localhost`` maps to /kaggle."""
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = ("/kaggle" if parts.netloc in KAGGLE_HOSTS else "") + (parts.path or "/")
        return unquote(urlsplit(target).path)

    def _answer(self, head: bool) -> None:
        path = self._path()
        self.mirror.requests.append(("HEAD" if head else "GET", path, self.headers.get("Range")))
        status = self.mirror.take_failure(path)
        if status is not None:
            return self._error(status)
        if self._html(path):
            return
        if self.kaggle_get(path, parse_qs(urlsplit(self.path).query)):
            return
        if path.startswith("/kaggle/bundles/"):
            return self._file(
                self.mirror.bundle(path.split("/")[3].removesuffix(".zip")), path, head
            )
        file = (self.mirror.root / path.lstrip("/")).resolve()
        if path.startswith("/kaggle/files/"):
            slug, _, name = path[len("/kaggle/files/") :].partition("/")
            file = (self.mirror.kaggle_folder(slug) / name).resolve()
        if not file.is_relative_to(self.mirror.root) or not file.is_file():
            return self._error(self.mirror.missing_status)
        self._file(file, path, head)

    def _file(self, file: Path, path: str, head: bool) -> None:
        size = file.stat().st_size
        start, end = 0, size - 1
        wanted = self.headers.get("Range")
        partial = bool(wanted) and not self.mirror.ignore_range
        if partial:
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
            if not match or int(match[1]) >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                return self.end_headers()
            start, end = int(match[1]), min(int(match[2] or size - 1), size - 1)
        self.send_response(206 if partial else 200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Last-Modified", formatdate(file.stat().st_mtime, usegmt=True))
        if path.startswith("/kaggle/"):  # as Google Cloud Storage answers Kaggle's downloads
            self.send_header("x-goog-hash", f"md5={_b64_md5(file)}")
        self.end_headers()
        if head:
            return
        limit = self.mirror.take_drop(path)
        with open(file, "rb") as f:
            f.seek(start)
            left = end - start + 1 if limit is None else min(end - start + 1, limit)
            while left > 0:
                chunk = f.read(min(1 << 16, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)
        if limit is not None:  # the connection drops mid-file
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def _error(self, status: int) -> None:
        if status == 403 and self.mirror.missing_status == 403:
            body = S3_ACCESS_DENIED.encode()
            kind = "application/xml"
        else:
            body = f"{status} {self.responses.get(status, ('error',))[0]}\n".encode()
            kind = "text/plain"
        self.send_response(status)
        if status in (429, 503) and self.mirror.retry_after is not None:
            self.send_header("Retry-After", self.mirror.retry_after)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _html(self, path: str) -> bool:
        """Answer a sign-in page if ``path`` is one of ``mirror.html`` (or under one); True if so."""
        if not any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.mirror.html):
            return False
        body = SIGN_IN_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return True


def _b64_md5(file: Path) -> str:
    h = hashlib.md5()
    with open(file, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return base64.b64encode(h.digest()).decode()
