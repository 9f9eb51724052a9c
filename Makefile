# CustomerSignal developer commands. `make help` lists them.
# Two commands set up a fresh machine: `make up` (run the platform) and `make test` (run the tests).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CACHE_DIR ?= $(CURDIR)/.cache
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
SAM_VENV := $(CACHE_DIR)/sam-venv
STACK := infra/local/stack.sh
# Lambda runs python3.12 (confluent-kafka wheels need glibc 2.28), so the dev venv does too. A pyenv
# shim on PATH may exist without answering, so each candidate must actually run.
PYTHON312 ?= $(shell for c in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null | sort -rV) \
  $$(command -v python3.12); do "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null \
  && { echo "$$c"; break; }; done)
DEPS_STAMP := $(VENV)/.deps-$(shell cat requirements.txt requirements-local.txt requirements-dev.txt pyproject.toml | sha1sum | cut -c1-12)
SAM_STAMP := $(SAM_VENV)/.deps-$(shell sha1sum infra/tools/sam-requirements.txt | cut -c1-12)
# `docker compose config` validates docker-compose.yml with no engine; where the docker client lacks the
# compose plugin, we build compose (standalone) from the Go module proxy.
COMPOSE_VERSION := v5.6.0
COMPOSE_BIN := $(CACHE_DIR)/docker-compose/docker-compose
# A Docker engine that answers means docker-compose.yml runs the stack instead of native processes.
DOCKER_ENGINE := $(shell docker info >/dev/null 2>&1 && echo yes)
COMPOSE_PROFILE := $(if $(LOCALSTACK_AUTH_TOKEN),localstack,moto)

export PATH := $(VENV)/bin:$(PATH)
# The API's port as the stack scripts see it (environment, then .env, then the default)
API_PORT_CMD := bash -c 'source infra/local/lib.sh && echo "$$API_PORT"'

