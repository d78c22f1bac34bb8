# dlgn_nb: every target sets up what it needs first (.venv with torch and the package).
# `make help` lists the targets.
SHELL := /bin/bash
.DELETE_ON_ERROR:
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The torch wheel: 2.13.0, the CPU build. On a machine whose pip would fetch the multi-GB CUDA build for a plain
# `pip install torch==2.13.0`, point TORCH_INDEX at PyTorch's CPU wheels: make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
# the install is redone when pyproject.toml's content changes (not its timestamp: nbdev rewrites the file)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
PROFILE ?= quick
EXECUTOR ?= local
WORKERS ?= $(shell nproc 2>/dev/null || echo 1)
SCHEDULER ?=
TIMEOUT ?= 36000
PAPER_NBS := $(sort $(wildcard nbs/paper/*.ipynb))
PAPER_NAMES := $(basename $(notdir $(PAPER_NBS)))
SHORT_NAMES := $(foreach n,$(PAPER_NAMES),$(word 1,$(subst _, ,$(n)))_$(word 2,$(subst _, ,$(n))))
EXECUTED ?= _executed/$(PROFILE)
export MPLBACKEND := Agg

.PHONY: help install install-cuda test figures index plan data docs serve outputs lab check sync bench gpu-check gpu-wheels clean distclean $(SHORT_NAMES) FORCE

help: ## list the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "  make fig_03 ...   one paper notebook alone (any of: $(SHORT_NAMES))"

# Each stage says what it does; pip prints each package it collects and installs (a fresh install takes minutes).
$(STAMP):
	@echo "== install 1 of 3: the virtual environment $(VENV) ($(PYTHON))"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "== install 2 of 3: PyTorch ($(TORCH), the CPU build$(if $(TORCH_INDEX), from $(TORCH_INDEX)); about 750 MB)"
	$(BIN)/pip install --progress-bar off $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) '$(TORCH)'
	@echo "== install 3 of 3: dlgn_nb (editable) with its reproduction, docs and dev tools (about 150 packages)"
	$(BIN)/pip install --progress-bar off -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $@
	@echo "== installed: $(BIN)/dlgn and $(BIN)/python ($$($(BIN)/python -c 'import dlgn_nb, torch; print("dlgn_nb", dlgn_nb.__version__, "torch", torch.__version__)'))"

install: $(STAMP) ## create .venv: torch (TORCH_INDEX=... for the CPU build's index), then the package with its dev and repro tools

install-cuda: $(STAMP) ## add pycuda (the GPU kernels' extra): needs the CUDA toolkit (cuda.h) and a driver
	$(BIN)/pip install -e '.[cuda]'

# Tests run in TEST_WORKERS processes (pytest-xdist), one test module per process at a time, so a module's shared
# fixtures (the docs site, the smoke figures) are built once.
TEST_WORKERS ?= 2
test: $(STAMP) ## the test suite: every notebook, the library, the paper notebooks in the smoke profile, the docs site
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope

# One paper notebook: papermill executes it into _executed/<profile>/ (deleted if it fails); its figures and tables
# go to the profile's folder. The index of that folder is written by `make index` (and at the end of `make figures`).
$(EXECUTED)/%.ipynb: nbs/paper/%.ipynb $(STAMP) FORCE
	@mkdir -p $(@D); echo "== $* ($(PROFILE))"; start=$$(date +%s); \
	$(BIN)/papermill $< $@ -k python3 --cwd nbs/paper --no-progress-bar --log-level WARNING --execution-timeout $(TIMEOUT) \
	  -p profile $(PROFILE) -p executor $(EXECUTOR) -p workers $(WORKERS) $(if $(SCHEDULER),-p scheduler $(SCHEDULER)); \
	echo "   done in $$(( $$(date +%s) - start )) s"

$(SHORT_NAMES): %: $(STAMP) ## 
	@$(MAKE) --no-print-directory $(EXECUTED)/$(filter $*_%,$(PAPER_NAMES)).ipynb
	@$(MAKE) --no-print-directory index

figures: $(STAMP) ## every paper figure and table (PROFILE=quick|workstation|paper|smoke EXECUTOR=local|dask WORKERS=n SCHEDULER=addr)
	@$(MAKE) --no-print-directory $(PAPER_NAMES:%=$(EXECUTED)/%.ipynb)
	@$(MAKE) --no-print-directory index

index: $(STAMP) ## write the README index of the profile's figures folder
	$(BIN)/dlgn index --profile $(PROFILE)

plan: $(STAMP) ## the bill of `make figures PROFILE=...` before it trains: runs, sample-steps, memory, CPU and GPU hours per figure
	$(BIN)/dlgn plan --profile $(PROFILE) --workers $(WORKERS)

data: $(STAMP) ## download every public dataset (verified, resumable) into data_dir; ImageNet-32 needs an account (`dlgn data fetch imagenet32` says what to download and where)
	$(BIN)/dlgn data fetch all
	$(BIN)/dlgn data list

docs: $(STAMP) ## the documentation site, offline, into _docs/html (library notebooks executed and cached, each one named as it runs; paper pages from paper_figures/)
	$(BIN)/python docs/build.py

PORT ?= 8000
serve: ## serve the built site at http://127.0.0.1:8000 (PORT=n for another port); opening _docs/html/index.html directly works too
	@test -f _docs/html/index.html || { echo "no site yet: run make docs first"; exit 2; }
	@echo "docs: http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	$(PYTHON) -m http.server --bind 127.0.0.1 -d _docs/html $(PORT)

outputs: $(STAMP) ## build the site, then commit-ready outputs into nbs/ (printed values and small tables; no images)
	$(BIN)/python docs/build.py --outputs
	$(BIN)/nbdev-clean

# As root (containers, cloud notebooks) JupyterLab needs --allow-root; LAB_ARGS passes anything else (--no-browser --port 8890 --ip 0.0.0.0)
LAB_ARGS ?=
lab: $(STAMP) ## open the notebooks in JupyterLab from the project's environment (LAB_ARGS="--no-browser --port 8890"; as root: --allow-root added)
	$(BIN)/jupyter lab nbs $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

check: $(STAMP) ## fail if nbdev-export or nbdev-clean would change any file (read-only: checks a copy)
	$(BIN)/python tests/check_sync.py

sync: $(STAMP) ## write the library from the notebooks and clean the notebooks (nbdev-export, nbdev-clean)
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

bench: $(STAMP) ## side-by-side benchmarks on this CPU: training (fused layer vs 16-gate reference), kernels against a copy, discrete inference, circuit simplification (vs torchlogix), the README example with a busy core, dlgn's start-up
	$(BIN)/python tests/bench_training.py
	$(BIN)/python tests/bench_width.py
	$(BIN)/python tests/bench_kernels.py
	$(BIN)/python tests/bench_inference.py
	$(BIN)/python tests/bench_data.py
	$(BIN)/python tests/bench_circuit.py --synth --heads
	$(BIN)/python tests/bench_shared.py
	$(BIN)/python tests/bench_cli.py

GPU_PYTHON ?= python3
GPU_SITE ?= /tmp/dlgn-site
gpu-check: ## on a GPU machine: preflight with real causes, every kernel against the CPU reference, then timings (runs without make too: python tests/gpu_check.py)
	GPU_SITE=$(GPU_SITE) $(GPU_PYTHON) tests/gpu_check.py $(GPU_CHECK_ARGS)

gpu-wheels: ## build pycuda and its dependencies as wheels into .whl/ for a GPU machine without internet (GPU_PYTHON=python3.12)
	tests/build_pycuda_wheels.sh $(GPU_PYTHON) .whl

clean: ## remove executed notebooks, smoke outputs and caches (keeps .venv, results/ and the committed figures)
	rm -rf _executed paper_figures/_executed _smoke .pytest_cache _proc _docs
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## also remove .venv and results/ (the next `make figures` retrains everything)
	rm -rf $(VENV) results
