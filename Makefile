# Data Architecture Brain. `make run` and `make test` are the two commands a new user needs.
.PHONY: help install run test test-sqlite test-docker lint format migrations-check sample-artifacts \
        up up-dev down logs migrate shell clean backup restore

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8001
HOST ?= 0.0.0.0
COMPOSE := docker compose -f docker/docker-compose.yml
PYTEST_ARGS ?=

help:
	@echo "Local (no Docker needed):"
	@echo "  make install          - build .venv with everything (runtime, tests, lint)"
	@echo "  make run              - install, migrate, create a local admin, ingest the sample, serve on :$(PORT)"
	@echo "  make test             - install and run the whole test suite (PostgreSQL if reachable, else SQLite)"
	@echo "  make test-sqlite      - the suite on SQLite"
	@echo "  make lint             - ruff check"
	@echo "  make migrations-check - fail if models and migrations disagree"
	@echo "  make sample-artifacts - rebuild examples/acme_shop/target with the real dbt"
	@echo "  make backup / restore FILE=... - pg_dump / pg_restore (docker compose, or DATABASE_URL directly)"
	@echo "Docker (the seed's targets):"
	@echo "  make up        - Start all services"
	@echo "  make up-dev    - Start with the development override (auto-reload)"
	@echo "  make down      - Stop all services"
	@echo "  make logs      - View logs"
	@echo "  make test-docker - Run the tests in containers"
	@echo "  make migrate   - Run database migrations (in the dab-api container)"
	@echo "  make shell     - Open shell in API container"
	@echo "  make clean     - Stop and remove containers and volumes"

# -- local -------------------------------------------------------------------------------------------

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3)."; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || scripts/os_packages.sh venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=70.1" wheel
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

.env:
	$(BIN)/python scripts/make_env.py .env

run: install .env
	$(BIN)/dab migrate --no-input
	$(BIN)/dab setup-local --url http://localhost:$(PORT)
	$(BIN)/dab serve --host $(HOST) --port $(PORT)

test: install
	@scripts/os_packages.sh chromium || true
	@scripts/test_tools.sh >/dev/null || true
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

test-sqlite: install
	DAB_TEST_DATABASE=sqlite $(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .

migrations-check: install
	ENVIRONMENT=development DAB_ENV_FILE=/dev/null $(BIN)/python manage.py makemigrations --check --dry-run

sample-artifacts:
	scripts/build_sample.sh

backup:
	scripts/backup.sh backup $(FILE)

restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backup_YYYYmmdd_HHMMSS.dump"; exit 1; }
	scripts/backup.sh restore $(FILE)

# -- Docker (the seed's targets; migrations use manage.py where the seed used alembic) ----------------

up:
	$(COMPOSE) up -d

up-dev:
	$(COMPOSE) -f docker/docker-compose.dev.yml up -d

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f

test-docker:
	docker compose -f docker/docker-compose.test.yml run --rm test-runner

migrate:
	$(COMPOSE) exec dab-api python manage.py migrate --no-input

shell:
	$(COMPOSE) exec dab-api /bin/bash

clean:
	$(COMPOSE) down -v --remove-orphans
