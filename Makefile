# Two commands a newcomer needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
# small matrices: BLAS threads only oversubscribe the cores (see app/__main__.py)
export OPENBLAS_NUM_THREADS = 1
export OMP_NUM_THREADS = 1

.PHONY: run test lint typecheck pytest bench clean check-browser check-redis wheel plotly

$(VENV)/.run-deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# One worker per core; they share their classroom rooms through a private redis-server that
# python -m app starts itself. Without redis-server installed it serves with one worker (and
# says so in one line), so `make run` needs nothing else.
run: $(VENV)/.run-deps  ## serve on http://$(HOST):$(PORT)
	$(PY) -m app --host $(HOST) --port $(PORT)

check-browser:
	@test -x "$(CHROMIUM)" || { \
	  echo "No Chromium at $(CHROMIUM): the browser tests need one."; \
	  echo "Install Debian's: sudo apt-get install chromium   (or run: make test CHROMIUM=/path/to/chromium)"; \
	  echo "Do not run 'playwright install': the tests use the system browser."; \
	  exit 1; }

# The room tests run against real Redis: they start and stop their own redis-server processes
# (app.redis_server.private_redis, on Unix sockets in temp folders), so nothing is started here;
# they only need the binary.
check-redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "No redis-server on PATH: the room tests (across workers and hosts) need one."; \
	  echo "Install Debian's: sudo apt-get install redis-server"; \
	  echo "(the tests start and stop their own servers; none needs to be running)"; \
	  exit 1; }

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint Dockerfile

typecheck: $(VENV)/.test-deps
	$(VENV)/bin/mypy

pytest: $(VENV)/.test-deps check-browser check-redis
	$(PY) -m pytest

test: lint typecheck pytest  ## ruff, mypy and every test, browser tests included

bench: $(VENV)/.run-deps
	$(PY) -m bench.engine
	$(PY) -m bench.stream
	$(PY) -m bench.circles
	$(PY) -m bench.digits
	$(PY) -m bench.classroom

# The wheel CI builds, installed in a fresh venv and smoke-tested from outside the repository.
wheel: $(VENV)/.test-deps
	bash .ci/wheel

# Rebuild the vendored Plotly bundle (app/static/vendor) from tools/plotly's lockfile: needs npm.
plotly:
	tools/plotly/build.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
