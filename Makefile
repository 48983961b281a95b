# One command each: `make demo` runs the main job on the embedded default, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# The venv remembers the interpreter it was built with: another one (a Python upgrade, PYTHON=python3.13)
# rebuilds it instead of keeping a half-built or mismatched venv.
PY_VERSION := $(shell $(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null)
INTERPRETER := $(VENV)/.python-$(PY_VERSION)

OUT ?= out/

.PHONY: demo test test-fast lint bench services clean lock

$(INTERPRETER):
	@test -n "$(PY_VERSION)" || { echo "make: $(PYTHON) not found; install Python 3.11-3.13 or set PYTHON=" >&2; exit 1; }
	@if [ -d $(VENV) ] && [ "$$($(BIN)/python -c 'import platform; print(platform.python_version())' 2>/dev/null)" != "$(PY_VERSION)" ]; then \
		echo "$(VENV) was built with another Python; rebuilding it with $(PY_VERSION)"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	rm -f $(VENV)/.python-* $(STAMP) $(TEST_STAMP)
	touch $@

# What running needs; the demo installs nothing more.
$(STAMP): pyproject.toml $(INTERPRETER)
	$(BIN)/pip install --quiet -e .
	touch $@

# The test tools on top.
$(TEST_STAMP): pyproject.toml $(INTERPRETER)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $@

# Always the offline template writer, whatever OPENAI_API_KEY or LLM_PROVIDER the shell has: no account, no cost.
demo: $(STAMP)
	@echo "demo: the offline template writer (no account, no service, no cost)"
	env -u OPENAI_API_KEY LLM_PROVIDER=template $(BIN)/ticketbot generate examples/acme/*.csv --site "Acme Outdoors" \
		--description "An outdoor-gear retailer's editorial site: trail guides, gear reviews and events." \
		--out $(OUT)

services:
	@bash scripts/ensure-services

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(TEST_STAMP) services lint
	$(BIN)/pytest

# The pure tier only (no database, Redis or process): a minute of feedback while working.
test-fast: $(TEST_STAMP)
	$(BIN)/pytest -m unit -q

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

# requirements.lock: what the Docker image installs, every file pinned by hash (pip-tools in a venv of its own).
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --all-build-deps \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .lock-venv out .pytest_cache .mypy_cache .ruff_cache
