# Ristra: two commands on a fresh machine.
#   make run   create .venv, install, migrate, load the demo school (empty database only), serve
#   make test  the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint types check messages clean-db bench

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Ristra needs Python >= 3.11 (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	@touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo --if-empty
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	@# axe-core for the accessibility tests (they skip without it and without Chromium)
	@if command -v npm >/dev/null 2>&1 && [ ! -d node_modules/axe-core ]; then \
		npm ci --no-audit --no-fund --silent || echo "npm ci failed: accessibility tests will skip"; fi
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(VENV)/.installed
	$(VENV)/bin/mypy ristra bench
	$(VENV)/bin/mypy --strict ristra/analytics

check: lint types
	$(PY) manage.py makemigrations --check --dry-run

messages: $(VENV)/.installed
	cd ristra && ../$(PY) ../manage.py makemessages -l es --no-obsolete && ../$(PY) ../manage.py compilemessages

bench: $(VENV)/.installed
	$(PY) bench/import_roster.py

clean-db:
	rm -f var/ristra.sqlite3*
