# Two commands on a fresh machine: `make run` and `make test`. Both install what is missing.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP:= $(VENV)/.installed-dev
PIP     := $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt
export MLFLOW_DISABLE_TELEMETRY := true
# pytest-xdist workers for `make test`: three on the 2-core machines. Two left a fifth of the
# cores' time idle while tests waited (171 of 887 core-seconds); three took 0.89x the time with
# 42 idle (bench/suite_cpu.py, one run after the other); four took 1.16x three's (more pages
# ticking at once for the same work). --dist loadfile: a module's tests run
# on one worker, in order, and its module fixtures are built once.
# --no-loadscope-reorder: modules are handed out in collection order, which tests/conftest.py
# sorts browser and slow modules first (xdist's default, most tests first, left them for last).
WORKERS ?= 3

.PHONY: install install-dev run test test-fast lint format bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): requirements.txt constraints.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.txt requirements-scale.txt
	$(PIP) -r requirements-dev.txt -r requirements-scale.txt
	touch $@

install: $(STAMP)

install-dev: $(DEVSTAMP)
	@{ command -v chromium && command -v chromium-headless-shell; } >/dev/null || { \
	  echo "Installing Debian's chromium (the browser tests use its headless shell)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-headless-shell; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql for the storage tests (each test run starts its own)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql; }

run: install        # waitress, one process (app.py serve)
	$(BIN)/python app.py

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: install-dev   # the quick loop while coding: no browser, no slow tests
	$(BIN)/python -m pytest -q -n $(WORKERS) -m 'not browser and not slow'

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# scale and soak drive chromium (a dev tool). suite_cpu wraps a command of its own
# (bench/suite_cpu.py -- make test), cpu_by_test is a pytest plugin (see its docstring);
# harness is the library the others share.
bench: install-dev
	for f in bench/*.py; do case $$f in *suite_cpu.py|*cpu_by_test.py|*harness.py) continue;; esac; \
	  $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
