# Two commands on a fresh clone: `make demo` and `make test`.
# Each creates .venv if missing and installs coursekit with its test extras,
# pinned by constraints.txt (see DEVELOPERS.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COLAB_WIDGETS := $(VENV)/colab-widgets

.PHONY: demo test test-browser test-release dist install clean bench chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# Colab's ipywidgets 7.7 + bqplot 0.12 beside the venv's 8.x, for tests/test_colab_widgets.py
$(COLAB_WIDGETS)/.installed: $(STAMP) requirements-colab-widgets.txt
	rm -rf $(COLAB_WIDGETS)
	$(PY) -m pip install --quiet --no-deps --target $(COLAB_WIDGETS) -r requirements-colab-widgets.txt
	touch $@

# Debian's Chromium for the browser suite (tests/browser); playwright drives it, downloading nothing
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

install: $(STAMP) $(COLAB_WIDGETS)/.installed chromium

demo: $(STAMP)
	$(VENV)/bin/coursekit demo

test: $(STAMP) $(COLAB_WIDGETS)/.installed chromium
	$(PY) -m pytest -q

test-browser: $(STAMP) chromium
	$(PY) -m pytest -q -m browser

# The release: sdist + wheel built and twine-checked, the wheel installed into a clean venv through
# lesson 1's install cell from a package index on 127.0.0.1 (tests/test_release.py; `make test` runs it too)
test-release: $(STAMP)
	$(PY) -m pytest -q -m release

dist: $(STAMP)
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

bench: $(STAMP)
	$(PY) bench/loading.py
	$(PY) bench/trainer.py
	$(PY) bench/transfer.py
	$(PY) bench/widgets.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache
