# Portail Famille — `make run` to try it, `make test` to test it. Nothing else needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
INSTANCE := $(CURDIR)/instance
PORT ?= 5000

export PORTAIL_ENV ?= development
export PUBLIC_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test setup install translations messages lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel compile -d translations >/dev/null

setup: install translations
	mkdir -p $(INSTANCE)
	$(FLASK) db upgrade
	@if [ ! -f $(INSTANCE)/.demo-loaded ]; then $(FLASK) demo >/dev/null && touch $(INSTANCE)/.demo-loaded && echo "Ville de démonstration chargée."; fi

# Web server, RQ worker (with its scheduler), clock, private Redis and the mail sink.
run: setup
	@$(FLASK) demo --summary
	@echo "Ctrl-C arrête tout."
	WEB_PORT=$(PORT) INSTANCE=$(INSTANCE) BIN=$(BIN) \
	  REDIS_URL=$${REDIS_URL:-unix://$(INSTANCE)/redis.sock} \
	  $(BIN)/honcho start -f Procfile.dev

# The whole suite: SQLite and a private Redis by default; set DATABASE_URL and
# REDIS_URL to run it against PostgreSQL and another Redis (as .ci/run does),
# PORTAIL_TEST_TODAY=YYYY-MM-DD to run it as if today were that day, and
# PYTEST_ARGS to pass pytest more arguments (e.g. PYTEST_ARGS=--ignore=tests/e2e).
# axe-core for the browser tests' accessibility checks, from tests/e2e's own lockfile.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@command -v npm >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null)
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: install translations $(AXE)
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || \
	  (echo "Chromium is needed for the browser tests: installing Debian's package." && \
	   apt-get install -y -q chromium >/dev/null)
	$(BIN)/pytest $(PYTEST_ARGS)

# After changing UI text: refresh the English catalogue and list what needs translating.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python translations/fill.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
