# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-postgres bench check lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

## run: install, migrate var/kedja.db (SQLite), add the demo organisations and users, deploy
## processes/ and serve the API on http://127.0.0.1:8000 (with the background sweep)
run: $(STAMP)
	$(BIN)/kedja demo
	$(BIN)/kedja serve

## test: the whole test suite (SQLite; set KEDJA_TEST_DATABASE_URL for PostgreSQL)
test: $(STAMP)
	$(BIN)/pytest -q

test-postgres: $(STAMP)
	KEDJA_TEST_DATABASE_URL=$${KEDJA_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} $(BIN)/pytest -q

## bench: the engine-overhead benchmark (prints its figures)
bench: $(STAMP)
	$(BIN)/python bench/engine_overhead.py

lint: $(STAMP)
	$(BIN)/ruff check .

check: $(STAMP)
	@if ls processes/*.bpmn >/dev/null 2>&1; then $(BIN)/kedja check processes/*.bpmn; else echo "no diagrams in processes/ yet"; fi

clean:
	rm -rf $(VENV) var .pytest_cache
