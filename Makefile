# Two entry points, each creating .venv by itself on a fresh machine:
#   make demo   set up and run the main job
#   make test   set up and run ruff, mypy and the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS := dev,dask,sim,bench,export,isf
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck smoke-core bench clean

# a second, core-only virtualenv: plain `pip install .` (no extras, not editable)
CORE_VENV := .venv-core

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dask,sim]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[$(EXTRAS)]'
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/neuroloom demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

$(CORE_VENV)/bin/python:
	$(PYTHON) -m venv $(CORE_VENV)

# what `pip install neuroloom` gives: a Database, a Study on the default backend, a SONATA read
smoke-core: | $(CORE_VENV)/bin/python
	$(CORE_VENV)/bin/python -m pip --disable-pip-version-check -q install .
	cd /tmp && env -u PYTHONPATH $(CURDIR)/$(CORE_VENV)/bin/python $(CURDIR)/tests/smoke_core.py

test: lint typecheck smoke-core
	$(BIN)/pytest --cov=neuroloom --cov-report=term

bench: $(VENV)/.installed-test
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) $(CORE_VENV) .pytest_cache .mypy_cache .ruff_cache
