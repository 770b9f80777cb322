# NRM. Set-up is two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/nrm
# The suite runs on one worker per core (pytest-xdist); WORKERS=0 runs it in one process.
WORKERS ?= auto
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo serve test test-sqlite test-postgres test-browser lint fmt check migrations-check chromium clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nrm demo $(if $(PASSWORD),--password $(PASSWORD),)

serve: $(STAMP)
	$(BIN)/nrm serve

chromium:
	@sh scripts/ensure-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check nrm tests conftest.py
	$(BIN)/ruff format --check nrm tests conftest.py

fmt: $(STAMP)
	$(BIN)/ruff check --fix nrm tests conftest.py
	$(BIN)/ruff format nrm tests conftest.py

migrations-check: $(STAMP)
	NRM_DATA_DIR=$$(mktemp -d) $(BIN)/nrm makemigrations --check --dry-run

check: lint migrations-check

# The whole suite: lint, migrations, SQLite, PostgreSQL, then real Chromium.
test: $(STAMP) chromium check test-sqlite test-postgres test-browser
	@echo "make test: all legs passed"

test-sqlite: $(STAMP)
	@echo "== suite on SQLite"
	NRM_DATA_DIR=$$(mktemp -d) $(BIN)/pytest -q -m "not browser" -n $(WORKERS) --durations=15

test-postgres: $(STAMP)
	@$(BIN)/python scripts/pg_available.py "$(PG_URL)" || exit_code=$$?; \
	if [ "$${exit_code:-0}" = "0" ]; then \
	  echo "== suite on PostgreSQL"; \
	  NRM_DATA_DIR=$$(mktemp -d) DATABASE_URL="$(PG_URL)" $(BIN)/pytest -q -m "not browser" -n $(WORKERS) --durations=15 --create-db || exit 1; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL is required under CI"; exit 1; \
	else echo "PostgreSQL leg skipped: no server at $(PG_URL)"; fi

test-browser: $(STAMP) chromium
	@echo "== browser tests in Chromium"
	NRM_DATA_DIR=$$(mktemp -d) $(BIN)/pytest -q -m browser

bench: $(STAMP)
	$(BIN)/nrm bench --screenings 2000 --reads 200

clean:
	rm -rf $(VENV) var .pytest_cache
