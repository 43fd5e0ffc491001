# The two commands: `make dev` (local stack on 127.0.0.1:9000) and `make test` (everything CI runs).
.PHONY: dev test fuzz venv build dev-stop-test bench
SHELL := /bin/bash
VENV := .venv

venv: $(VENV)/.installed $(VENV)/sam/.installed

$(VENV)/.installed: requirements-dev.txt requirements-nodeps.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $@

# The SAM CLI pins its own click, boto3, pydantic…: it gets a virtualenv of its own, inside .venv.
SAM_VENV := $(VENV)/sam
$(SAM_VENV)/.installed: requirements-sam.txt
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

# zig, the cross linker of cargo-lambda: ~90 MB, so only for `make package` (and the deploy build).
$(VENV)/.installed-package: $(VENV)/.installed requirements-package.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-package.txt
	touch $@

.PHONY: ci-check package sam-venv package-tools
sam-venv: $(SAM_VENV)/.installed
package-tools: $(VENV)/.installed-package $(SAM_VENV)/.installed

# The CI configuration, offline (~15 s): workflows (zizmor, schema, policy), change detection,
# template (sam validate with and without --lint, deployment policy, versions). `make test` runs it.
ci-check: venv
	bash scripts/ci_check.sh

# The deployable arm64 zips in target-package/zip/, their sizes and SHA-256s (not part of `make
# test`). FUNCTIONS="catalog launch" for some; REV=<commit> to build a clean export of a commit.
package: package-tools
	source $(VENV)/bin/activate && python scripts/package.py $(if $(REV),--rev $(REV)) $(FUNCTIONS)

build:
	cargo build --workspace --all-targets

dev: venv
	bash scripts/dev.sh

test: venv
	bash scripts/test.sh

fuzz: venv
	bash scripts/fuzz.sh

# Cold start, warm latency, round trips, memory and size per function against a hello-world
# baseline and against GET /cards in Python and Node (bench/peers/), release build
# (docs/performance.md; not part of `make test`). BENCH_ARGS=--quick: a before/after check in < 3 min.
bench: venv
	bash scripts/bench.sh $(BENCH_ARGS)

# Starts and stops `make dev` ROUNDS times (TERM and INT to its process group) and checks nothing is left.
ROUNDS ?= 10
dev-stop-test: venv
	bash scripts/dev_stop_test.sh $(ROUNDS)
