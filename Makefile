# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test bench install install-dev db demo referential messages translations clean

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

$(VENV)/.dev-installed: $(BIN)/activate requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/activate

install-dev: $(VENV)/.dev-installed

db: install
	$(FLASK) db upgrade

referential: db
	$(FLASK) referential load

demo: referential
	$(FLASK) demo

run: demo translations
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install-dev translations
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Issue 11's measures in one run (~4-5 min at 100,000 candidatures on 2 cores), written to
# bench/RESULTS.md: SQLite in a temporary folder, or BENCH_DATABASE_URL=postgresql://…
# (emptied first). Quick run: BENCH_CANDIDATES=5000 BENCH_DURATION=5. Not part of `make test`.
bench: install-dev
	@command -v wrk >/dev/null || $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y wrk
	$(BIN)/python -m bench.run

# Refresh the message catalogue template after changing interface text, and carry the
# new messages into the English catalogue (to translate there: tests/test_translations.py
# fails on any message left untranslated or fuzzy).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --sort-by-file -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l en --ignore-obsolete

# The compiled catalogues (not committed): rebuilt whenever a .po changes.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations: $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(BIN)/activate
	$(BIN)/pybabel compile --statistics -i $< -o $@ -l $*

clean:
	rm -rf $(VENV) .pytest_cache
