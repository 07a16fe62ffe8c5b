# Lantern: `make demo` sets everything up and starts the demo; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SIZE ?= demo

.PHONY: demo setup test lint run seed clean

demo: setup
	$(PY) manage.py seed_demo --size $(SIZE)
	@echo "Lantern is starting on http://$(HOST):$(PORT)/ (Ctrl+C to stop), with a background-job worker"
	$(PY) manage.py db_worker --interval 1 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

setup: $(VENV)/.installed lantern/static/vendor/.built .env
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py migrate --noinput -v0

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

lantern/static/vendor/.built: package-lock.json scripts/build-static.mjs
	npm ci --omit=peer --no-audit --no-fund
	npm run --silent build
	touch $@

# A local secret for the demo, generated once; production sets DJANGO_SECRET_KEY itself.
.env:
	@echo "DJANGO_SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Created .env with a new local secret key."

test: $(VENV)/.installed lantern/static/vendor/.built
	$(VENV)/bin/ruff check lantern config benchmarks
	$(VENV)/bin/ruff format --check lantern config benchmarks
	$(VENV)/bin/pytest

lint:
	$(VENV)/bin/ruff check --fix lantern config benchmarks
	$(VENV)/bin/ruff format lantern config benchmarks

clean:
	rm -rf var staticfiles lantern/static/vendor node_modules
