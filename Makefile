# dlgn_nb: every target sets up what it needs first (.venv with torch==2.13.0 and the package).
# `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# the install is redone when pyproject.toml's content changes (not its timestamp: nbdev rewrites the file)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
PROFILE ?= quick
EXECUTOR ?= local
WORKERS ?= $(shell nproc 2>/dev/null || echo 1)
SCHEDULER ?=
TIMEOUT ?= 36000
PAPER_NBS := $(sort $(wildcard nbs/paper/*.ipynb))
export MPLBACKEND := Agg

.PHONY: help install install-cuda test figures data check bench gpu-check gpu-wheels clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) ## create .venv: torch==2.13.0 (CPU wheel), then the package with its dev tools

install-cuda: $(STAMP) ## add pycuda (the GPU kernels' extra): needs the CUDA toolkit (cuda.h) and a driver
	$(BIN)/pip install -e '.[cuda]'

test: $(STAMP) ## the test suite: every notebook, the library, the paper notebooks in the smoke profile
	$(BIN)/python -m pytest -q

figures: $(STAMP) ## every paper figure and table into paper_figures/ (PROFILE=quick|paper|smoke EXECUTOR=local|dask WORKERS=n SCHEDULER=addr)
	@mkdir -p paper_figures/_executed
	@set -e; for nb in $(PAPER_NBS); do \
	  name=$$(basename $$nb .ipynb); echo "== $$name ($(PROFILE))"; start=$$(date +%s); \
	  $(BIN)/papermill $$nb paper_figures/_executed/$$name.ipynb -k python3 --cwd nbs/paper --no-progress-bar \
	    --log-level WARNING --execution-timeout $(TIMEOUT) -p profile $(PROFILE) -p executor $(EXECUTOR) \
	    -p workers $(WORKERS) $(if $(SCHEDULER),-p scheduler $(SCHEDULER)); \
	  echo "   done in $$(( $$(date +%s) - start )) s"; \
	done

data: $(STAMP) ## download every public dataset (verified, resumable) into data_dir; ImageNet-32 needs an account (see `dlgn data list`)
	$(BIN)/dlgn data fetch all
	$(BIN)/dlgn data list

check: $(STAMP) ## fail if nbdev-export or nbdev-clean would change any file (notebooks and library in sync)
	$(BIN)/python tests/check_sync.py

bench: $(STAMP) ## side-by-side benchmarks on this CPU: training (fused layer vs 16-gate reference), discrete inference
	$(BIN)/python tests/bench_training.py
	$(BIN)/python tests/bench_inference.py
	$(BIN)/python tests/bench_data.py

GPU_PYTHON ?= python3
GPU_SITE ?= /tmp/dlgn-site
gpu-check: ## on a GPU machine: every kernel against the CPU reference, then timings (pycuda from .whl/ if absent)
	@export PYTHONPATH=.:$(GPU_SITE); $(GPU_PYTHON) -c 'import pycuda' 2>/dev/null || { \
	  test -n "$$(ls .whl/pycuda-*.whl 2>/dev/null)" || { echo "pycuda is not installed and .whl/ holds no wheel: run 'make gpu-wheels' where there is internet"; exit 1; }; \
	  $(GPU_PYTHON) -m pip install -q --no-index --no-deps --target $(GPU_SITE) .whl/*.whl; }; \
	$(GPU_PYTHON) tests/gpu_check.py $(GPU_CHECK_ARGS)

gpu-wheels: ## build pycuda and its dependencies as wheels into .whl/ for a GPU machine without internet (GPU_PYTHON=python3.12)
	tests/build_pycuda_wheels.sh $(GPU_PYTHON) .whl

clean: ## remove executed notebooks, smoke outputs and caches (keeps .venv, results/ and the committed figures)
	rm -rf paper_figures/_executed _smoke .pytest_cache _proc _docs
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## also remove .venv and results/ (the next `make figures` retrains everything)
	rm -rf $(VENV) results
