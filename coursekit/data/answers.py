"""Server answers that are not what was asked for: an HTML page where a file or JSON was expected.

A Wi-Fi sign-in page (a hotel, a campus), a company proxy or a mirror that lacks a file often
answers ``200 OK`` with an HTML page, whatever was asked. Taken as it comes, that page becomes a
"corrupt archive", a CSV of HTML, or ``JSONDecodeError: Expecting value: line 1 column 1``.
These functions recognise such an answer and say where it came from and what it was:

    check_file_answer(url, response.headers.get('Content-Type'), first_chunk)   # before writing
    checks = read_json(url, response)                                            # JSON or a clear error
    problem = html_in_file(path)                                                 # a file already saved
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "ADVICE",
    "UnexpectedAnswerError",
    "answer_problem",
    "check_file_answer",
    "html_in_file",
    "read_json",
    "web_page_in_error",
]

HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta")
ADVICE = (
    "A network sign-in page (Wi-Fi, campus, hotel), a proxy, or a mirror without that file answers "
    "like this: open the URL in a browser to see the page, sign in if it asks, and run again."
)


class UnexpectedAnswerError(RuntimeError):
    """A server answered something other than what was asked for; the message names the URL and
    what came back."""


class _Response(Protocol):
    headers: Any

    def read(self) -> bytes: ...


def _preview(head: bytes) -> str:
    text = " ".join(head[:120].decode("utf-8", errors="replace").split())
    return f"{text[:80]}..." if len(text) > 80 else text


def answer_problem(content_type: str | None, head: bytes) -> str | None:
    """What the answer is when it is a web page (by its Content-Type or its first bytes), else None.

    >>> answer_problem('text/html; charset=utf-8', b'<!DOCTYPE html><title>Sign in</title>')
    "an HTML page (Content-Type text/html; it begins '<!DOCTYPE html><title>Sign in</title>')"
    >>> answer_problem('application/octet-stream', b'\\x1f\\x8b\\x08') is None
    True
    """
    kind = (content_type or "").split(";")[0].strip().lower()
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if kind in ("text/html", "application/xhtml+xml") or start.startswith(HTML_STARTS):
        said = f"Content-Type {kind}; " if kind else ""
        return f"an HTML page ({said}it begins {_preview(head)!r})"
    return None


def check_file_answer(url: str, content_type: str | None, head: bytes) -> None:
    """Raise ``UnexpectedAnswerError`` when the answer to a file download is a web page."""
    problem = answer_problem(content_type, head)
    if problem is not None:
        raise UnexpectedAnswerError(f"{url} answered with {problem}, not the file. {ADVICE}")


def read_json(url: str, response: _Response) -> Any:
    """The JSON body of ``response``, or ``UnexpectedAnswerError`` naming the URL and what came back."""
    body = response.read()
    content_type = response.headers.get("Content-Type")
    problem = answer_problem(content_type, body)
    if problem is None:
        try:
            return json.loads(body)
        except ValueError:
            problem = f"{len(body)} bytes that are not JSON (they begin {_preview(body)!r})"
    raise UnexpectedAnswerError(f"{url} answered with {problem}, where JSON was expected. {ADVICE}")


def html_in_file(path: Path) -> str | None:
    """What the file at ``path`` is when a download saved a web page in it, else None."""
    if Path(path).suffix.lower() in (".html", ".htm"):
        return None
    with open(path, "rb") as f:
        return answer_problem(None, f.read(512))


def web_page_in_error(error: BaseException) -> str | None:
    """What came back when ``error`` (or an exception it was raised from) is a client's failure to
    read a web page as JSON: a ``requests`` response that is HTML, or a JSON decoding error's text."""
    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)
        if response is not None:
            try:
                head = bytes(response.content[:512])
            except Exception:  # a streamed body already read: judge by the header alone
                head = b""
            problem = answer_problem(response.headers.get("Content-Type"), head)
            if problem is not None:
                return problem
        doc = getattr(seen, "doc", None)
        if isinstance(seen, ValueError) and isinstance(doc, str):
            head = doc[:512].encode()
            return answer_problem(None, head) or f"text that is not JSON ({_preview(head)!r})"
        seen = seen.__cause__ or seen.__context__
    return None
