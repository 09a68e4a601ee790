"""The mirror's stand-in for Kaggle's API: the calls the real ``kagglehub`` client makes.

A competition is a file tree under ``root/kaggle/competitions/<slug>/``, or, for another layout
of the same competition, under ``root/kaggle/layouts/<layout>/<slug>/``; ``MirrorServer.
kaggle_layout[slug] = '2019'`` switches which one is served. Answered, in both API generations
(kagglehub >= 0.4 POSTs to ``/api/v1/competitions.CompetitionApiService/<Method>`` on the host
``localhost``, reaching us as its HTTP proxy; kagglehub 0.3.x GETs ``/api/v1/competitions/data/...``):

* the listing of a competition's files (``ListDataFiles`` / ``data/list/<slug>``), paged as
  Kaggle pages it: names relative to the competition (``train_v2.csv/train_v2.csv``), sizes;
* one file (``DownloadDataFile`` / ``data/download/<slug>/<name>``) or the whole bundle as a zip
  (``DownloadDataFiles`` / ``data/download-all/<slug>``): a 302 redirect to the bytes, as Kaggle
  redirects to Google Cloud Storage.

Sign-in: with ``kaggle_credentials`` empty any ``Authorization`` header is accepted; otherwise only
those listed (``'Bearer <token>'``, ``'Basic <base64 of user:key>'``). No header, or another one: 401.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

__all__ = [
    "KAGGLE_MESSAGES",
    "PLANET_LAYOUTS",
    "KaggleStub",
    "build_planet_layouts",
    "competition_folder",
    "listing_page",
]

KAGGLE_MESSAGES = {
    401: "Unauthenticated: the API token is missing or invalid.",
    403: "Permission denied: you must accept this competition's rules before downloading its data.",
    404: "Not found.",
}
DEFAULT_PAGE_SIZE = 20
OLD_API = re.compile(
    r"(?:/kaggle)?/api/v1/competitions/data/(download|download-all|list)/([^/]+)/?(.*)"
)


def competition_folder(root: Path, slug: str, layout: str | None) -> Path:
    """Where ``slug``'s files are, in the layout asked for (None: ``kaggle/competitions``)."""
    if layout is None:
        return root / "kaggle" / "competitions" / slug
    return root / "kaggle" / "layouts" / layout / slug


