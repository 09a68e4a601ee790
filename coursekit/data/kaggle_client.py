"""The two calls coursekit makes through kagglehub, on either generation of it.

* ``list_files``: what a competition holds, before anything is downloaded. kagglehub has no
  listing function of its own; its clients do. kagglehub >= 0.4 talks to Kaggle through
  ``kagglesdk`` (``build_kaggle_client().competitions.competition_api_client.list_data_files``,
  a POST to ``competitions.CompetitionApiService/ListDataFiles``); kagglehub 0.3.x has
  ``KaggleApiV1Client.get('competitions/data/list/<competition>')``. Both are paged.
* ``download``: one file, through ``kagglehub.competition_download`` (which caches and resumes).
  kagglehub 0.3.x signs its requests only with a username and key (HTTP Basic). A student who
  has only a new-style API token gets the same call from 0.3.x's own client with the token
  as a Bearer header, the way kagglehub signs requests inside Kaggle's notebooks: its cache,
  resume and MD5 check stay kagglehub's. (0.3.x no longer changes, so its insides are safe to use.)

Both take the credentials ``coursekit.data.kaggle_auth`` found; the caller has already put them
in the environment for the length of the call.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

from coursekit.data.kaggle_auth import KaggleCredentials
from coursekit.data.kaggle_files import KaggleFile

__all__ = ["download", "list_files", "reads_tokens"]

PAGE_SIZE = 200


def reads_tokens(kagglehub: ModuleType) -> bool:
    """True for kagglehub >= 0.4, which reads ``KAGGLE_API_TOKEN`` and lists through kagglesdk."""
    import kagglehub.clients as clients

    return hasattr(clients, "build_kaggle_client")


def _file(entry: Any) -> KaggleFile:
    """A listing entry (a kagglesdk object, or a dict from the older JSON API) as a ``KaggleFile``."""
    get = entry.get if isinstance(entry, dict) else lambda key: getattr(entry, key, None)
    size = get("totalBytes") if isinstance(entry, dict) else get("total_bytes")
    return KaggleFile(str(get("name") or get("ref")), int(size) if isinstance(size, int) else None)


def _list_with_kagglesdk(competition: str) -> list[KaggleFile]:
    from kagglehub.clients import build_kaggle_client
    from kagglesdk.competitions.types.competition_api_service import ApiListDataFilesRequest

    files: list[KaggleFile] = []
    page = ""
    with build_kaggle_client() as client:
        while True:
            request = ApiListDataFilesRequest()
            request.competition_name, request.page_size = competition, PAGE_SIZE
            if page:
                request.page_token = page
            response = client.competitions.competition_api_client.list_data_files(request)
            files += [_file(entry) for entry in response.files or []]
            page = response.next_page_token or ""
            if not page:
                return files


def _bearer(token: str) -> Any:
    import requests.auth

    class Bearer(requests.auth.AuthBase):
        def __call__(self, request: Any) -> Any:
            request.headers["Authorization"] = f"Bearer {token}"
            return request

    return Bearer()


def _v1_client(credentials: KaggleCredentials | None) -> Any:
    """kagglehub 0.3.x's own API client; with a new-style token, one that sends it as a Bearer header."""
    from kagglehub.clients import KaggleApiV1Client

    if credentials is None or credentials.token is None:
        return KaggleApiV1Client()
    token = credentials.token

    class TokenClient(KaggleApiV1Client):
        def _get_auth(self) -> Any:
            return _bearer(token)

    return TokenClient()


def _list_with_v1(competition: str, credentials: KaggleCredentials | None) -> list[KaggleFile]:
    from kagglehub.handle import parse_competition_handle

    client, handle = _v1_client(credentials), parse_competition_handle(competition)
    files: list[KaggleFile] = []
    page = ""
    while True:
        query = f"pageSize={PAGE_SIZE}" + (f"&pageToken={quote(page)}" if page else "")
        answer = client.get(f"competitions/data/list/{competition}?{query}", handle)
        entries = answer if isinstance(answer, list) else answer.get("files") or []
        files += [_file(entry) for entry in entries]
        page = "" if isinstance(answer, list) else answer.get("nextPageToken") or ""
        if not page:
            return files


def list_files(
    kagglehub: ModuleType, competition: str, credentials: KaggleCredentials | None
) -> list[KaggleFile]:
    """Every file the competition offers, as Kaggle lists them (all pages)."""
    if reads_tokens(kagglehub):
        return _list_with_kagglesdk(competition)
    return _list_with_v1(competition, credentials)


def download(
    kagglehub: ModuleType,
    competition: str,
    name: str | None,
    credentials: KaggleCredentials | None,
) -> Path:
    """One listed file (``name=None``: the whole bundle, unpacked), through kagglehub's cache
    (``$KAGGLEHUB_CACHE``, which resumes a cut download); returns its cached path."""
    if credentials is None or credentials.token is None or reads_tokens(kagglehub):
        return Path(kagglehub.competition_download(competition, path=name))
    from kagglehub import cache, http_resolver
    from kagglehub.handle import parse_competition_handle

    handle = parse_competition_handle(competition)
    client = _v1_client(credentials)
    cached = cache.load_from_cache(handle, name)
    out = cache.get_cached_path(handle, name)
    if name is None:  # what kagglehub 0.3.x's resolver does: the bundle's zip, unpacked, deleted
        archive = cache.get_cached_archive_path(handle)
        os.makedirs(os.path.dirname(archive), exist_ok=True)
        url = f"competitions/data/download-all/{competition}"
        if client.download_file(url, archive, handle, cached) or not cached:
            http_resolver._extract_archive(archive, out)
        if os.path.exists(archive):
            os.remove(archive)
    else:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        options = (
            {"extract_auto_compressed_file": True}
            if "extract_auto_compressed_file" in inspect.signature(client.download_file).parameters
            else {}
        )
        url = f"competitions/data/download/{competition}/{name}"
        client.download_file(url, out, handle, cached, **options)
    cache.mark_as_complete(handle, name)
    return Path(out)
