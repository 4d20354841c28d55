# HEART Field: `make run` serves the demo, `make test` checks everything.
# Both install what they need (venv from the frozen lock, npm ci, Chromium) and nothing else.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PWA_DEPS := pwa/node_modules/.installed-stamp
PWA_BUILD := pwa/dist/index.html
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/heart
WORKERS ?= 2
# serve-pg runs in production mode: never with the development key (instance/secret_key).
PROD_KEY := instance/production_secret_key
export FLASK_APP := server

.PHONY: run install pwa db test lint typecheck pytest pwa-check chromium bench \
        serve-pg serve-split test-long mutate clean help

help:
	@echo "make run    - install, build the web app, create the demo database, serve on $(HOST):$(PORT)"
	@echo "make test   - lint, types, unit, API, PostgreSQL and browser tests"
	@echo "make bench  - benchmarks (PostgreSQL), each ends with one JSON line"
	@echo "make mutate - mutation testing of the sync engine (mutmut over tests/sync), score per file"
	@echo "make serve-pg - gunicorn with $(WORKERS) workers on PostgreSQL (PG_URL=...)"
	@echo "make serve-split - nginx in front of an alert process and the app process (PostgreSQL)"

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(STAMP)

$(PWA_DEPS): pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	touch $@

$(PWA_BUILD): $(PWA_DEPS) $(shell find pwa/src pwa/public -type f 2>/dev/null) pwa/index.html pwa/vite.config.ts
	cd pwa && npm run build

pwa: $(PWA_BUILD)

db: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty

run: $(STAMP) $(PWA_BUILD) db
	@echo "HEART Field on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs)"
	HEART_SCHEDULER=1 $(BIN)/gunicorn --workers 1 --bind $(HOST):$(PORT) --no-control-socket \
	  --graceful-timeout 5 --access-logfile - 'server:create_app()'

serve-pg: $(STAMP) $(PWA_BUILD)
	@if [ -z "$$SECRET_KEY" ] && [ ! -s $(PROD_KEY) ]; then \
	  mkdir -p instance && (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(48))' > $(PROD_KEY)) && \
	  echo "serve-pg: SECRET_KEY is not set: generated a random production key in $(PROD_KEY)" \
	       "(kept for restarts; set SECRET_KEY to use your own, the same on every host)"; fi
	DATABASE_URL=$(PG_URL) $(BIN)/flask db upgrade
	DATABASE_URL=$(PG_URL) $(BIN)/flask demo-data --if-empty
	DATABASE_URL=$(PG_URL) HEART_ENV=production HEART_SCHEDULER=1 SECRET_KEY=$${SECRET_KEY:-$$(cat $(PROD_KEY))} \
	  $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
	  --no-control-socket --graceful-timeout 5 'server:create_app()'

# serve-split: the layout for a department's host. nginx on $(HOST):$(PORT) sends the live
# stream and backup requests to an alert process of their own ($(ALERT_PORT)) and the rest
# to the app process ($(APP_PORT)), which runs at nice $(APP_NICE): a reconnect storm's
# pushes then never delay an alert (bench/backup_fanout.py, README "Why a process for alerts").
ALERT_PORT ?= 8011
APP_PORT ?= 8012
APP_NICE ?= 10
# Sync pushes and pulls at once per app worker: 1 leaves PostgreSQL a core for alerts. Measured
# (bench/backup_fanout.py, 2026-12-04): p99 under a storm 59-74 ms at 1 against 91-108 ms at 2;
# the storm drains about as fast (bench/reconnect_storm.py 7.2-9.6 s against 6.9-7.7 s).
APP_SYNC_CONCURRENCY ?= 1
# nginx's rendered settings, pid, log and temporary files.
SPLIT_DIR ?= instance/split
PG_ENV = DATABASE_URL=$(PG_URL) HEART_ENV=production HEART_SCHEDULER=1 TRUSTED_PROXIES=1 \
	SECRET_KEY=$${SECRET_KEY:-$$(cat $(PROD_KEY))}
