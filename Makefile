# Set-up and everyday commands. `make demo` and `make test` each create .venv on first use.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is pinned here (not in pyproject) to the CPU build this workplace keeps on disk; any torch >= 2.1 works.
TORCH ?= torch==2.13.0

.PHONY: install demo ui gallery test test-all bench clean

$(BIN)/paintseg: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[dev,diffusion,ui,cluster]"
	@touch $@

install: $(BIN)/paintseg

## Decompose the example scene shipped in examples/ into layers; results (and contact_sheet.png) in out/demo/
demo: install
	@mkdir -p out
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BIN)/paintseg decompose examples/shapes.png $$(cat examples/shapes.prompts) -o out/demo
	@echo "open out/demo/contact_sheet.png (input, each layer, background plate, occlusion graph)"

## The editor in the browser on the example scene (prints its URL: http://127.0.0.1:7860/)
ui: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BIN)/paintseg ui examples/shapes.png --workspace out/ui-workspace

## Regenerate every README picture into docs/gallery/ from the recipes
gallery: install
	$(BIN)/python recipes/make_gallery.py

## The test suite (what CI runs): lint (ruff), the import-layer contracts (import-linter), then pytest
test: install
	$(BIN)/ruff check paintseg_layers tests recipes benchmarks
	$(BIN)/lint-imports
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

## Including the slow end-to-end checks
test-all: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m "slow or not slow"

## GrabCut box benchmark (needs ../shared/data/grabcut)
bench: install
	$(BIN)/paintseg eval ../shared/data/grabcut --prompt box

clean:
	rm -rf out .pytest_cache
