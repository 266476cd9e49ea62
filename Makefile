# The two set-up commands of the README: `make run` and `make test`. Both create the virtual environment
# from pyproject.toml on first use, so a fresh machine needs nothing but python3 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[local,dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/rag ingest
	$(BIN)/rag serve

# The browser test drives Debian's Chromium (a test tool's own browser download is blocked here). Needs root;
# where apt-get cannot run, the browser test is skipped outside CI.
$(CHROMIUM):
	-apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
