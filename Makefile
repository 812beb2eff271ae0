# orbit-voice: `make run` serves the API, `make test` runs the whole suite.
# Both install what they need first, on a fresh Debian 12 machine too.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PG_URL_DEFAULT := postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run test install lint bench clean system-deps

$(STAMP): pyproject.toml
	@if ! $(PYTHON) -m venv --help >/dev/null 2>&1 || ! $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; then \
		echo "installing python3-venv with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-dev; \
	fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: system-deps $(STAMP)
	$(BIN)/orbit-voice serve --bootstrap --host 127.0.0.1 --port 8000

# Debian packages the tests use, installed only when missing:
# espeak-ng speaks the voice-clone samples the tests upload and the simulator's speech;
# sox resamples that speech to the 8 kHz telephone rate.
system-deps:
	@command -v espeak-ng >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng)
	@command -v sox >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sox)
	@# sipp (Debian: sip-tester) is the real SIP carrier/caller of the SIP engine's tests and bench.
	@command -v sipp >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester)

# SQLite always; PostgreSQL too when ORBIT_TEST_POSTGRES_URL is set (then it must pass)
# or when a server answers on 127.0.0.1:5432.
test: system-deps $(STAMP)
	ORBIT_TEST_DB=sqlite $(BIN)/pytest
	@if [ -n "$$ORBIT_TEST_POSTGRES_URL" ] || $(BIN)/python -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1)' 2>/dev/null; then \
		echo "== PostgreSQL run =="; \
		ORBIT_TEST_DB=postgres ORBIT_TEST_POSTGRES_URL=$${ORBIT_TEST_POSTGRES_URL:-$(PG_URL_DEFAULT)} $(BIN)/pytest || exit 1; \
	else \
		echo "== PostgreSQL run skipped: no server on 127.0.0.1:5432 and ORBIT_TEST_POSTGRES_URL unset =="; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: system-deps $(STAMP)
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/stt_accuracy.py

clean:
	rm -rf $(VENV) orbit.db orbit.db-* data
