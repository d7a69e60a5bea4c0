# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# The web application's browser libraries (bpmn-js, Chart.js) and the tests' OpenID provider
# (oidc-provider, a devDependency), pinned in package-lock.json.
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha1sum | cut -c1-12)

.PHONY: run test test-postgres bench check lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: install, migrate var/kedja.db (SQLite), add the demo organisations, users and cases, deploy
## processes/ and serve the web application and the API on http://127.0.0.1:8000 (with the background
## sweep) in demo mode; production is `kedja serve`, which refuses a database with demo passwords
run: $(STAMP) $(NODE_STAMP)
	$(BIN)/kedja demo

## test: the whole test suite (SQLite; set KEDJA_TEST_DATABASE_URL for PostgreSQL). The browser
## tests need /usr/bin/chromium (Debian's chromium and chromium-l10n; .ci/run installs them) and are skipped without it.
## Tests run in TEST_WORKERS processes (pytest-xdist; a module's tests stay in one process).
TEST_WORKERS ?= 3
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadscope

test-postgres: $(STAMP) $(NODE_STAMP)
	KEDJA_TEST_DATABASE_URL=$${KEDJA_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadscope

## bench: the engine-overhead benchmark (prints its figures)
bench: $(STAMP)
	$(BIN)/python bench/engine_overhead.py

## lint: ruff, and the import contracts of pyproject.toml (import-linter)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

check: $(STAMP)
	@if ls processes/*.bpmn >/dev/null 2>&1; then $(BIN)/kedja check processes/*.bpmn; else echo "no diagrams in processes/ yet"; fi

clean:
	rm -rf $(VENV) var .pytest_cache node_modules test-output
