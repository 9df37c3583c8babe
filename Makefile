# The README's commands. `make test` sets up everything it needs on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup test lint unit demo e2e bench crd docs clean

# A virtual environment with the project and its dev tools, rebuilt when pyproject changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Everything CI holds: formatting, lint, types, import layers, then the whole test suite.
test: lint unit

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup
	$(BIN)/pytest $(PYTEST_ARGS)

# The Agent CRD, regenerated from the pydantic models in agent_operator/spec.py.
crd: setup
	$(PY) -m agent_operator.crd > crds/agent.yaml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
