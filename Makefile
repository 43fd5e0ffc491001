# The two commands: `make dev` (local stack on 127.0.0.1:9000) and `make test` (everything CI runs).
.PHONY: dev test fuzz venv build
SHELL := /bin/bash
VENV := .venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt requirements-nodeps.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $@

build:
	cargo build --workspace --all-targets

dev: venv
	bash scripts/dev.sh

test: venv
	bash scripts/test.sh

fuzz: venv
	bash scripts/fuzz.sh
