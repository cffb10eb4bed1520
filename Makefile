# 党建电子地图 — two commands: `make run` serves at http://127.0.0.1:$(PORT), `make test` runs the suite.
PORT ?= 5000
SCALE ?= city
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup system venv db run test bench lint clean-db

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

run: setup
	$(BIN)/mapsvc serve --port $(PORT)

test: setup
	@scripts/system-packages.sh --test
	$(BIN)/pytest

bench: setup
	@scripts/system-packages.sh --bench
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

lint: venv
	$(BIN)/ruff check .

## stop the private cluster and delete it (data included)
clean-db: venv
	$(BIN)/python -c "from mapsvc.dev import cluster; cluster.destroy()"
