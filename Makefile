# One command each: `make demo` runs the main job on the embedded default, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench services clean lock

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ticketbot generate examples/acme/*.csv --site "Acme Outdoors" \
		--description "An outdoor-gear retailer's editorial site: trail guides, gear reviews and events." \
		--out out/

services:
	@bash scripts/ensure-services

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) services lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# requirements.lock: what the Docker image installs, every file pinned by hash (pip-tools in a venv of its own).
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --all-build-deps \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .lock-venv out .pytest_cache .mypy_cache .ruff_cache
