# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PORT   ?= 8000
export TONGZHAN_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test test-sqlite test-postgres install install-dev lint bench clean audit

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, load the demo township on first start, serve on PORT.
run: install
	$(PY) manage.py start --port $(PORT)

## make test: the whole suite on SQLite, then on a throwaway PostgreSQL server when one can be started.
test: install-dev
	$(PY) -m ruff check .
	$(PY) -m pytest
	$(PY) scripts/with_postgres.py $(PY) -m pytest

test-sqlite: install-dev
	$(PY) -m pytest

## make audit: known vulnerabilities in the pinned runtime dependencies (pip-audit). Offline-safe: when
## the advisory database cannot be reached it prints one line and passes; a real finding fails.
audit: install-dev
	$(PY) scripts/audit_dependencies.py requirements.txt

lint: install-dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: install-dev
	$(PY) bench/search.py

clean:
	rm -rf $(VENV) .pytest_cache
