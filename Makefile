# `make run` serves the app at http://127.0.0.1:5000; `make test` runs the linters and every test; `make test-unit`
# runs the unit tests alone, in seconds. Both create .venv and install what the project needs on first use, from
# the lock files in requirements/ (every package pinned with its hash), never by resolving versions anew.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
STYLELINT := $(TOOLS)/node_modules/.bin/stylelint
# Node 18 (Debian 12) and later; stylelint 17 wants Node 20.19.
STYLELINT_VERSION := 16.25.0
STYLELINT_PACKAGES := stylelint@$(STYLELINT_VERSION) stylelint-config-standard@39.0.1
# pip-tools' options for every lock file.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links $(LOCK_ARGS)

.PHONY: run test test-unit lint lock browser-deps nginx-deps stylelint-deps bench lighthouse mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The lock first, then the project itself without resolving anything (setuptools for the build is in the lock).
define install_locked
	$(BIN)/python -m pip install --quiet --require-hashes -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@
endef

$(VENV)/.run-installed: requirements/run.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/run.txt)

$(VENV)/.dev-installed: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/dev.txt)

$(VENV)/.bench-installed: requirements/bench.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/bench.txt)

run: $(VENV)/.run-installed
	$(BIN)/flask --app entrypoints.web run --host 127.0.0.1 --port 5000

# Regenerates the lock files from the ranges in pyproject.toml, keeping every pin that still fits them;
# `make lock LOCK_ARGS=--upgrade` (or `--upgrade-package NAME`) moves pins forward. Each file is constrained by the
# one before it, so run, dev and bench install the same version of every package they share; pre-commit's ruff
# follows the locked one.
# requirements/lock.in adds the build backend and what other Python 3.11 releases need.
LOCK_SOURCES := pyproject.toml requirements/lock.in
lock: $(VENV)/.dev-installed
	$(PIP_COMPILE) --output-file requirements/run.txt $(LOCK_SOURCES)
	$(PIP_COMPILE) --extra dev --constraint requirements/run.txt --output-file requirements/dev.txt $(LOCK_SOURCES)
	$(PIP_COMPILE) --extra dev --extra bench --constraint requirements/dev.txt --output-file requirements/bench.txt \
		$(LOCK_SOURCES)
	sed -i "s/ruff==[0-9.]*/$$(grep -o '^ruff==[0-9.]*' requirements/dev.txt)/" .pre-commit-config.yaml

# Import layers, ruff's lint and format, mypy, and stylelint on our stylesheets. Without stylelint (Node is not a
# Python dependency) the CSS check is skipped and says so, unless REQUIRE_SERVICES=1, as in CI.
lint: $(VENV)/.dev-installed
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@if [ -x $(STYLELINT) ]; then \
		$(STYLELINT) --config-basedir $(TOOLS) 'entrypoints/web/static/**/*.css'; \
	elif [ "$$REQUIRE_SERVICES" = 1 ]; then \
		echo "stylelint is not installed (make stylelint-deps) and REQUIRE_SERVICES=1"; exit 1; \
	else \
		echo "SKIPPED stylelint: not installed, CSS not checked (make stylelint-deps installs it into $(TOOLS)/)"; fi

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(VENV)/.dev-installed
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

# Chromium and a CJK font for the browser tests, from Debian, where we may install; otherwise those tests skip and
# say why. Not run by `make test`: .ci/run calls it, and so may anyone who wants the browser tests.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
		|| echo "could not install chromium: browser tests will skip"; fi

# nginx from Debian, for the test of the documented reverse proxy (docs/deploy/nginx.conf) under a slow-headers
# attack; without it that test skips and says why. Not run by `make test`: .ci/run calls it.
nginx-deps:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null) \
		|| echo "could not install nginx: the reverse-proxy test will skip"; fi

# stylelint from npm into .tools/ (beside Lighthouse), at the versions above. Not run by `make test`: .ci/run calls it.
stylelint-deps:
	@if ! $(STYLELINT) --version 2>/dev/null | grep -qx "$(STYLELINT_VERSION)"; then \
		mkdir -p $(TOOLS) && npm install --prefix $(TOOLS) --no-audit --no-fund --silent --save-exact \
		$(STYLELINT_PACKAGES); fi

# Not part of `make test`: starts servers, loads them for minutes and prints the table (docs/performance.md).
# The bench lock adds the Flask-Security-Too peer (tests/benchmarks/peer.py).
bench: $(VENV)/.bench-installed
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m tests.benchmarks.run $(BENCH_ARGS)

# Not part of `make test`: Lighthouse (npm, installed into .tools/ on first use) with Debian's Chromium on /,
# /login and /register, mobile and desktop; prints the scores and checks the targets in docs/testing.md.
lighthouse: $(VENV)/.dev-installed browser-deps
	$(BIN)/python -m tests.lighthouse

# Not part of `make test`: mutmut on domain/ against tests/unit, then on the web layer's auth.py and api.py against
# the integration tests on SQLite (tests/mutation/report.py); fails on a survivor that is not listed, with its
# reason, in tests/mutation/equivalent.txt or equivalent-web.txt. MUTATE_TARGET=domain or web runs one of them.
mutate: $(VENV)/.dev-installed
	$(BIN)/python -m tests.mutation.report $(MUTATE_TARGET)
