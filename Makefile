# `make demo` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install chromium clean

$(BIN)/listener: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/listener

install: $(BIN)/listener

demo: install
	$(BIN)/listener demo --db demo.db

# The browser tests use Debian's chromium (never a downloaded browser); install it when we can.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; \
	  else echo "chromium not found: run 'sudo apt-get install chromium' or the browser tests are skipped"; fi; }

test: install chromium
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) demo.db demo.db-* demo.db.fake-platform.json demo.db.bluesky-session
