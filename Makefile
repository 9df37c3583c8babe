# The README's commands. `make test` sets up everything it needs on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup test lint unit checkov redis-server demo e2e bench crd docs clean

# A virtual environment with the project and its dev tools, rebuilt when pyproject changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# checkov, the Kubernetes scanner the chart tests run, in a venv of its own: it pins
# `packaging<24`, which a2a-sdk (a runtime dependency) cannot share, so it cannot live in .venv.
CHECKOV_VENV ?= .venv-checkov
$(CHECKOV_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	touch $@

checkov: $(CHECKOV_VENV)/.installed

# What `make demo` needs and no more: the operator and the runtime, without the dev tools
# (docs/benchmarks.md has both sizes). A venv made by `make setup` already holds them.
$(VENV)/.demo-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[operator,runtime]'
	touch $@

# Everything CI holds: formatting, lint, types, import layers, then the whole test suite.
test: lint unit

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup checkov redis-server
	$(BIN)/pytest $(PYTEST_ARGS)

# The store tests start a real redis-server (Debian's package), installed here when missing:
# as root, or through passwordless sudo (as on CI runners). Where neither works, the Redis
# tests skip themselves and say why.
redis-server:
	@command -v redis-server >/dev/null || test -x /usr/bin/redis-server || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "redis-server is missing and cannot be installed here: Redis tests skip"; exit 0; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null \
	    || echo "redis-server could not be installed: the Redis tests will skip"; }

# The CRDs, regenerated from the pydantic models in agent_operator/spec.py and evaluation.py,
# and the chart's copies of them (tests fail when either is stale).
crd: setup
	$(PY) -m agent_operator.crd > crds/agent.yaml
	$(PY) -m agent_operator.crd evaluation > crds/agentevaluation.yaml
	$(MAKE) chart-crd docs

# The Agent reference page, generated from the CRD's descriptions (a test fails when stale).
docs: setup
	$(PY) -m agent_operator.reference > docs/agent-reference.md

.PHONY: chart-crd
chart-crd:
	cp crds/agent.yaml charts/agent-operator/files/agent.yaml
	cp crds/agentevaluation.yaml charts/agent-operator/files/agentevaluation.yaml

# The kind end-to-end suite: needs Docker, kind, kubectl and helm; creates and deletes its own
# cluster. Skipped with the reason when any of them is missing.
e2e: setup
	$(BIN)/pytest -m e2e tests/e2e $(PYTEST_ARGS)

# The main job: an example Agent answering, in a kind cluster when Docker and kind are there,
# otherwise served locally against the mock model (see scripts/demo.py). Without a cluster the
# agent listens on 127.0.0.1:$(PORT) and the mock model on 127.0.0.1:$(MOCK_PORT).
PORT ?= 8080
MOCK_PORT ?= 8081
demo: $(VENV)/.demo-installed
	$(PY) scripts/demo.py --port $(PORT) --mock-port $(MOCK_PORT)

# The performance benchmarks at moderate sizes (a few minutes on 2 cores); figures and the
# exact commands are in docs/benchmarks.md. The 10,000-request soak is run by hand:
#   $(PY) benchmarks/runtime_load.py --soak 10000
bench: setup
	$(PY) benchmarks/operator_scale.py --agents 100 1000
	$(PY) benchmarks/operator_failover.py --runs 3
	$(PY) benchmarks/runtime_load.py
	$(PY) benchmarks/runtime_builtins.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
