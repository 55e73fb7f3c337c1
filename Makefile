# Two commands do all the set-up on a fresh machine with Python 3.11 and pip:
#   make demo   create .venv, install stabsim (with its compiled kernels), run the demo batch
#               and its report
#   make test   create .venv with the dev extra, run the test suite
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: demo test lint format docs odd bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[fast]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[dev]"
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/stabsim demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check model tests benchmarks scripts
	$(BIN)/ruff format --check model tests benchmarks scripts

format: $(VENV)/.installed-dev
	$(BIN)/ruff format model tests benchmarks scripts
	$(BIN)/ruff check --fix model tests benchmarks scripts

docs: $(VENV)/.installed
	$(BIN)/stabsim params --markdown > docs/parameters.md
	$(BIN)/stabsim outcomes --markdown > docs/outputs.md

odd: $(VENV)/.installed
	$(BIN)/python -m model.analysis.odd_figures

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_model.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
