"""Tests whose environment is missing: skipped on a laptop, failed in CI.

A test that needs something this machine may lack (Chromium, Colab's widget versions, an optional
package) calls ``missing(reason)`` instead of ``pytest.skip``: with the environment variable ``CI``
set, a missing environment is a failure, so CI can never pass by silently running less.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

__all__ = ["importorskip", "in_ci", "missing"]


def in_ci() -> bool:
    """True when the environment variable ``CI`` is set to anything but '', '0' or 'false'."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def missing(reason: str) -> NoReturn:
    """Skip the test (or the module, at import) because ``reason``; fail instead under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: a missing environment fails the run)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def importorskip(name: str) -> ModuleType:
    """``pytest.importorskip`` that fails under CI: the test extras must all be installed there."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        missing(f"cannot import {name}: {error}")
