# FER Course: `make run` trains and evaluates, `make test` runs the whole test suite (notebooks included).
# Every target creates .venv on first use. PYTHON picks the interpreter for the venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OLDEST ?= .venv-oldest

.PHONY: help run test test-fast unit notebooks lab-test test-oldest test-colab lint benchmark repository-url first-cell clean-venv

help:  ## list the targets (this text; `make` alone prints it)
	@echo "make TARGET, where TARGET is one of:"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 18

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)  ## train and evaluate on the default data (FER2013 if found, else the generated sample)
	$(BIN)/fer-train $(ARGS)

test: $(STAMP)  ## unit tests, then every notebook under nbval in the smoke profile
	FER_PROFILE=smoke $(BIN)/python -m pytest -p no:cacheprovider tests notebooks --nbval-lax --nbval-current-env

test-fast: $(STAMP)  ## the edit-test loop: unit tests without the slow ones (no notebooks), and how long it took
	@start=$$(date +%s); $(BIN)/python -m pytest -p no:cacheprovider -q -m "not slow" tests; code=$$?; \
	  echo "test-fast: $$(( $$(date +%s) - start )) s"; exit $$code

unit: $(STAMP)  ## unit tests only
	$(BIN)/python -m pytest -p no:cacheprovider tests

notebooks: $(STAMP)  ## notebooks only (smoke profile)
	FER_PROFILE=smoke $(BIN)/python -m pytest -p no:cacheprovider notebooks --nbval-lax --nbval-current-env

lab-test: $(STAMP)  ## every notebook in JupyterLab in headless Chromium, Run All Cells (smoke profile; needs chromium)
	FER_PROFILE=smoke $(BIN)/python -m pytest -p no:cacheprovider -s tests/lab_notebooks.py

# Every runtime and dev dependency at its floor's release series (">=X" in pyproject.toml installed as "==X.*"),
# in a fresh $(OLDEST), then the unit tests there.
test-oldest: $(STAMP)  ## unit tests with the oldest versions pyproject.toml allows
	rm -rf $(OLDEST)
	$(PYTHON) -m venv $(OLDEST)
	$(BIN)/python -m fer_helpers.versions --oldest dev > $(OLDEST)/oldest-constraints.txt
	$(OLDEST)/bin/python -m pip install -q -c $(OLDEST)/oldest-constraints.txt -e ".[dev]"
	@echo "test-oldest: installed at the floors:"; $(OLDEST)/bin/python -m pip list --format=freeze \
	  | grep -i -E "^($$(cut -d= -f1 $(OLDEST)/oldest-constraints.txt | paste -sd'|'))=="
	$(OLDEST)/bin/python -m pytest -p no:cacheprovider tests

# Python 3.13 (python3.13, pyenv's, else a Debian 13 root via debootstrap + chroot) with Colab's packages pinned in
# tests/colab/colab-stack.txt; the course installed by the notebooks' first cell from the built wheel; fails if that
# replaced any package; then TFLite, fer-predict and every notebook under nbval (smoke). See tests/colab/run_colab.py.
test-colab:  ## the course in a copy of Colab's stack on Python 3.13 (COLAB_ARGS=--reuse keeps the last environment)
	tests/colab/run_colab_test.sh $(COLAB_ARGS)

lint: $(STAMP)  ## ruff check and ruff format --check
	$(BIN)/ruff check fer_helpers tests benchmarks docs
	$(BIN)/ruff format --check fer_helpers tests benchmarks docs

repository-url:  ## after changing [project.urls] Repository: write it into the README's and notebooks' Colab links
	$(PYTHON) docs/set_repository_url.py

first-cell:  ## write docs/set_first_cell.py's first code cell (the Colab install) into every notebook
	$(PYTHON) docs/set_first_cell.py

benchmark: $(STAMP)  ## print measured speed numbers (see benchmarks/README.md)
	$(BIN)/python benchmarks/training_throughput.py
	$(BIN)/python benchmarks/inference_latency.py
	$(BIN)/python benchmarks/photo_latency.py
	$(BIN)/python benchmarks/video_throughput.py

clean-venv:  ## delete .venv and .venv-oldest
	rm -rf $(VENV) $(OLDEST)
