"""Finding a student's Kaggle API token, wherever they put it, for any kagglehub version.

Kaggle hands out two kinds of credentials. Its account page (kaggle.com -> Settings -> API)
now gives a new-style **API token** by default, one string read from ``KAGGLE_API_TOKEN``;
under *Legacy API Credentials* it still gives a ``kaggle.json`` holding a **username and key**.
The two kagglehub versions students have read different places: kagglehub 0.3.x (as Colab pins
it) knows only the username and key; kagglehub >= 0.4 reads the token first, but in Colab it
asks for the Secret ``KAGGLE_API_TOKEN`` and gives up, silently, before it looks at the legacy
Secrets ``KAGGLE_USERNAME`` / ``KAGGLE_KEY`` when that one is missing.

So coursekit looks in every place itself (``find_credentials``), in kagglehub 1.0's order:

1. the environment variable ``KAGGLE_API_TOKEN``, then the file ``~/.kaggle/access_token``;
2. the environment variables ``KAGGLE_USERNAME`` and ``KAGGLE_KEY``;
3. ``kaggle.json`` in ``$KAGGLE_CONFIG_DIR`` (default ``~/.kaggle``);
4. in Colab, the Secret ``KAGGLE_API_TOKEN``, then the Secrets ``KAGGLE_USERNAME`` and ``KAGGLE_KEY``;

and hands what it found to kagglehub as environment variables for the length of one call
(``credential_settings``), the one way every version accepts. A new-style token with kagglehub
0.3.x, which cannot send one, is sent by ``coursekit.data.kaggle_client`` instead. Errors list the
places looked in (``tried``), so a student never hears again the instructions they followed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TOKEN_HELP", "KaggleCredentials", "Search", "credential_settings", "find_credentials"]

TOKEN_HELP = (
    "Create a token at kaggle.com -> Settings -> API -> Generate New Token and copy it. In Colab, "
    "add it as a Colab Secret named KAGGLE_API_TOKEN (the key icon in the left bar) and allow this "
    "notebook access; elsewhere set the environment variable KAGGLE_API_TOKEN or save it in the "
    "file ~/.kaggle/access_token. A legacy kaggle.json "
    "(same page, Legacy API Credentials -> Create Legacy API Key) works too: as ~/.kaggle/kaggle.json "
    "(chmod 600), as the variables KAGGLE_USERNAME and KAGGLE_KEY, or as Colab Secrets of those names."
)


@dataclass(frozen=True)
class KaggleCredentials:
    """One set of credentials and where it was found: a new-style ``token``, or ``username`` + ``key``."""

    route: str
    token: str | None = None
    username: str | None = None
    key: str | None = None


@dataclass
class Search:
    """What ``find_credentials`` found, in order of preference, and a line per place it looked."""

    found: list[KaggleCredentials] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)

    def add(self, route: str, problem: str | None, credentials: KaggleCredentials | None) -> None:
        self.tried.append(f"{route}: {problem or 'found'}")
        if credentials is not None:
            self.found.append(credentials)


def _clean(value: object) -> str:
    return str(value or "").replace("\r", "").replace("\n", "").strip()


def _from_environment(search: Search) -> None:
    token = _clean(os.environ.get("KAGGLE_API_TOKEN"))
    if token and Path(token).is_file():  # kagglesdk also takes a path to a file holding it
        token = _clean(Path(token).read_text())
    search.add(
        "the variable KAGGLE_API_TOKEN",
        None if token else "not set",
        KaggleCredentials("the variable KAGGLE_API_TOKEN", token=token) if token else None,
    )
    access = Path("~/.kaggle/access_token").expanduser()
    token = _clean(access.read_text()) if access.is_file() else ""
    search.add(
        str(access),
        None if token else "no such file",
        KaggleCredentials(str(access), token=token) if token else None,
    )
    user, key = _clean(os.environ.get("KAGGLE_USERNAME")), _clean(os.environ.get("KAGGLE_KEY"))
    route = "the variables KAGGLE_USERNAME and KAGGLE_KEY"
    search.add(
        route,
        None if user and key else ("only one of them is set" if user or key else "not set"),
        KaggleCredentials(route, username=user, key=key) if user and key else None,
    )


def _from_kaggle_json(search: Search) -> None:
    folder = os.environ.get("KAGGLE_CONFIG_DIR") or str(Path.home() / ".kaggle")
    path = Path(folder) / "kaggle.json"
    if not path.is_file():
        return search.add(str(path), "no such file", None)
    try:
        content = json.loads(path.read_text())
        user, key = _clean(content.get("username")), _clean(content.get("key"))
    except (ValueError, AttributeError, OSError) as e:
        return search.add(str(path), f"unreadable ({e}); download it again", None)
    problem = None if user and key else 'it lacks "username" or "key"'
    search.add(str(path), problem, KaggleCredentials(str(path), username=user, key=key))


def _colab_secret(userdata: object, name: str) -> tuple[str, str | None]:
    """The Colab Secret ``name`` (or ""), and what went wrong: Colab raises when it is missing."""
    try:
        return _clean(userdata.get(name)), None  # type: ignore[attr-defined]
    except Exception as e:  # SecretNotFoundError, NotebookAccessError, TimeoutException
        kind = type(e).__name__
        if "NotFound" in kind:
            return "", "no such Secret"
        if "Access" in kind:
            return "", "this notebook has no access to it (switch 'Notebook access' on)"
        return "", f"unreadable ({kind}: {e})"


def _from_colab(search: Search) -> None:
    if "google.colab" not in sys.modules and "google.colab.userdata" not in sys.modules:
        return  # not in Colab: importing google.colab elsewhere would only fail
    try:
        from google.colab import userdata
    except ImportError:
        return
    token, problem = _colab_secret(userdata, "KAGGLE_API_TOKEN")
    route = "the Colab Secret KAGGLE_API_TOKEN"
    search.add(route, problem, KaggleCredentials(route, token=token) if token else None)
    (user, user_problem), (key, key_problem) = (
        _colab_secret(userdata, "KAGGLE_USERNAME"),
        _colab_secret(userdata, "KAGGLE_KEY"),
    )
    route = "the Colab Secrets KAGGLE_USERNAME and KAGGLE_KEY"
    problem = None if user and key else (user_problem or key_problem or "one of them is empty")
    search.add(
        route, problem, KaggleCredentials(route, username=user, key=key) if user and key else None
    )


def find_credentials() -> Search:
    """Look for Kaggle credentials in every place a student may have put them (see the module).

    >>> search = find_credentials()
    >>> search.found[0].route if search.found else search.tried      # doctest: +SKIP
    'the Colab Secret KAGGLE_API_TOKEN'
    """
    search = Search()
    _from_environment(search)
    _from_kaggle_json(search)
    _from_colab(search)
    return search


def credential_settings(credentials: KaggleCredentials) -> dict[str, str]:
    """The environment variables that hand ``credentials`` to kagglehub (token: kagglehub >= 0.4)."""
    if credentials.token is not None:
        return {"KAGGLE_API_TOKEN": credentials.token}
    return {"KAGGLE_USERNAME": credentials.username or "", "KAGGLE_KEY": credentials.key or ""}
