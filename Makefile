# Common Knowledge — the README's commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install serve build test bench load clean browser

# torch 2.13.0 first: it is the local CPU build; letting sentence-transformers pick torch pulls a CUDA build.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

build: install
	$(BIN)/ckg build

serve: build
	$(BIN)/ckg serve --host $(HOST) --port $(PORT)

# Debian's chromium drives the browser tests (never a Playwright browser download).
browser:
	@bash scripts/ensure-chromium

# Tests run on every core (at most 4 workers; tests/conftest.py embeds the test corpora once first).
test: install browser
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist worksteal

bench: install
	$(BIN)/python -m benchmarks

# 50 clients for 60 s against `ckg serve` over build/ (benchmarks/README.md, "Load")
load: build
	$(BIN)/python -m benchmarks.load --build build --out benchmarks/load-results.json

clean:
	rm -rf build $(VENV) .pytest_cache
