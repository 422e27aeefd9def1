# FER Course: `make run` trains and evaluates, `make test` runs the whole test suite (notebooks included).
# Both create .venv on first use. PYTHON picks the interpreter for the venv (Python 3.10+).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test unit notebooks lint benchmark clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)  ## train and evaluate on the default data (FER2013 if found, else the generated sample)
	$(BIN)/fer-train $(ARGS)

test: $(STAMP)  ## unit tests, then every notebook under nbval in the smoke profile
	FER_PROFILE=smoke $(BIN)/python -m pytest -p no:cacheprovider tests notebooks --nbval-lax --nbval-current-env

unit: $(STAMP)  ## unit tests only
	$(BIN)/python -m pytest -p no:cacheprovider tests

notebooks: $(STAMP)  ## notebooks only (smoke profile)
	FER_PROFILE=smoke $(BIN)/python -m pytest -p no:cacheprovider notebooks --nbval-lax --nbval-current-env

lint: $(STAMP)
	$(BIN)/ruff check fer_helpers tests benchmarks

benchmark: $(STAMP)  ## print measured speed numbers (see benchmarks/README.md)
	$(BIN)/python benchmarks/training_throughput.py
	$(BIN)/python benchmarks/inference_latency.py
	$(BIN)/python benchmarks/video_throughput.py

clean-venv:
	rm -rf $(VENV)
