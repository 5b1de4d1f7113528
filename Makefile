# make app        set up .venv (first time) and start the studio
# make test       set up .venv (first time), check the code with ruff and run all the tests
# make test-fast  the same for the tiers without worker processes or pages (unit, engine; not slow): minutes
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: app test test-fast lint bench
app: $(VENV)/.installed
	$(PY) -m streamlit run streamlit_app.py

test: lint
	$(PY) -m pytest -n 2 --dist loadfile --max-worker-restart 0

test-fast: lint
	$(PY) -m pytest -n 2 --dist loadfile --max-worker-restart 0 -m "(unit or engine) and not slow"

lint: $(VENV)/.installed
	$(PY) -m ruff check .

bench: $(VENV)/.installed
	$(PY) -m bench.bench_step

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-offline.txt requirements-cluster.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-offline.txt
	$(PY) -m pip install --quiet --no-deps --editable .  # the `nst` command
	touch $@
