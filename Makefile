# One entry point for people and CI. Every target installs what it needs first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# checkov pins versions of boto3/packaging that fight aws-sam-cli's: it gets a venv of its own,
# pinned exactly so that a new check in a new release cannot turn CI red on its own.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
CHECKOV := $(CHECKOV_VENV)/bin/checkov
# The SAM CLI is a tool, not a dependency of the product: its own venv keeps its pins (boto3,
# jsonschema, ...) and what it pulls in (pyOpenSSL, awscrt, Flask, docker) out of the venv that
# runs the product and its tests, which then holds what `pip install .` gives a user.
SAM_VENV ?= .venv-sam
SAM_CLI_VERSION := ~=1.170
SAM := $(SAM_VENV)/bin/sam
export SAM_CLI_TELEMETRY := 0

# `sam build` needs the Lambda runtime's Python (python3.12): pyenv's (its shims can hang), else PATH's.
LAMBDA_PYTHON ?= $(shell p=$$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1); [ -n "$$p" ] || p=$$(command -v python3.12); echo $$p)
BUILD_DIR ?= .aws-sam/build

.PHONY: install test lint build build-check demo installed-demo installed-stack-only clean test-sfn-local

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(CHECKOV): Makefile
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov==$(CHECKOV_VERSION)"
	touch $(CHECKOV)

$(SAM): Makefile
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli$(SAM_CLI_VERSION)"
	touch $(SAM)

# On every core (pytest-xdist, a file per worker), but the tests that fork the embedded AWS run in a
# process of their own: an xdist worker has other threads (execnet's), and a fork copies only the
# forking one - a lock another thread held stays held in the child (seen once: a child's SIGSEGV).
FORKING_TESTS := tests/local/test_parallel_replay.py
test: install
	$(PY) -m pytest -n auto --dist loadfile --ignore=$(FORKING_TESTS) --iam-every-statement
	$(PY) -m pytest $(FORKING_TESTS)
	# the pipeline's answers once more with moto's own code instead of the speed patches (hooks.py)
	ALBRECON_LOCAL_SPEED_PATCHES=off $(PY) -m pytest -q -n auto --dist loadfile -p no:cacheprovider tests/e2e/test_pipeline.py

lint: install $(CHECKOV) $(SAM)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml member/template.yaml
	$(SAM) validate --lint
	$(VENV)/bin/statelint statemachine/reconcile.asl.json tests/fixtures/mini/statemachines/machine.asl.json
	# every finding is fixed or judged in the template (Metadata: checkov: skip, with the reason)
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f template.yaml -f member/template.yaml

build: install $(SAM)
	@test -n "$(LAMBDA_PYTHON)" || { echo "python3.12 not found (PATH or pyenv): sam build needs the Lambda runtime's Python"; exit 1; }
	PATH="$(dir $(LAMBDA_PYTHON)):$$PATH" $(SAM) build --build-dir $(BUILD_DIR)

# Imports every built handler with the runtime's Python, from the build output alone.
RUNTIME_PROVIDED := .aws-sam/runtime-provided
build-check: build
	test -d $(RUNTIME_PROVIDED) || $(LAMBDA_PYTHON) -m pip install --quiet --target $(RUNTIME_PROVIDED) boto3
	$(PY) .ci/import_built_handlers.py $(BUILD_DIR) $(LAMBDA_PYTHON) $(RUNTIME_PROVIDED)

# AWS Step Functions Local (Docker) with the mocked test cases; skipped with a reason without Docker.
test-sfn-local: install
	@if docker info >/dev/null 2>&1; then \
	  docker compose -f tests/sfn_local/docker-compose.yml up -d --wait && \
	  $(PY) -m pytest tests/sfn_local -v; status=$$?; \
	  docker compose -f tests/sfn_local/docker-compose.yml down; exit $$status; \
	else $(PY) -m pytest tests/sfn_local -v -rs; fi

demo: install
	$(VENV)/bin/albrecon demo --out demo-data

# What a user's `pipx install .` gives, proven: the wheel, installed with its dependencies into a
# fresh venv outside the checkout, runs the demo from a folder that is not the checkout.
installed-demo:
	@set -e; place=$$(mktemp -d); \
	python3 -m pip wheel --quiet --no-deps -w "$$place/wheel" . ; \
	python3 -m venv "$$place/venv"; \
	"$$place/venv/bin/pip" install --quiet "$$place"/wheel/*.whl; \
	cd "$$place" && "$$place/venv/bin/albrecon" --version && \
	"$$place/venv/bin/albrecon" demo --out "$$place/demo" --report "$$place/report.html" --records 8000 | tail -n 4; \
	test -s "$$place/report.html"; rm -rf "$$place"

# The stack-only install from the registry (on demand; CI's suite checks its wheel and that its
# requirements are the whole tool's, which installed-demo installs): no engine, no plotting.
installed-stack-only:
	@set -e; place=$$(mktemp -d); \
	python3 -m venv "$$place/venv"; \
	"$$place/venv/bin/pip" install --quiet ./packaging/stack-only; \
	cd "$$place" && "$$place/venv/bin/albrecon" --version && "$$place/venv/bin/albrecon" history --help >/dev/null; \
	for module in duckdb sqlglot moto pyarrow numpy matplotlib; do \
	  ! "$$place/venv/bin/python" -c "import $$module" 2>/dev/null || { echo "stack-only install has $$module"; exit 1; }; \
	done; \
	! "$$place/venv/bin/albrecon" demo --out "$$place/demo" 2>"$$place/err"; grep -q "pipx install ." "$$place/err"; \
	echo "stack-only install: every AWS verb, no engine or plotting"; rm -rf "$$place"

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SAM_VENV) .aws-sam .pytest_cache .ruff_cache .hypothesis
