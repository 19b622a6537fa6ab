# Quartiers Collaboratifs — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
PIP_QUIET := --quiet --disable-pip-version-check
# Serving needs the application's dependencies; the tests add their tools (Playwright, mypy…).
RUN_STAMP := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp

.PHONY: run test check install install-test lock upgrade-check mutate mutation-score clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_QUIET) -c $(LOCK) -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_QUIET) -c $(LOCK) -e '.[test]'
	touch $(RUN_STAMP) $(TEST_STAMP)

LEAFLET := webui/static/vendor/leaflet/leaflet.js
AXE := tests/browser/vendor/axe-core/axe.min.js

install: $(RUN_STAMP) $(LEAFLET)
install-test: $(TEST_STAMP) $(LEAFLET) $(AXE)

# The map's Leaflet, from the npm registry, checked against its published checksum.
# Optional for serving: the map page works without it, so a failed download does not stop
# `make run`. CI asks for it strictly (QUARTIERS_TEST_REQUIRE names it).
$(LEAFLET): | $(RUN_STAMP)
	-$(BIN)/python scripts/fetch_leaflet.py

# axe-core for the browser tests' accessibility run, from the npm registry, checked against its
# published checksum; never committed. Without it that run skips; CI asks for it strictly.
$(AXE): | $(RUN_STAMP)
	-$(BIN)/python scripts/fetch_axe.py

config.toml: | $(RUN_STAMP)
	$(BIN)/quartiers init --domain 127.0.0.1:8000

## Serve a working instance with the demo neighbourhood at http://127.0.0.1:8000
run: install config.toml
	$(BIN)/quartiers migrate
	$(BIN)/quartiers demo --if-empty
	$(BIN)/quartiers serve

## Lint, type-check and run the whole test suite
# The suite runs in TEST_WORKERS processes (pytest-xdist), one test module per process at a time
# so a module's live instances start once; most tests wait on servers and browsers, so four
# processes share two cores well. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 4
# The parts the tests need are fetched first: with QUARTIERS_TEST_REQUIRE set, `check` asks for them.
test: $(LEAFLET) $(AXE) check
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=20

check: $(TEST_STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q tests/test_layers.py tests/storage/test_migration_imports.py

## Mutation testing of the federation boundary (federation/, inbox/, remote actors, secure mode)
## against the tests that exercise it, on SQLite; MUTANTS narrows it: make mutate MUTANTS='inbox.receive*'
# Run it alone on the machine: mutmut's wall-clock timeouts signal (SIGXCPU) the process id a
# finished mutant had, and a test process started meanwhile may have been given that id.
MUTANTS ?=
MUTATE_JOBS ?= 2
mutate: $(TEST_STAMP)
	@# mutmut runs the tests from mutants/, where ../shared is one level further up
	@test -e shared || ! test -d ../shared || ln -s ../shared shared
	@# the verdicts of earlier runs (mutation/verdicts.json) first; what this one decides is
	@# saved after it, also when mutmut stops early (after a Ctrl-C: scripts/mutation_verdicts.py save)
	$(BIN)/python scripts/mutation_verdicts.py restore
	env -u QUARTIERS_TEST_DATABASE_URL $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS); \
	  status=$$?; $(BIN)/python scripts/mutation_verdicts.py save; exit $$status
	$(BIN)/python scripts/mutation_score.py

## The score per module of the last `make mutate`
mutation-score:
	$(BIN)/python scripts/mutation_score.py

## Write requirements/lock.txt anew from the newest releases that pyproject.toml allows
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install $(PIP_QUIET) '.[test]'
	{ sed -n '1,3p' $(LOCK); .venv-lock/bin/python -m pip freeze --exclude-editable \
	  | grep -v -i '^quartiers-collaboratifs'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .venv-lock

## Run the checks and the whole suite against the newest releases, without the lock
upgrade-check:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install $(PIP_QUIET) --upgrade pip
	.venv-latest/bin/python -m pip install $(PIP_QUIET) -e '.[test]'
	.venv-latest/bin/python -m pip freeze --exclude-editable | diff $(LOCK) - | grep '^[<>] [A-Za-z]' || true
	.venv-latest/bin/ruff format --check .
	.venv-latest/bin/ruff check .
	.venv-latest/bin/mypy
	.venv-latest/bin/pytest

clean:
	rm -rf $(VENV) .venv-latest .venv-lock data config.toml artifacts mutants
