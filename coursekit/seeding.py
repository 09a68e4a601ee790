"""One seed for a whole run, so that a lesson in sample mode repeats exactly on one machine.

>>> seed = ck.set_seed()       # $COURSEKIT_SEED, or 0
>>> seed = ck.set_seed(3)      # another run: another head, other augmentations, another batch order

It seeds Python's, numpy's and torch's random generators (torch's also for CUDA). Everything
random in coursekit draws from those: a new head's initial weights, dropout, the order of the
training batches (the loader's sampler) and every augmentation. The loader's worker processes
are seeded from torch's generator too: PyTorch gives each worker ``base_seed + worker_id`` for its
torch, Python and numpy generators, and draws ``base_seed`` from torch's generator when the loader
starts, so the workers repeat as well. The validation split does not depend on it: it has its own
seed (``get_cv_idxs(n, seed=42)``, ``from_name_re(..., seed=2)``), as in the course, so runs with
different seeds are compared on the same pictures; the sample pictures are drawn from theirs.

A seeded run repeats on the same machine with the same library versions and number of threads. A
GPU's kernels, another CPU or another torch release may round differently, and the numbers then
differ a little (as they do between any two of the course's own runs); so, rarely, may a heavily
loaded machine (docs/BENCHMARKS.md, *Lessons under five seeds*).
"""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import torch

__all__ = ["SEED_ENV", "random_state", "seed_from_env", "set_random_state", "set_seed"]

SEED_ENV = "COURSEKIT_SEED"


def seed_from_env(default: int = 0) -> int:
    """``$COURSEKIT_SEED`` as a number, or ``default`` when it is unset; a clear error otherwise."""
    value = os.environ.get(SEED_ENV, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"{SEED_ENV}={value!r} is not a whole number: set it to e.g. 0, 1, 2 "
            "(each seed is another repeatable run), or unset it for seed 0."
        ) from None


def set_seed(seed: int | None = None) -> int:
    """Seed every random generator a lesson uses, and return the seed (``$COURSEKIT_SEED``, or 0,
    when ``seed`` is None). Every lesson calls it in its settings cell."""
    seed = seed_from_env() if seed is None else int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # the CPU's generator and every CUDA device's
    return seed


def random_state() -> dict[str, Any]:
    """Where Python's, numpy's and torch's CPU generators stand now, in plain numbers and one
    tensor (a ``ck.demo`` recording carries it, so that the cells after a replay draw what the
    rehearsal drew: a new head's weights, the loader's order). CUDA's generators are left out: a
    rehearsal on a GPU replays on a CPU."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    return {
        "python": [version, list(internal), gauss],
        "numpy": [name, np.asarray(keys).tolist(), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }


def set_random_state(state: dict[str, Any]) -> None:
    """Put the generators back where ``random_state()`` found them."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
