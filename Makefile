# Two entry points for a fresh machine: `make demo` and `make test` (see README.md).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test system lint bench clean

# The console with its embedded AWS endpoint and this machine as every host.
demo: $(VENV)/.demo-installed
	$(BIN)/awsconsole --demo

# Everything the tests need (Debian packages when missing, the venv with all extras), then all tests.
test: system $(VENV)/.dev-installed
	$(BIN)/pytest

system:
	scripts/install-system-packages.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,train]'
	touch $@ $(VENV)/.demo-installed

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check console trainer tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache
