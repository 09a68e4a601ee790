"""A lesson's last cell: did this run get what it should?

In sample mode a lesson must do far better than guessing. In full mode it should come close to
the number the course reported — but only a network that really starts from torchvision's
published ImageNet weights can. ``check_result`` tells the two apart by the weight file itself:
torchvision names each file after the first hex digits of its SHA-256 (``resnet34-b627a593.pth``),
so a file whose digest does not start with them holds other weights (the random stand-ins of the
full-mode rehearsal's mirror, say), and the course's number is then not expected::

    check_result("error rate", error, sample=SAMPLE, sample_bar=0.5, course=0.044, tolerance=0.01,
                 learn=learn, lower_is_better=True)

What a lesson's text says about the sample run's own numbers ("unfreezing did not make it worse by
more than 0.05") is checked by ``check_claims``, so the text cannot drift from what the run does.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coursekit.train.models import ARCHS
from coursekit.train.weights import weights_enum, weights_file

__all__ = ["check_claims", "check_result", "has_published_weights", "is_published_file"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_published_file(path: Path) -> bool:
    """True when ``path`` (named ``<name>-<hex digits>.<ext>``) exists and its SHA-256 starts with
    those digits: torch.hub's convention for the files it publishes."""
    prefix = os.path.basename(path).rsplit("-", 1)[-1].split(".")[0]
    return path.is_file() and len(prefix) >= 8 and _sha256(path).startswith(prefix)


def has_published_weights(arch_name: str) -> bool:
    """True when the cached weight file of ``arch_name`` is the one torchvision published."""
    arch = ARCHS.get(arch_name)
    if arch is None or not arch.weights or "." not in arch.weights:
        return False
    return is_published_file(weights_file(weights_enum(arch.weights).url))


def check_result(
    name: str,
    value: float,
    *,
    sample: bool,
    sample_bar: float,
    course: float,
    tolerance: float,
    learn: Any,
    lower_is_better: bool = False,
) -> None:
    """Check a lesson's final number and say what was checked; raise ``AssertionError`` if it fails.

    ``sample``: the lesson's mode. Sample mode: ``value`` must beat ``sample_bar`` (far better than
    guessing). Full mode with torchvision's published weights: ``value`` must be within
    ``tolerance`` of the ``course``'s number (or better). Full mode with other weights (the
    rehearsal's mirror): only that ``value`` is a finite number, and it says why.
    """
    better = (lambda a, b: a <= b) if lower_is_better else (lambda a, b: a >= b)
    if not math.isfinite(value):
        raise AssertionError(
            f"the {name} is {value}: training diverged. Lower the learning rate and run again."
        )
    if sample:
        assert better(value, sample_bar), (
            f"the {name} is {value:.3f}; the sample run should reach {sample_bar} "
            "(far better than guessing). Run the lesson again from the top."
        )
        message = f"sample mode: {name} {value:.3f}, far better than guessing ({sample_bar} needed)"
    elif not has_published_weights(learn.arch or ""):
        message = (
            f"{name} {value:.3f}; the course reported {course}. Not compared: {learn.arch}'s weight file "
            "is not the one torchvision published (its SHA-256 does not match its name), so these are "
            "not ImageNet's weights — as in the full-mode rehearsal's mirror."
        )
    else:
        target = course + tolerance if lower_is_better else course - tolerance
        assert better(value, target), (
            f"the {name} is {value:.3f}; the course reported {course}, and this run "
            f"should reach {target:.3f}. Train longer, or check the learning rates."
        )
        message = f"full mode: {name} {value:.3f}; the course reported {course} (within {tolerance} needed)"
    print(message)


def check_claims(claims: Mapping[str, bool], *, sample: bool) -> None:
    """Check each sentence a lesson's text says about the sample run's numbers.

    ``claims``: the sentence -> whether this run bears it out (a comparison with its tolerance,
    computed in the cell). Every claim is printed as ``holds:`` or ``FAILS:``, then an
    ``AssertionError`` names those that failed, so CI fails the day the text stops being true.
    In full mode (``sample=False``) they are printed as not checked: the text's sentences about
    the sample do not describe the course's data.

    >>> check_claims({"accuracy above 0.9": 0.93 > 0.9}, sample=True)
    holds: accuracy above 0.9
    """
    if not sample:
        for claim in claims:
            print(f"not checked (full mode): {claim}")
        return
    failed = [claim for claim, held in claims.items() if not held]
    for claim, held in claims.items():
        print(f"{'holds' if held else 'FAILS'}: {claim}")
    if failed:
        raise AssertionError(
            "the lesson's text says something this run did not do: "
            + "; ".join(failed)
            + ". If the code changed, change the text (and this check) with it."
        )
