# The two commands of the README:
#   make demo  - set up, then run the Drenthe batch export offline on ../shared/data
#   make test  - set up, then run the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= maps
CONFIG ?= data/drenthe.toml
WORKERS ?= 2

.PHONY: demo test setup assets lint bench clean

demo: setup
	$(BIN)/bereikbaar export --config $(CONFIG) --all --out $(OUT) --workers $(WORKERS)

test: setup
	$(BIN)/python -m pytest -n $(WORKERS) --durations=15

setup: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# Leaflet and plugins for offline maps, fetched once from the npm registry (pinned versions).
assets: $(VENV)/.installed
	$(BIN)/python scripts/fetch_map_assets.py

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: setup
	$(BIN)/python benchmarks/network.py
	$(BIN)/python benchmarks/hartveilig.py
	$(BIN)/python benchmarks/dorpshub.py
	$(BIN)/python benchmarks/export.py

clean:
	rm -rf $(VENV) vendor maps/*/ maps/index.html .pytest_cache
