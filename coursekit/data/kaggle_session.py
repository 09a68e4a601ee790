"""One conversation with Kaggle: kagglehub imported, credentials found, the mirror switched on,
each call retried on a dropped connection, and each refusal turned into a sentence that says
what to do.

``kaggle_session()`` sets, for its duration only, the environment variables that hand the
credentials ``coursekit.data.kaggle_auth`` found to kagglehub and, under ``COURSEKIT_MIRROR``,
point kagglehub at ``{mirror}/kaggle`` (``kaggle_mirror_settings``); it restores them afterwards.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import ModuleType
from typing import TypeVar

from coursekit.data.answers import ADVICE, web_page_in_error
from coursekit.data.download import DownloadError
from coursekit.data.kaggle_auth import (
    TOKEN_HELP,
    KaggleCredentials,
    Search,
    credential_settings,
    find_credentials,
)
from coursekit.data.kaggle_client import reads_tokens
from coursekit.data.sources import mirror_url

__all__ = [
    "OFFLINE_HELP",
    "KaggleSession",
    "api_url",
    "explain",
    "kaggle_mirror_settings",
    "kaggle_session",
    "retry_after",
]

# A server that asks for a longer pause than this is waited on for this long, then asked again.
MAX_RETRY_AFTER = 60.0
OFFLINE_HELP = "Offline, use the sample data: ck.samples.dogbreeds() / ck.samples.planet()."
T = TypeVar("T")


def kaggle_mirror_settings(mirror: str) -> dict[str, str]:
    """The environment that points kagglehub at ``{mirror}/kaggle`` and changes nothing else.

    kagglehub < 0.4 reads ``KAGGLE_API_ENDPOINT``. kagglehub >= 0.4 knows only fixed hosts
    (``KAGGLE_API_ENVIRONMENT=LOCALHOST`` is ``http://localhost``), so the mirror is also its
    HTTP proxy: it answers requests for ``localhost`` as Kaggle.
    """
    return {
        "KAGGLE_API_ENDPOINT": f"{mirror}/kaggle",
        "KAGGLE_API_ENVIRONMENT": "LOCALHOST",
        "HTTP_PROXY": mirror,
        "http_proxy": mirror,
        "NO_PROXY": "",
        "no_proxy": "",
    }


@contextmanager
def _environment(settings: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True)
class KaggleSession:
    """kagglehub, the credentials handed to it (None: none found), and where coursekit looked."""

    kagglehub: ModuleType
    credentials: KaggleCredentials | None
    search: Search

    def call(self, action: Callable[[], T], competition: str, name: str | None, retries: int) -> T:
        """``action()``, retried (``retries`` times) on a dropped connection (kagglehub resumes
        from the bytes it kept), a rate limit (429) or a server error (5xx), after a growing
        pause or as long as ``Retry-After`` asks; any other failure becomes a ``DownloadError``
        that says what to do."""
        for attempt in range(retries + 1):
            try:
                return action()
            except Exception as e:  # kagglehub raises requests' and its own exception types
                response = getattr(e, "response", None)
                status = getattr(response, "status_code", None)
                transient = status is None and type(e).__name__ in (
                    "ConnectionError",
                    "ChunkedEncodingError",
                    "ReadTimeout",
                    "ProtocolError",
                )
                busy = status == 429 or (isinstance(status, int) and 500 <= status < 600)
                if not (transient or busy) or attempt == retries:
                    raise explain(e, self, competition, name) from e
                pause = retry_after(response) if busy else None
            time.sleep(min(2**attempt, 10) * 0.5 if pause is None else pause)
        raise AssertionError("unreachable")


def retry_after(response: object) -> float | None:
    """The seconds a 429 or 503 answer's ``Retry-After`` header asks to wait (at most
    ``MAX_RETRY_AFTER``), or None when it has none.

    >>> retry_after(type('Answer', (), {'headers': {'Retry-After': '2'}})())
    2.0
    """
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:  # an HTTP date
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _import_kagglehub() -> ModuleType:
    try:
        import kagglehub
    except ImportError as e:
        raise DownloadError(
            f"the kagglehub package is not installed: run `pip install kagglehub`, then run "
            f"again. {OFFLINE_HELP}"
        ) from e
    return kagglehub


@contextmanager
def kaggle_session() -> Iterator[KaggleSession]:
    """kagglehub with the student's credentials (and the mirror, if set) for the ``with`` block."""
    kagglehub = _import_kagglehub()
    search = find_credentials()
    takes_tokens = reads_tokens(kagglehub)
    usable = [c for c in search.found if takes_tokens or c.token is None]
    candidates = usable or search.found  # a token with 0.3.x: kaggle_client sends it itself
    chosen = candidates[0] if candidates else None
    settings = credential_settings(chosen) if chosen is not None else {}
    mirror = mirror_url()
    if mirror and not {"KAGGLE_API_ENDPOINT", "KAGGLE_API_ENVIRONMENT"} & set(os.environ):
        settings |= kaggle_mirror_settings(mirror)
    with _environment(settings):
        yield KaggleSession(kagglehub, chosen, search)


def api_url() -> str:
    """Where kagglehub sends its API calls: the mirror's stand-in, or Kaggle's own."""
    mirror = mirror_url()
    return os.environ.get("KAGGLE_API_ENDPOINT") or (
        f"{mirror}/kaggle" if mirror else "https://www.kaggle.com/api/v1"
    )


def explain(
    error: Exception, session: KaggleSession, competition: str, name: str | None
) -> DownloadError:
    """Turn kagglehub's exception into a sentence that says what to do."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    what = f"{name!r} of {competition!r}" if name else f"{competition!r}"
    looked = "coursekit looked in: " + "; ".join(session.search.tried) + "."
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DownloadError(
            f"the disk filled up while downloading {what}: free some space where kagglehub keeps "
            "its downloads ($KAGGLEHUB_CACHE, default ~/.cache/kagglehub) and run again."
        )
    page = web_page_in_error(error)
    if page is not None:
        return DownloadError(
            f"Kaggle's API at {api_url()} answered with {page}, where JSON was expected, for "
            f"{what}. {ADVICE}"
        )
    if session.credentials is None and (
        status == 401 or type(error).__name__ == "UnauthenticatedError"
    ):
        return DownloadError(
            f"no Kaggle API token was found, so {what} cannot be downloaded. {looked} {TOKEN_HELP}"
        )
    if status == 401 or type(error).__name__ == "UnauthenticatedError":
        return DownloadError(
            f"Kaggle rejected the API token from {session.credentials.route} (401) for {what}: "  # type: ignore[union-attr]
            "it is wrong, expired or was revoked. Make a new one at kaggle.com -> Settings -> API "
            f"and put it in place of that one. ({looked})"
        )
    if status == 403:
        return DownloadError(
            f"Kaggle refused {what} (403): accept the competition's rules at "
            f"https://www.kaggle.com/competitions/{competition}/rules (same account as your "
            "token), then run again."
        )
    if status == 404 and name is None:
        return DownloadError(
            f"Kaggle has no competition {competition!r} (404). Check the spelling: the lessons use "
            "'dog-breed-identification' and 'planet-understanding-the-amazon-from-space'."
        )
    if status == 404:
        return DownloadError(
            f"Kaggle has no file {name!r} in the competition {competition!r} (404): the "
            "competition is there, the file is not (Kaggle renames files when it re-uploads a "
            f"competition's data). See what it holds at https://www.kaggle.com/competitions/{competition}/data."
        )
    return DownloadError(
        f"the Kaggle download of {what} failed: {type(error).__name__}: {error}. Run again to "
        f"resume. {OFFLINE_HELP}"
    )
