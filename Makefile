# Asan Khedmat — `make help` lists the targets. Needs only Python 3.11+ and git.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
# The one public address of the site: links in SMS, the QR code on documents, enrolment links
# and demo_logins are built on it (docs/decisions/0018). Follows PORT unless set.
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Development commands run with the local settings; pytest picks config.settings.test itself.
MANAGE = PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)' DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py
# The first of these that is Python 3.11 or newer creates the virtual environment.
PYTHON ?= $(shell for p in python3.11 python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
# Two test processes: about a third faster on two cores, browser tests included.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: serve help run test lint migrate seed messages bench bench-centers bench-sms bench-performance screenshots worker beat jobs clean setup translations logins

help: ## List the targets
	@echo "Asan Khedmat — make <target> (PORT=$(PORT))"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: install python3.11 (or python3 >= 3.11)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

var:
	@mkdir -p var

setup: $(STAMP) var translations

translations: $(STAMP)
	@$(MANAGE) compile_translations --verbosity 0

run: setup migrate seed logins ## Set up everything, load demonstration data and serve on http://127.0.0.1:$PORT
	@echo
	@echo "Asan Khedmat is at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@echo "Staff sign in at http://127.0.0.1:$(PORT)/en/account/staff/sign-in/ (citizens at /en/account/sign-in/)"
	@echo
	$(MANAGE) runserver 127.0.0.1:$(PORT)

logins: $(STAMP)
	@$(MANAGE) demo_logins

migrate: setup ## Apply database migrations (SQLite under var/ unless DATABASE_URL is set)
	$(MANAGE) migrate --no-input --verbosity 1

seed: setup ## Load the demonstration data (idempotent: run it as often as you like)
	$(MANAGE) seed_demo

test: setup ## Run ruff and the whole test suite (browser tests in /usr/bin/chromium)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest --ds config.settings.test -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP) ## Run ruff, the import contracts (lint-imports: the apps' layers) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --config pyproject.toml
	$(VENV)/bin/mypy .

messages: $(STAMP) ## Extract translatable strings into locale/{fa,ps} (dev only: needs GNU gettext)
	$(MANAGE) makemessages --no-obsolete --locale fa --locale ps --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=scripts

bench: setup ## Measure the compressed weight of every public page (30 KB budget)
	$(PY) bench/page_weight.py

bench-centers: setup ## Measure the queue on PostgreSQL (DATABASE_URL): tickets/s, call-next latency, board delay
	$(PY) bench/centers.py

bench-sms: setup ## Measure the SMS outbox through Kannel (PostgreSQL, Redis): messages/s, commit-to-gateway lag
	$(PY) bench/sms.py

bench-ussd: setup ## Measure USSD through gunicorn (production settings, PostgreSQL): p95 at 20 sessions vs a control
	$(PY) bench/ussd.py

bench-events: setup ## Measure what events and the outbox cost a ticket and a submission: 4cf6d04 vs now, over HTTP
	$(PY) bench/events_overhead.py

# --- fault drill (issue 11) ---
fault-drill: setup ## Break nginx + 2 gunicorns + worker + Redis under citizens' load; check nothing is lost (PostgreSQL)
	$(PY) bench/fault_drill.py
# --- end fault drill ---
# --- issue 11: the user's path through the real server (bench/http.py) ---
bench-http: setup ## Every user scenario through gunicorn on PostgreSQL (DATABASE_URL's server) beside its control
	$(PY) bench/http.py $(BENCH_HTTP_ARGS)

bench-performance: setup ## The public performance pages through gunicorn on PostgreSQL, 1M files' figures, beside a control
	$(PY) bench/performance_pages.py $(BENCH_PERFORMANCE_ARGS)

screenshots: setup ## Render the main pages, the application journey and the phone simulator into docs/screenshots/
	$(PY) scripts/screenshots.py
	KHEDMAT_SCREENSHOTS=1 $(VENV)/bin/pytest -q -p no:xdist tests/browser/test_applications_journey.py tests/browser/test_phone_simulator.py

worker: setup ## Start a Celery worker: delivers the outbox (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/1)
	@test -n "$$CELERY_BROKER_URL" || grep -qs '^CELERY_BROKER_URL=.' .env || { \
		echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/1): without it tasks run in-process." >&2; exit 1; }
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.local} $(VENV)/bin/celery -A config.celery worker --loglevel INFO

beat: setup ## Start Celery beat: sends the periodic jobs to the workers (one beat per deployment)
	@test -n "$$CELERY_BROKER_URL" || grep -qs '^CELERY_BROKER_URL=.' .env || { \
		echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/1); on one machine use make jobs." >&2; exit 1; }
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.local} $(VENV)/bin/celery -A config.celery beat --loglevel INFO --schedule var/celerybeat-schedule

jobs: setup ## Run the periodic jobs in a loop on one machine, without Celery (outbox sweep, reminders, escalations…)
	$(MANAGE) run_jobs

# --- make serve (issue 11): the production form on one machine (docs/deployment.md) ---
serve: setup ## Serve the production form on one machine: nginx on $PORT (default 8080), gunicorn, a Celery worker and beat (PostgreSQL: DATABASE_URL; Redis)
	PORT=$(if $(filter command line environment,$(origin PORT)),$(PORT),8080) $(PY) scripts/serve.py

clean: ## Remove caches and compiled catalogs (keeps .venv and the database in var/)
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache
	find locale -name '*.mo' -delete
