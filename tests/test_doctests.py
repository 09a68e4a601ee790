"""The examples in the pure modules' docstrings run, and print what they say.

These modules compute without data, models or widgets, so their examples are real doctests;
``doctest`` runs them here (under every pytest selection, ``make test-fast`` included), and a
module whose examples disappear fails too.
"""

import doctest
import importlib

import pytest

PURE_MODULES = [
    "coursekit.data.answers",
    "coursekit.data.batches",
    "coursekit.data.csv_rows",
    "coursekit.data.kaggle_files",
    "coursekit.data.pixel_ranges",
    "coursekit.data.sizes",
    "coursekit.explore.ops",
    "coursekit.panel",
    "coursekit.presenter",
    "coursekit.train.metrics",
    "coursekit.train.plan",
    "coursekit.train.precision",
    "coursekit.train.precompute",
    "coursekit.train.schedules",
    "coursekit.widgets.common",
]


@pytest.mark.parametrize("name", PURE_MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has no examples left"
    assert result.failed == 0, f"{result.failed} of {name}'s examples failed (printed above)"
