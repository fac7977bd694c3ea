# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PO := $(wildcard tracker/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
FLASK := $(BIN)/flask --app tracker
# Where `make run` listens. `make run HOST=0.0.0.0` lets a phone on the same
# Wi-Fi open the demo: it exposes the development server to the network.
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format translations extract-messages clean drill

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,deploy]"
	@touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

translations: $(MO)

run: $(STAMP) translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C stops)"
	@if [ "$(HOST)" != "127.0.0.1" ]; then \
		echo "Warning: anyone on this network can reach the development server and its demo logins."; \
		[ -n "$$TRACKER_BASE_URL" ] || echo "For QR codes a phone can scan, set TRACKER_BASE_URL=http://<this computer's address>:$(PORT)"; fi
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(STAMP) translations
	$(BIN)/python -m pytest -n 2

# Three app servers behind nginx, PostgreSQL, Redis, an object store and a job worker on
# loopback, 90 s of load with an app server and the worker killed; checks the books after
# (bench/drill.py, docs/deploy.md "Scaling out"). Not part of `make test`.
drill: $(STAMP) translations
	$(BIN)/python bench/drill.py

# ruff (style, complexity) and import-linter (the layering in .importlinter).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing interface strings: extract them, then translate the new
# entries in both catalogues (tests refuse an empty or fuzzy one).
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _lp:1c,2 -o tracker/translations/messages.pot .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
