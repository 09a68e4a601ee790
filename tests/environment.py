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

__all__ = ["importorskip", "in_ci", "missing", "needs_cuda"]


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


def needs_cuda() -> None:
    """Skip the module without a CUDA GPU (CI has none), unless ``COURSEKIT_GPU_CHECK`` is set:
    ``tools/gpu_check.sh`` sets it, and there a missing GPU fails the run."""
    import torch

    if torch.cuda.is_available():
        return
    if os.environ.get("COURSEKIT_GPU_CHECK"):
        pytest.fail("COURSEKIT_GPU_CHECK is set, but torch sees no CUDA GPU", pytrace=False)
    pytest.skip("needs a CUDA GPU (tools/gpu_check.sh runs these on one)", allow_module_level=True)
