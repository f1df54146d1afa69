# The product's front door: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_PASSWORD ?= demo-lupus-2026
# Demo and development only: never use these values in production.
# TWO_FACTOR_REQUIRED_FOR_STAFF=0 lets the demo staff logins work without a TOTP app.
RUN_ENV := DEBUG=1 DEMO_PASSWORD='$(DEMO_PASSWORD)' TWO_FACTOR_REQUIRED_FOR_STAFF=0
TEST_ENV := SECRET_KEY=test-only-not-secret ALLOWED_HOSTS=testserver,localhost

.PHONY: run test install install-dev lint format migrate demo messages clean bench loadtest

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tdm-tracker needs Python >= 3.11; set PYTHON=python3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when the dependency files change.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(RUN_ENV) $(BIN)/python manage.py seed_demo

run: demo
	@echo ""
	@echo "  tdm-tracker (local demo only; never expose it)  http://127.0.0.1:$(PORT)/"
	@echo "  Logins, all with password '$(DEMO_PASSWORD)':"
	@echo "    nurse, doctor            Demo Rheumatology staff"
	@echo "    alice, bob               patients of Demo Rheumatology"
	@echo "    carol                    family member with read access to alice"
	@echo "    nurse2, doctor2, dave    a second clinic (Lyon Lupus Clinic)"
	@echo "    admin                    clinic administrator (/admin/)"
	@echo ""
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# With DATABASE_URL set (postgres://...), the tests run against that database.
test: install-dev
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest -p no:cacheprovider --create-db

# After marking or changing interface text: refresh the French catalogue, translate the new
# entries in locale/fr/LC_MESSAGES/django.po, then run this again to compile it (needs gettext).
messages: install-dev
	$(TEST_ENV) $(BIN)/python manage.py makemessages -l fr --no-obsolete --ignore '.venv/*' --ignore 'tests/*' --ignore 'staticfiles/*'
	$(TEST_ENV) $(BIN)/python manage.py compilemessages -l fr --ignore '.venv/*'

# Benchmark (issue #8): a synthetic cohort in a dedicated SQLite file (bench/) and PostgreSQL
# database, generated once and reused; results in bench/results.json (git-ignored). Long: the
# first run generates ~0.9 M results per 1,000 patients. `make bench BENCH_PATIENTS=200` is quick.
BENCH_PATIENTS ?= 2000
BENCH_YEARS ?= 5
BENCH_REQUESTS ?= 50
BENCH_SQLITE ?= $(CURDIR)/bench/bench-$(BENCH_PATIENTS).sqlite3
BENCH_PG ?= postgres://postgres@127.0.0.1:5432/tdm_bench
BENCH_ENV := SECRET_KEY=bench-only-not-secret ALLOWED_HOSTS=testserver,127.0.0.1 DEBUG=0
BENCH_ARGS := --patients $(BENCH_PATIENTS) --years $(BENCH_YEARS) --requests $(BENCH_REQUESTS)

bench: install
	mkdir -p bench
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(BENCH_ENV) DATABASE_URL=sqlite:///$(BENCH_SQLITE) $(BIN)/python manage.py migrate --noinput -v0
	$(BENCH_ENV) DATABASE_URL=sqlite:///$(BENCH_SQLITE) $(BIN)/python manage.py benchmark $(BENCH_ARGS)
	$(BIN)/python -c 'import psycopg, sys; u, _, name = sys.argv[1].rpartition("/"); \
	c = psycopg.connect(u + "/postgres", autocommit=True); \
	c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() \
	or c.execute(f"CREATE DATABASE \"{name}\"")' '$(BENCH_PG)'
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG) $(BIN)/python manage.py migrate --noinput -v0
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG) $(BIN)/python manage.py benchmark $(BENCH_ARGS)

# 50 signed-in users against gunicorn on PostgreSQL for 45 s (after `make bench`).
loadtest: install
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(BENCH_ENV) DATABASE_URL=$(BENCH_PG) $(BIN)/python manage.py loadtest --users 50 --seconds 45

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
