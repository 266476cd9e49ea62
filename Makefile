# The two set-up commands of the README: `make run` and `make test`. Both create the virtual environment
# from pyproject.toml on first use, so a fresh machine needs nothing but python3 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BASE := $(VENV)/.installed-base
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint install

# The product without its local model: what the page needs to answer (with the extractive generator).
$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e .
	touch $(BASE)

# llama.cpp is compiled for AVX2, not for this CPU: a native build uses AMX where the CPU lists it, and on
# virtual machines that list AMX without enabling it the model crashes (segmentation fault) on its first token.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

# Everything: the local model (llama.cpp is compiled: about 4-9 minutes the first time) and the test tools.
# Only the extras' packages: the installed product is left alone, so a server running meanwhile is not disturbed.
$(STAMP): $(BASE)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/uv pip install --python $(BIN)/python --quiet -r pyproject.toml \
		--extra local --extra dev
	touch $(STAMP)

install: $(STAMP)

# Serves as soon as the index is built; the local model is installed in the background (log in
# data/local-model.log) and the server switches to it by itself when it is ready.
run: $(BASE)
	$(BIN)/rag prepare-local -- $(MAKE) --no-print-directory install
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
