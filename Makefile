# tinhso — two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

## run: install, migrate the embedded SQLite database, load the Bình Phước demo once, serve
run: $(STAMP)
	$(BIN)/tinhso migrate --noinput
	$(BIN)/tinhso pki init --if-missing
	$(BIN)/tinhso demo --if-empty
	$(BIN)/tinhso demo-accounts
	$(BIN)/tinhso iot simulate --direct --if-empty
	$(BIN)/tinhso serve --host $(HOST) --port $(PORT)

## test: install the dev extras and run the whole suite (DATABASE_URL selects the database)
test: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/tinhso makemigrations --check --dry-run
	$(BIN)/tinhso check-migrations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench

## typecheck: mypy with django-stubs (strict on services, selectors and permissions; config in
## pyproject.toml). Not yet part of `test`: the rest of the code still has errors to clear.
typecheck: $(DEVSTAMP)
	$(BIN)/mypy

## schema: rewrite the committed OpenAPI schema after an intended API change
schema: $(STAMP)
	$(BIN)/tinhso export-openapi docs/api/openapi.json

clean:
	rm -rf $(VENV) var
