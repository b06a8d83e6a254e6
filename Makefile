# erpsync — everything a fresh machine needs is set up by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# trytond and its modules, for the Tryton connector's tests: a venv of their own (their pins are not ours).
TRYTON_VENV  := .venv-tryton
TRYTON_STAMP := $(TRYTON_VENV)/.installed
TRYTON_REQS  := tests/connectors/tryton/requirements.txt
export ERPSYNC_DATA_DIR ?= $(CURDIR)/var

.PHONY: run run-connector test lint typecheck unit bench clean venv tryton-env browser catalogues

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

tryton-env: $(TRYTON_STAMP)

$(TRYTON_STAMP): $(TRYTON_REQS)
	test -x $(TRYTON_VENV)/bin/python || $(PYTHON) -m venv $(TRYTON_VENV)
	$(TRYTON_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TRYTON_VENV)/bin/python -m pip install --quiet -r $(TRYTON_REQS)
	touch $(TRYTON_STAMP)

# The translations, compiled from locale/<language>/LC_MESSAGES/*.po (quick; always redone).
catalogues: venv
	$(BIN)/python -m erpsync.i18n

run: venv catalogues
	$(BIN)/erpsync serve --host 127.0.0.1 --port 8000

run-connector: venv
	$(BIN)/erpsync connector serve --host 127.0.0.1 --port 8100

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

# The browser tests drive Debian's Chromium through Playwright (no browser download).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser: $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) apt-get install -y --no-install-recommends chromium || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

unit: venv catalogues tryton-env browser
	$(BIN)/pytest -q

test: lint typecheck unit

bench: venv tryton-env
	$(BIN)/python bench/protocol_throughput.py
	$(BIN)/python bench/engine_cycle.py
	$(BIN)/python bench/import_throughput.py
	$(BIN)/python bench/tryton_import.py

clean:
	rm -rf $(VENV) $(TRYTON_VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
