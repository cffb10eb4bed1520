# 党建电子地图 — two commands: `make run` serves at http://127.0.0.1:$(PORT), `make test` runs the suite
# (`make test-fast`: all but the browser and slow tests; `make lint`: ruff and ESLint).
PORT ?= 5000
SCALE ?= city
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system venv db run test test-fast bench lint clean-db

## everything but serving: system packages, .venv, the database with the demo city
setup: system venv db

system:
	@scripts/system-packages.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

db: venv
	@$(BIN)/mapsvc db up >/dev/null
	@$(BIN)/mapsvc db migrate
	@$(BIN)/mapsvc demo load --scale $(SCALE) --if-empty

## gunicorn, min(2 x cores + 1, 8) workers x 4 threads (WORKERS=, THREADS= to change);
## `kill -HUP` its master reloads the code gracefully; `.venv/bin/mapsvc serve --dev` is Flask's server
run: setup
	$(BIN)/mapsvc serve --port $(PORT)

test: setup
	@scripts/system-packages.sh --test
	$(BIN)/pytest

## the quick loop: no browser (tests/pages), nothing slow (tests/fuzz, tests/durability, big loads)
test-fast: setup
	@scripts/system-packages.sh --test
	$(BIN)/pytest -m "not browser and not slow"

bench: setup
	@scripts/system-packages.sh --bench
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

## ruff for Python, ESLint (pinned in package-lock.json) for web/static/js
lint: venv node_modules/.package-lock.json
	$(BIN)/ruff check .
	npx --no-install eslint web/static/js eslint.config.js

# npm ci rewrites node_modules (and this file) whenever the lock file is newer
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make lint needs Node.js 18+ and npm (Debian: nodejs npm)" >&2; exit 1; }
	npm ci --silent --no-audit --no-fund

## stop the private cluster and delete it (data included)
clean-db: venv
	$(BIN)/python -c "from mapsvc.dev import cluster; cluster.destroy()"
