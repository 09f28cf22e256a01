# `make demo` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install clean

$(BIN)/listener: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/listener

install: $(BIN)/listener

demo: install
	$(BIN)/listener demo --db demo.db

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) demo.db demo.db-* demo.db.fake-platform.json