GUNICORN = $(BIN)/gunicorn --workers $(WORKERS) --no-control-socket --graceful-timeout 5

serve-split: $(STAMP) $(PWA_BUILD)
	@command -v nginx >/dev/null || { echo "Installing Debian's nginx (the front door)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
	@if [ -z "$$SECRET_KEY" ] && [ ! -s $(PROD_KEY) ]; then \
	  mkdir -p instance && (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(48))' > $(PROD_KEY)); fi
	DATABASE_URL=$(PG_URL) $(BIN)/flask db upgrade
	DATABASE_URL=$(PG_URL) $(BIN)/flask demo-data --if-empty
	mkdir -p $(SPLIT_DIR) && sed -e 's|@INSTANCE@|$(abspath $(SPLIT_DIR))|g' -e 's|@HOST@|$(HOST)|g' \
	  -e 's|@PORT@|$(PORT)|g' -e 's|@ALERT_PORT@|$(ALERT_PORT)|g' -e 's|@APP_PORT@|$(APP_PORT)|g' \
	  deploy/nginx.conf > $(SPLIT_DIR)/nginx.conf
	@echo "HEART Field on http://$(HOST):$(PORT)/ (alerts on :$(ALERT_PORT), the rest on :$(APP_PORT) at nice $(APP_NICE))"
	trap 'kill 0' EXIT; \
	  $(PG_ENV) $(GUNICORN) --bind 127.0.0.1:$(ALERT_PORT) 'server:create_app()' & \
	  $(PG_ENV) SYNC_CONCURRENCY=$(APP_SYNC_CONCURRENCY) nice -n $(APP_NICE) $(GUNICORN) --bind 127.0.0.1:$(APP_PORT) 'server:create_app()' & \
	  nginx -c $(abspath $(SPLIT_DIR))/nginx.conf

chromium:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP) $(PWA_DEPS)
	$(BIN)/ruff check .
	$(BIN)/mypy
	cd pwa && npm run lint && npm run typecheck

pwa-check: $(PWA_DEPS)
	cd pwa && npm test

pytest: $(STAMP) $(PWA_BUILD) chromium
	$(BIN)/pytest -q -n 2 --dist loadgroup; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; exit $$rc

# vitest first, pytest last: CI reads pytest's closing line.
test: lint pwa-check pytest

test-long: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -q -m slow tests

bench: $(STAMP)
	$(PY) bench/sync_push.py
	$(PY) bench/reconnect_storm.py
	$(PY) bench/first_pull.py
	$(PY) bench/login_timing.py
	$(PY) bench/worker_memory.py
	$(PY) bench/stock.py
	$(PY) bench/indicators.py
	$(PY) bench/backup_fanout.py
	$(PY) bench/triage.py
	$(PY) bench/cad_import.py
	$(MAKE) $(PWA_BUILD) chromium
	$(PY) bench/pwa_cold_start.py
	$(PY) bench/pwa_sync.py

# Not part of `make test`: a fresh run (results of an earlier one would be stale after edits)
# takes minutes. Two children and a low priority: the machine is shared. The run fails below
# MUTATE_MIN percent killed (sync/MUTATION.md lists the survivors accepted and why).
MUTATE_CHILDREN ?= 2
MUTATE_MIN ?= 90
# The five-tablet property test runs for every mutant it reaches: 5 examples instead of 25
# keep a run under half an hour and still kill what only it reaches.
MUTATE_STATEFUL_EXAMPLES ?= 5
mutate: $(STAMP)
	rm -rf mutants
	HYPOTHESIS_PROFILE=mutate SYNC_STATEFUL_EXAMPLES=$(MUTATE_STATEFUL_EXAMPLES) \
	  nice -n 15 $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN)
	$(PY) tools/mutation_score.py --min $(MUTATE_MIN)

clean:
	rm -rf $(VENV) pwa/node_modules pwa/dist instance/heart.sqlite
