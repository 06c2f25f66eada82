# Two commands do all the set-up on a fresh machine (Python 3.11+ and make):
#   make chat   - install, migrate the embedded SQLite database, start the console chat
#   make test   - install with test extras, then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PO_FILES := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: install install-test catalogs chat test lint messages bench clean screenshots

install: $(VENV)/.installed catalogs

install-test: install $(VENV)/.installed-test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))." >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing the bot into $(VENV) ..." >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	@echo "Installing the test tools into $(VENV) ..." >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

catalogs: $(MO_FILES)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(VENV)/.installed
	@$(BIN)/pybabel compile -D messages -i $< -o $@ >/dev/null 2>&1 || \
		$(BIN)/pybabel compile -D messages -i $< -o $@

chat: install
	@$(BIN)/bot db upgrade
	@$(BIN)/bot chat

test: install-test
	@[ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] || echo "Note: Chromium is not installed, so the web console's browser tests are skipped. Install it with: sudo apt-get install chromium" >&2
	@$(BIN)/python -m pytest

# Pictures of the web console's main pages for docs/screenshots (taken by the browser tests).
screenshots: install-test
	@SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/web/test_console_browser.py

lint: install-test
	@$(BIN)/ruff check .

# Re-extract the msgids from the code and merge them into both catalogs.
messages: install
	@$(BIN)/pybabel extract -F pyproject.toml -o locales/messages.pot -k _n:1,2 \
		--add-comments=TRANSLATORS: --no-location --sort-output --omit-header .
	@$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching \
		--ignore-obsolete --width 100

clean:
	rm -rf $(VENV) locales/*/LC_MESSAGES/*.mo .pytest_cache .hypothesis
