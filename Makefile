# The front door.  `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
CORPUS ?= corpus
OUT ?= outputs

.PHONY: help install run data notebooks export test test-fast lint format model bench clean-outputs

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name policy-pipeline --display-name "Python (policy-pipeline)" > /dev/null
	touch $@

install: $(VENV)/.installed  ## create .venv with the pinned dependencies

run: install  ## run the whole job on corpus/ and write outputs/ (data stages, notebooks, exports)
	$(PY) -m pipeline run --corpus $(CORPUS) --out $(OUT)
	$(PY) -m pipeline notebooks --out $(OUT)
	$(PY) -m pipeline export --out $(OUT)

data: install  ## data stages only (no notebooks)
	$(PY) -m pipeline run --corpus $(CORPUS) --out $(OUT)

export: install  ## Excel, LaTeX, REFI-QDA project and HTML report from outputs/
	$(PY) -m pipeline export --out $(OUT)

notebooks: install  ## execute the notebook suite on the data in outputs/
	$(PY) -m pipeline notebooks --out $(OUT)

test: install  ## run the test suite
	$(PY) -m pytest -q

test-fast: install  ## the tests not marked slow, stopping at the first failure
	$(PY) -m pytest -q -m "not slow" -x

lint: install  ## ruff check, ruff format --check, mypy and the notebook pair check (runs all, fails if any fails)
	@status=0; \
	echo "== ruff check"; $(VENV)/bin/ruff check . || status=1; \
	echo "== ruff format --check"; $(VENV)/bin/ruff format --check . || status=1; \
	echo "== mypy"; $(VENV)/bin/mypy || status=1; \
	echo "== notebook pairs"; $(PY) tools/check_notebook_pairs.py || status=1; \
	exit $$status

format: install  ## ruff format + ruff check --fix (notebooks through their .py, copied back into the .ipynb)
	@$(PY) tools/check_notebook_pairs.py > /dev/null \
	  || { echo "format: pair the notebooks first (jupytext --sync notebooks/NN_name.ipynb)"; exit 1; }
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix . || true  # what cannot be fixed automatically is listed; `make lint` fails on it
	$(VENV)/bin/jupytext --quiet --to ipynb --update notebooks/[0-9][0-9]_*.py

model: install  ## train the classifier for the packaged labels and ship it (after changing labels or lexicon)
	$(PY) tools/ship_model.py

SCALES ?= 1,10,100
bench: install  ## speed and memory at 1x, 10x and 100x the shared reports (about an hour; SCALES=1,10 for less)
	$(PY) benchmarks/run.py --scales $(SCALES)

clean-outputs:  ## delete generated outputs (keeps outputs/README.md)
	find $(OUT) -mindepth 1 ! -name README.md -delete
