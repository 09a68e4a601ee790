"""One sign-in attempt, as a student makes it: run in the test's process (the installed
kagglehub) or as ``python -m tests.kaggle_signin_probe`` with an older kagglehub first on the path.

``ROUTES`` are the places a student may have put Kaggle credentials; ``arrange(route, home)``
puts them there (Colab's Secrets through a stand-in of ``google.colab.userdata``, at its module
path, raising what Colab raises for a missing Secret or a notebook without access), and
``attempt()`` downloads one file of Planet through ``ck.kaggle_data``.
"""

from __future__ import annotations

import base64
import json
import sys
import types
from pathlib import Path

__all__ = ["ROUTES", "accepted", "arrange", "attempt", "fake_colab"]

PLANET = "planet-understanding-the-amazon-from-space"
# route -> (environment variables, files under the home folder, Colab Secrets or None)
ROUTES: dict[str, tuple[dict[str, str], dict[str, str], dict[str, str] | None]] = {
    "KAGGLE_API_TOKEN": ({"KAGGLE_API_TOKEN": "KGAT_variable"}, {}, None),
    "access_token file": ({}, {".kaggle/access_token": "KGAT_file\n"}, None),
    "KAGGLE_USERNAME/KAGGLE_KEY": (
        {"KAGGLE_USERNAME": "student", "KAGGLE_KEY": "key-env"},
        {},
        None,
    ),
    "kaggle.json": (
        {},
        {".kaggle/kaggle.json": '{"username": "student", "key": "key-json"}'},
        None,
    ),
    "Colab Secret KAGGLE_API_TOKEN": ({}, {}, {"KAGGLE_API_TOKEN": "KGAT_colab"}),
    "Colab Secrets KAGGLE_USERNAME/KAGGLE_KEY": (
        {},
        {},
        {"KAGGLE_USERNAME": "student", "KAGGLE_KEY": "key-colab"},
    ),
}


def accepted(route: str) -> str:
    """The Authorization header Kaggle's stand-in accepts for ``route``'s credentials, and no other."""
    variables, files, secrets = ROUTES[route]
    values = {**variables, **(secrets or {})}
    for content in files.values():
        values |= json.loads(content) if content.startswith("{") else {"token": content.strip()}
    token = values.get("KAGGLE_API_TOKEN") or values.get("token")
    if token:
        return f"Bearer {token}"
    user = values.get("KAGGLE_USERNAME") or values.get("username")
    key = values.get("KAGGLE_KEY") or values.get("key")
    return "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()


def fake_colab(secrets: dict[str, str], access: bool = True) -> dict[str, types.ModuleType]:
    """A stand-in of Colab's ``google.colab.userdata``: the modules to put in ``sys.modules``."""
    userdata = types.ModuleType("google.colab.userdata")

    class SecretNotFoundError(Exception):
        pass

    class NotebookAccessError(Exception):
        pass

    def get(key: str) -> str:
        if not access:
            raise NotebookAccessError(key)
        if key not in secrets:
            raise SecretNotFoundError(key)
        return secrets[key]

    userdata.SecretNotFoundError, userdata.NotebookAccessError = (
        SecretNotFoundError,
        NotebookAccessError,
    )
    userdata.get = get
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    modules = {"google.colab": colab, "google.colab.userdata": userdata}
    try:
        import google  # noqa: F401  (a namespace package, e.g. protobuf's)
    except ImportError:
        modules["google"] = types.ModuleType("google")
    return modules


def arrange(route: str, home: Path) -> dict[str, str]:
    """Write ``route``'s files under ``home`` and return its environment variables."""
    variables, files, _ = ROUTES[route]
    for name, content in files.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(content)
    return {**variables, "HOME": str(home), "KAGGLE_CONFIG_DIR": str(home / ".kaggle")}


def attempt() -> str:
    """Download Planet's labels through ck.kaggle_data; 'ok' or the error's message."""
    import coursekit as ck

    try:
        path = ck.kaggle_data(PLANET, files=["train_v2.csv"])
    except ck.DownloadError as e:
        return str(e)
    return "ok" if (path / "train_v2.csv").is_file() else "no file"


if __name__ == "__main__":  # python -m tests.kaggle_signin_probe ROUTE [--no-access]
    import kagglehub

    route = sys.argv[1]
    secrets = ROUTES[route][2]
    if secrets is not None:
        sys.modules.update(fake_colab(secrets, access="--no-access" not in sys.argv))
    print(json.dumps({"kagglehub": kagglehub.__version__, "result": attempt()}))
