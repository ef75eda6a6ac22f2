# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The first Administrator of a trial run (production: choose a name with ensure_first_administrator --username).
ADMIN_USERNAME ?= admin

.PHONY: run test venv migrate messages check-deploy

$(VENV)/installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/installed

migrate: venv
	$(PY) manage.py migrate --noinput

# The translation catalogues (locale/*/LC_MESSAGES/django.po) compiled to the .mo files Django reads
# (build output, not in git; needs gettext's msgfmt).
messages: venv
	$(PY) manage.py compilemessages --ignore '$(VENV)' --verbosity 0

# Serve the console on the embedded SQLite database with a worker; Ctrl-C stops both. The SMS links
# of the trial (printed by the worker) point at this console itself.
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: migrate messages
	$(PY) manage.py ensure_first_administrator --username $(ADMIN_USERNAME) --url http://$(HOST):$(PORT)/
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py run_worker & worker=$$!; \
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

# The whole suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL).
test: venv messages
	$(PY) -m pytest $(PYTEST_ARGS)

check-deploy: venv
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	SECURE_COOKIES=true SECURE_SSL_REDIRECT=true SECURE_HSTS_SECONDS=31536000 ALLOWED_HOSTS=console.example.net \
	$(PY) manage.py check --deploy --fail-level WARNING
