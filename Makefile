# The README's two commands: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RMA := $(BIN)/rma
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup migrate deploy lint typecheck bench clean translations

run: setup
	$(RMA) demo --host $(HOST) --port $(PORT)

# Test processes (pytest-xdist): each has its own databases, ports and browser; a file's tests stay
# together in one of them. TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

test: setup migrate deploy lint typecheck
	$(PYTEST)
	# the restore path once more, with no live workflows kept (engine work: SQLite is enough)
	$(PYTEST) --workflow-cache=0 -k "not postgresql" tests/service tests/scenario

TRANSLATIONS := src/rma_orchestrator/web/translations
CATALOGUES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)

setup: $(VENV)/.installed node_modules/.installed build/modeler/.built $(CATALOGUES:.po=.mo)

# The page texts in Chinese: compiled from the committed .po files
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -f -d $(TRANSLATIONS) -l $*

# After changing page texts: refresh the catalogue, then translate the new entries in the .po
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -o $(TRANSLATIONS)/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The analysts' modeler: our entry modules (web/static/modeler/) bundled with bpmn-js, dmn-js and the
# properties panel from node_modules by esbuild (package.json's "build"); served from build/modeler/
MODELER_SOURCES := $(wildcard src/rma_orchestrator/web/static/modeler/*)

build/modeler/.built: node_modules/.installed $(MODELER_SOURCES)
	rm -rf build/modeler
	npm run --silent build
	touch $@

migrate: setup
	$(RMA) db upgrade

deploy: migrate
	$(RMA) deploy

lint: setup
	$(BIN)/ruff check src tests bench

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/pages.py --postgres

clean:
	rm -rf $(VENV) var node_modules build .pytest_cache