.PHONY: help packages test-packages setup tools services up down status migrate lint format typecheck unit integration test bench fuzz security chaos soak wipe \
  dashboard dashboard-test browser browser-sdk deploy-dashboard

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(DEPS_STAMP): requirements.txt requirements-local.txt requirements-dev.txt pyproject.toml
	@test -n "$(PYTHON312)" || { echo "error: Python 3.12 not found (pyenv's 3.12.x or python3.12 on PATH); set PYTHON312=/path/to/python3.12" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	@echo "installing Python dependencies into .venv"
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt -e .
	@rm -f $(VENV)/.deps-* && touch $@

$(SAM_STAMP): infra/tools/sam-requirements.txt
	@test -x $(SAM_VENV)/bin/python || $(PYTHON312) -m venv $(SAM_VENV)
	@echo "installing SAM CLI and cfn-lint into $(SAM_VENV)"
	@$(SAM_VENV)/bin/pip install -q --disable-pip-version-check -r infra/tools/sam-requirements.txt
	@rm -f $(SAM_VENV)/.deps-* && touch $@

# Debian packages first: without root or sudo this stops at once, printing the one command that installs them.
packages: ## install the Debian packages `make up` needs (infra/local/debian-packages.txt)
	@infra/local/packages.sh install run

test-packages: ## install the Debian packages `make test` needs (the same list, its run and test groups)
	@infra/local/packages.sh install run test

setup: packages $(DEPS_STAMP) ## install Debian packages, Python dependencies, Kafka jars and LocalStack (idempotent)
	@$(STACK) setup

$(COMPOSE_BIN):
	@if docker compose version >/dev/null 2>&1; then mkdir -p $(@D); \
	elif command -v go >/dev/null; then \
	  echo "building docker compose $(COMPOSE_VERSION) from the Go module proxy (once; about 90 s)"; \
	  dir=$$(go mod download -json github.com/docker/compose/v5@$(COMPOSE_VERSION) | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); \
	  (cd "$$dir" && GOFLAGS=-mod=mod go build -trimpath -o $@ ./cmd); \
	else echo "note: no docker compose and no go: the compose config check will skip"; fi

# The dashboard (React + TypeScript, built by Vite) needs Node.js and npm; `npm ci` runs when the lock changes.
DASHBOARD_STAMP := dashboard/node_modules/.stamp-$(shell sha1sum dashboard/package-lock.json | cut -c1-12)

$(DASHBOARD_STAMP): dashboard/package-lock.json
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null \
	  && command -v npm >/dev/null || { echo "error: the dashboard needs Node.js 20.19+ and npm (found: $$(node --version 2>/dev/null || echo none)); README, Prerequisites" >&2; exit 1; }
	@echo "installing the dashboard's npm packages"
	@cd dashboard && npm ci --no-audit --no-fund --loglevel=error
	@rm -f dashboard/node_modules/.stamp-* && touch $@

# Segment's browser SDK and Playwright for tests/e2e/test_browser_sdk_retry.py, from their own lock file
BROWSER_SDK_STAMP := tests/e2e/browser_sdk/node_modules/.stamp-$(shell sha1sum tests/e2e/browser_sdk/package-lock.json | cut -c1-12)

$(BROWSER_SDK_STAMP): tests/e2e/browser_sdk/package-lock.json
	@command -v npm >/dev/null || { echo "error: the browser SDK test needs Node.js 20+ and npm" >&2; exit 1; }
	@echo "installing Segment's browser SDK for the browser test"
	@cd tests/e2e/browser_sdk && npm ci --no-audit --no-fund --loglevel=error
	@rm -f tests/e2e/browser_sdk/node_modules/.stamp-* && touch $@

browser-sdk: $(BROWSER_SDK_STAMP) ## install Segment's browser SDK (analytics-next) for the browser retry test

dashboard: $(DASHBOARD_STAMP) ## build the dashboard into dashboard/dist (`make up` serves it at /)
	@cd dashboard && npm run --silent build

dashboard-test: $(DASHBOARD_STAMP) ## the dashboard's type check and Vitest unit tests
	cd dashboard && npm run --silent typecheck && npm test --silent

browser: ## install Debian's Chromium for the end-to-end browser test (Playwright drives it)
	@infra/local/packages.sh install test

deploy-dashboard: dashboard ## upload dashboard/dist to the stack's bucket (after sam deploy; STACK_NAME=...)
	@bucket=$$(aws cloudformation describe-stacks --stack-name "$${STACK_NAME:?set STACK_NAME}" \
	  --query "Stacks[0].Outputs[?OutputKey=='DashboardBucketName'].OutputValue" --output text) && \
	dist=$$(aws cloudformation describe-stacks --stack-name "$$STACK_NAME" \
	  --query "Stacks[0].Outputs[?OutputKey=='DashboardDistributionId'].OutputValue" --output text) && \
	aws s3 sync dashboard/dist/assets "s3://$$bucket/assets" --cache-control "public, max-age=31536000, immutable" && \
	aws s3 sync dashboard/dist "s3://$$bucket" --exclude "assets/*" --cache-control "no-cache" --delete && \
	aws cloudfront create-invalidation --distribution-id "$$dist" --paths /index.html >/dev/null && \
	echo "uploaded; the dashboard is at the stack's DashboardUrl output"

tools: $(DEPS_STAMP) $(SAM_STAMP) $(COMPOSE_BIN) ## install the deployment tools (SAM CLI, cfn-lint, docker compose)

services: setup ## start Kafka, Postgres, Redis and the AWS endpoint natively (idempotent)
	@$(STACK) up postgres redis kafka aws

up: ## run the platform locally (backing services in docker-compose if a Docker engine answers, else natively)
ifeq ($(DOCKER_ENGINE),yes)
	docker compose --profile $(COMPOSE_PROFILE) up -d --wait
	@$(MAKE) --no-print-directory $(DEPS_STAMP) migrate
else
	@$(MAKE) --no-print-directory services migrate
endif
	@$(MAKE) --no-print-directory dashboard
	@$(STACK) up api esm scheduler
	@echo; $(STACK) status $(if $(DOCKER_ENGINE),api esm scheduler,)
	@port=$$($(API_PORT_CMD)) && key=$$(customersignal demo --quiet) && echo && \
	  echo "Demo tenant 'demo', project 'default'. A fresh ingest key (shown once): $$key" && \
	  echo "Try: curl -s http://127.0.0.1:$$port/v1/events -H \"Authorization: Bearer $$key\" \\" && \
	  echo "       -H 'Content-Type: application/json' -d '{\"event_id\": \"'$$(cat /proc/sys/kernel/random/uuid)'\", \"event_type\": \"signup\", \"user_id\": \"u1\"}'"
	@port=$$($(API_PORT_CMD)) && key=$$(customersignal demo --quiet --scopes read,admin) && echo && \
	  echo "Dashboard: http://127.0.0.1:$$port/  sign in with this read+admin key (shown once): $$key"
	@echo; echo "CustomerSignal is up. 'make status' checks it, 'make down' stops it."

down: ## stop what `make up` started (only our own processes)
ifeq ($(DOCKER_ENGINE),yes)
	@$(STACK) down scheduler esm api
	docker compose --profile localstack --profile moto down
else
	@$(STACK) down
endif

status: ## show each service, healthy or not, and why
ifeq ($(DOCKER_ENGINE),yes)
	docker compose --profile $(COMPOSE_PROFILE) ps
else
	@$(STACK) status
endif

migrate: $(DEPS_STAMP) ## upgrade the database schema to the latest migration
	@alembic -c migrations/alembic.ini upgrade head

lint: test-packages $(DEPS_STAMP) ## ruff lint and format check, shellcheck on the stack scripts
	ruff check .
	ruff format --check .
	shellcheck -x -S warning infra/local/*.sh .ci/run

format: $(DEPS_STAMP) ## apply ruff's formatting and safe fixes
	ruff check --fix .
	ruff format .

typecheck: $(DEPS_STAMP) ## mypy, strict
	mypy

unit: $(DEPS_STAMP) ## unit tests only (no services)
	pytest -m unit

integration: services tools ## integration tests against the real local services
	pytest -m integration

test: test-packages services tools lint typecheck dashboard dashboard-test browser browser-sdk ## everything CI runs: lint, types, unit, integration and browser tests
	pytest

fuzz: services migrate ## the API fuzzed against its OpenAPI document: 150 cases per operation (over 10,000 requests)
	CS_FUZZ_EXAMPLES=150 CS_FUZZ_MIN_REQUESTS=10000 $(PY) -m pytest tests/integration/test_api_fuzz.py -q -s

# The security suite (docs/testing.md, "Security suite"): the test_security_* files, the tenant-isolation matrix, and the
# existing tests that prove the rest of a claim (RLS, revocation, the URL policy, the limiter, the receiver).
SECURITY_TESTS := tests/integration/test_security_*.py tests/integration/test_tenant_isolation_matrix.py \
  tests/integration/test_pg_tenant.py tests/contract/test_rate_limiter_contract.py tests/unit/test_webhook_urls.py \
  tests/unit/test_explorer_filters.py tests/unit/test_sns_receiver.py \
  tests/integration/test_api_ingest.py::test_a_key_cannot_write_as_another_tenant \
  tests/integration/test_api_ingest.py::test_over_the_project_rate_answers_429_with_retry_after_and_ratelimit_headers \
  tests/integration/test_dashboard_api.py::test_a_tenant_never_sees_another_tenants_data \
  tests/integration/test_dashboard_api.py::test_keys_are_created_once_shown_and_revoked_at_once

security: services migrate ## the security suite: scopes, keys never in plain text, webhook SSRF, injection, rate limits, isolation
	$(PY) -m pytest $(SECURITY_TESTS) -q

bench: services migrate ## run every benchmark; bench/results.md sums them up, each figure beside its same-run baseline
	@infra/local/packages.sh install run bench
	$(PY) bench/ingest_bench.py
	$(PY) bench/aggregator_bench.py
	$(PY) bench/freshness_bench.py
	$(PY) bench/dashboard_bench.py
	$(PY) bench/alerts_bench.py
	$(PY) bench/cost_bench.py
	$(PY) bench/report.py

chaos: $(DEPS_STAMP) ## faults under load on a stack of its own: 20 aggregator SIGKILLs, broker and Postgres restarts, Redis flush, poison; lost and double-counted must be 0
	$(PY) -m tests.chaos.run --profile full

soak: $(DEPS_STAMP) ## 10 minutes at 300 events/s on a stack of its own: memory of every process stays flat, lag returns to 0
	$(PY) -m tests.chaos.soak --minutes 10

wipe: down ## stop the services and delete their data (keeps the caches)
	rm -rf "$${CS_STATE_DIR:-.state}"
