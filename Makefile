# tinhso — two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# The local VNPAY sandbox (not real money) that `make run` starts beside the server.
SANDBOX_PORT ?= 8100
# What browsers reach: payment return URLs, CRL/OCSP URLs in certificates and e-mailed links
# follow PORT (`make run PORT=8123`) unless TINHSO_PUBLIC_URL is set in the environment.
PUBLIC_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))

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
## (with the payment sandbox on SANDBOX_PORT; PORT also moves the public URL)
run: export TINHSO_PUBLIC_URL ?= http://$(PUBLIC_HOST):$(PORT)
run: export TINHSO_VNPAY_URL ?= http://127.0.0.1:$(SANDBOX_PORT)/paymentv2/vpcpay.html
run: $(STAMP)
	@echo "Địa chỉ công khai / public URL: $(TINHSO_PUBLIC_URL) — thanh toán thử / payment sandbox: $(TINHSO_VNPAY_URL)"
	$(BIN)/tinhso migrate --noinput
	$(BIN)/tinhso pki init --if-missing
	$(BIN)/tinhso demo --if-empty
	$(BIN)/tinhso demo-accounts
	$(BIN)/tinhso iot simulate --direct --if-empty
	$(BIN)/tinhso serve --host $(HOST) --port $(PORT) --payment-sandbox $(SANDBOX_PORT)

## test: install the dev extras, lint (ruff), type-check (mypy) and run the whole suite
## (DATABASE_URL selects the database)
test: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/tinhso makemigrations --check --dry-run
	$(BIN)/tinhso check-migrations
	$(BIN)/tinhso audit-deps
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench

## typecheck: mypy with django-stubs alone (strict on services, selectors and permissions, 0
## errors everywhere; config in pyproject.toml). `test` runs it too, after ruff.
typecheck: $(DEVSTAMP)
	$(BIN)/mypy

## schema: rewrite the committed OpenAPI schema after an intended API change
schema: $(STAMP)
	$(BIN)/tinhso export-openapi docs/api/openapi.json

clean:
	rm -rf $(VENV) var
