# `make run` serves the app at http://127.0.0.1:5000; `make test` runs every test.
# Both create .venv and install what the project needs on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test browser-deps bench lighthouse mutate

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/flask --app entrypoints.web run --host 127.0.0.1 --port 5000

# Chromium and a CJK font for the browser tests, from Debian, where we may install; otherwise
# those tests skip and say why.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
		|| echo "could not install chromium: browser tests will skip"; fi

# Not part of `make test`: starts servers, loads them for minutes and prints the table in the README.
bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'  # the Flask-Security-Too peer (tests/benchmarks/peer.py)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m tests.benchmarks.run $(BENCH_ARGS)

test: $(BIN)/.installed browser-deps
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

# Not part of `make test`: Lighthouse (npm, installed into .tools/ on first use) with Debian's Chromium on /,
# /login and /register, mobile and desktop; prints the scores and checks the targets in the README.
lighthouse: $(BIN)/.installed browser-deps
	$(BIN)/python -m tests.lighthouse

# Not part of `make test`: mutmut on domain/ against tests/unit, then on the web layer's auth.py and api.py against
# the integration tests on SQLite (tests/mutation/report.py); fails on a survivor that is not listed, with its
# reason, in tests/mutation/equivalent.txt or equivalent-web.txt. MUTATE_TARGET=domain or web runs one of them.
mutate: $(BIN)/.installed
	$(BIN)/python -m tests.mutation.report $(MUTATE_TARGET)
