# The two commands that matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet -e clients/python
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hanami-rt serve

lint: $(STAMP)
	$(BIN)/ruff check hanami_rt tests benchmarks clients/python protocol
	$(BIN)/ruff format --check hanami_rt tests benchmarks clients/python protocol
	$(BIN)/mypy

test: lint $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/mnist.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
