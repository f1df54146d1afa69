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

.PHONY: run test install install-dev lint format migrate demo messages clean

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

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
