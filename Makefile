# Two commands on a fresh machine: `make run` and `make test`. Both install what is missing.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP:= $(VENV)/.installed-dev
PIP     := $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: install install-dev run test lint format bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): requirements.txt constraints.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

install: $(STAMP)

install-dev: $(DEVSTAMP)
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

run: install        # waitress, one process (app.py serve)
	$(BIN)/python app.py

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: install-dev   # scale and soak drive chromium (a dev tool)
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
