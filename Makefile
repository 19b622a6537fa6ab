# Quartiers Collaboratifs — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

LEAFLET := webui/static/vendor/leaflet/leaflet.js

install: $(STAMP) $(LEAFLET)

# The map's Leaflet, from the npm registry, checked against its published checksum.
# Optional: the map page works without it, so a failed download does not stop anything.
$(LEAFLET): | $(STAMP)
	-$(BIN)/python scripts/fetch_leaflet.py

config.toml: | $(STAMP)
	$(BIN)/quartiers init --domain 127.0.0.1:8000

## Serve a working instance with the demo neighbourhood at http://127.0.0.1:8000
run: install config.toml
	$(BIN)/quartiers migrate
	$(BIN)/quartiers demo --if-empty
	$(BIN)/quartiers serve

## Lint, type-check and run the whole test suite
test: check $(LEAFLET)
	$(BIN)/pytest

check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data config.toml artifacts