def listing_page(folder: Path, page_size: int | None, page_token: str | None) -> dict[str, Any]:
    """One page of the listing, in Kaggle's JSON: ``files`` (``ref``, ``name``, ``totalBytes``) and
    ``nextPageToken`` ('' on the last page)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    start = int(page_token or 0)
    size = page_size or DEFAULT_PAGE_SIZE
    page = files[start : start + size]
    return {
        "files": [
            {
                "ref": p.relative_to(folder).as_posix(),
                "name": p.relative_to(folder).as_posix(),
                "totalBytes": p.stat().st_size,
            }
            for p in page
        ],
        "nextPageToken": str(start + size) if start + size < len(files) else "",
    }


class KaggleStub:
    """Mixed into the mirror's request handler, whose ``mirror``, ``headers`` and ``_json`` it uses."""

    mirror: Any
    headers: Any

    def kaggle_post(self, path: str, body: bytes) -> bool:
        """Answer a kagglehub >= 0.4 call; False when ``path`` is not one."""
        prefix = "/kaggle/api/v1/competitions.CompetitionApiService/"
        if not path.startswith(prefix):
            return False
        request = json.loads(body or b"{}")
        method, slug = path[len(prefix) :], request.get("competitionName", "")
        if method == "ListDataFiles":
            self._kaggle_list(slug, request.get("pageSize"), request.get("pageToken"))
        else:
            self._kaggle_download(slug, request.get("fileName"), method == "DownloadDataFiles")
        return True

    def kaggle_get(self, path: str, query: dict[str, list[str]]) -> bool:
        """Answer a kagglehub 0.3.x call (its urljoin drops ``/kaggle``); False when not one."""
        call = OLD_API.fullmatch(path)
        if call is None:
            return False
        kind, slug, name = call[1], call[2], call[3] or None
        if kind == "list":
            size = query.get("pageSize", [None])[0]
            self._kaggle_list(slug, int(size) if size else None, query.get("pageToken", [None])[0])
        else:
            self._kaggle_download(slug, name, bundle=kind == "download-all")
        return True

    def _refusal(self, slug: str) -> int | None:
        """The status a call about ``slug`` is refused with, or None."""
        if self.mirror.kaggle_status is not None:
            return self.mirror.kaggle_status
        sent = self.headers.get("Authorization")
        accepted = self.mirror.kaggle_credentials
        if not sent or (accepted and sent not in accepted):
            return 401
        if not slug or not self.mirror.kaggle_folder(slug).is_dir():
            return 404
        return None

    def _kaggle_error(self, status: int) -> None:
        self._json(status, {"code": status, "message": KAGGLE_MESSAGES.get(status, "error")})

    def _kaggle_list(self, slug: str, page_size: int | None, page_token: str | None) -> None:
        status = self._refusal(slug)
        if status is not None:
            return self._kaggle_error(status)
        self._json(200, listing_page(self.mirror.kaggle_folder(slug), page_size, page_token))

    def _kaggle_download(self, slug: str, name: str | None, bundle: bool) -> None:
        """An error, or a 302 to the bytes."""
        status = self._refusal(slug)
        folder = self.mirror.kaggle_folder(slug)
        if status is None and not bundle and not (name and (folder / name).is_file()):
            status = 404
        if status is not None:
            return self._kaggle_error(status)
        location = (
            f"{self.mirror.url}/kaggle/bundles/{slug}.zip"
            if bundle
            else f"{self.mirror.url}/kaggle/files/{slug}/{name}"
        )
        self.send_response(302)  # type: ignore[attr-defined]
        self.send_header("Location", location)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")  # type: ignore[attr-defined]
        self.end_headers()  # type: ignore[attr-defined]


# Planet's layouts: the 2017 one is the mirror's default (kaggle/competitions); these are the others.
PLANET = "planet-understanding-the-amazon-from-space"
PLANET_LAYOUTS = {
    "2019": "labels nested as train_v2.csv/train_v2.csv; tiles as folders of loose JPEGs",
    "2019-no-jpg": "labels nested as train_v2.csv/train_v2.csv; no JPEG tiles, only TIF torrents",
}


def build_planet_layouts(planet_2017: Path, tiles: Path, layouts: Path) -> None:
    """Planet as Kaggle lists it since its December 2019 re-upload (fastai/course-v3#468,
    Kaggle/kaggle-cli#226): each CSV in a folder of its own name, ``test_v2_file_mapping.csv``, and
    torrents for the TIFs; the JPEG tiles (``tiles/train-jpg``, ``tiles/test-jpg``) as loose files in
    the layout ``2019``, absent from ``2019-no-jpg``. The files are those of ``planet_2017``."""
    for layout in PLANET_LAYOUTS:
        out = layouts / layout / PLANET
        for csv_name in ("train_v2.csv", "sample_submission_v2.csv"):
            (out / csv_name).mkdir(parents=True)
            shutil.copyfile(planet_2017 / csv_name, out / csv_name / csv_name)
        mapping = out / "test_v2_file_mapping.csv"
        mapping.mkdir()
        names = sorted(p.stem for p in (tiles / "test-jpg").iterdir())
        (mapping / mapping.name).write_text(
            "old,new\n" + "".join(f"{name}.tif,{name}.tif\n" for name in names)
        )
        for part in ("train", "test"):  # a .torrent is bencoded; only its name matters here
            name = f"{part}-tif-v2"
            (out / f"Kaggle-planet-{part}-tif.torrent").write_text(
                f"d4:infod4:name{len(name)}:{name}ee"
            )
        if layout == "2019":
            for folder in ("train-jpg", "test-jpg"):
                shutil.copytree(tiles / folder, out / folder)
