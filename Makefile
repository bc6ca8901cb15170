# Two entry points for a fresh machine: `make demo` and `make test` (see README.md).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test test-fast system lint bench clean

# The console with its embedded AWS endpoint and this machine as every host.
demo: $(VENV)/.demo-installed
	$(BIN)/awsconsole --demo

# Parallel test processes (pytest-xdist). Most tests wait on real servers (sshd, tmux, moto,
# s3fs, subprocesses), so more processes than cores pay; each process starts its own servers.
TEST_WORKERS ?= 4
# The fast loop is CPU-bound: one process per core.
FAST_WORKERS ?= 2

# Everything the tests need (Debian packages when missing, the venv with all extras), then all
# tests. loadgroup: tests sharing an expensive set-up (an xdist_group mark) stay in one process.
test: system $(VENV)/.dev-installed
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

# The inner loop: tests/unit and the tests marked fast (no real AWS endpoint, tmux or sshd).
test-fast: $(VENV)/.dev-installed
	$(BIN)/pytest -n $(FAST_WORKERS) -m fast tests/unit tests/ui

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
