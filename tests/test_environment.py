"""A missing test environment is skipped on a laptop and fails in CI (tests/environment.py)."""

import pytest

from tests.environment import importorskip, missing


@pytest.mark.parametrize("ci", ["1", "true"])
def test_in_ci_a_missing_environment_fails(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match=r"no chromium \(CI is set"):
        missing("no chromium")
    with pytest.raises(pytest.fail.Exception, match="cannot import no_such_package"):
        importorskip("no_such_package")


@pytest.mark.parametrize("ci", [None, "", "0", "false"])
def test_elsewhere_it_is_skipped(monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        missing("no chromium")
    assert importorskip("json").dumps([1]) == "[1]"
