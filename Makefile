# The two commands of the README:
#   make demo  - set up, then run the Drenthe batch export offline on ../shared/data
#   make test  - set up, then run the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= maps
CONFIG ?= data/drenthe.toml
WORKERS ?= 2

.PHONY: demo test setup assets reference lint bench clean

demo: setup
	$(BIN)/bereikbaar export --config $(CONFIG) --all --out $(OUT) --workers $(WORKERS)

# Lint first: ruff's C901 keeps every function at complexity <= 15 (tests/test_code_shape.py
# keeps them at <= 100 lines, docstring included), and the format is checked, as ../shared/STYLE.md asks.
test: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -n $(WORKERS) --durations=15

setup: $(VENV)/.installed assets reference

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# Leaflet and plugins for offline maps, fetched once from the npm registry (pinned versions).
assets: $(VENV)/.installed
	$(BIN)/python scripts/fetch_map_assets.py

# The reference evaluator (opening_hours.js, pinned in tests/reference/package-lock.json)
# for the opening-hours differential test. Offline, a failed install only makes that test
# skip; in CI (CI=true) it fails the build.
REFERENCE := tests/reference/node_modules/opening_hours/package.json
reference: $(REFERENCE)

$(REFERENCE): tests/reference/package-lock.json
	@cd tests/reference && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 \
		|| { echo "npm ci in tests/reference failed: the opening-hours reference tests skip (CI=true: error)"; \
		     [ "$$CI" != "true" ]; }

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: setup
	$(BIN)/python benchmarks/network.py
	$(BIN)/python benchmarks/hartveilig.py
	$(BIN)/python benchmarks/dorpshub.py
	$(BIN)/python benchmarks/export.py

clean:
	rm -rf $(VENV) vendor maps/*/ maps/index.html .pytest_cache tests/reference/node_modules
