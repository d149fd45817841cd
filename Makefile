# The two commands a newcomer needs: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: run serve setup stack test test-sqlite test-postgres test-quick lint format ci migrations-check bench clean

$(VENV)/bin/python:
	@python=$$(bin/find-python) || exit 1; echo "Making $(VENV) with $$python"; "$$python" -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-runtime

## Set up the database, demo content and admin login, then serve the site and its task worker.
run: setup serve

setup: $(VENV)/.installed-runtime
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py load_demo
	@PORT=$(PORT) $(PY) manage.py ensure_admin
	@$(PY) manage.py schedule_maintenance

serve: $(VENV)/.installed-runtime
	@PORT=$(PORT) bin/serve-dev $(PY)

## The production stack on this machine: PostgreSQL, Redis, two gunicorns, two task workers, nginx in front.
stack: $(VENV)/.installed-runtime
	@bin/with-postgres $(PY) bin/stack

## The whole suite: once on SQLite, once on a throwaway PostgreSQL server.
test: test-sqlite test-postgres

test-sqlite: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest

test-postgres: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) bin/with-postgres $(PY) -m pytest -m "not browser"

## The edit-test loop: the suite on SQLite without the browser tests (`browser`) and without the tests that start real
## servers (`servers`: nginx, gunicorn, redis, a PostgreSQL cluster, task workers; tests/conftest.py marks them).
test-quick: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -m "not browser and not servers"

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --check
	$(VENV)/bin/djlint templates --lint

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djlint templates --reformat --warn

migrations-check: $(VENV)/.installed-dev
	$(PY) manage.py makemigrations --check --dry-run

bench: $(VENV)/.installed-dev
	$(PY) bench/article_page.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
