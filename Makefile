# lastmeter — two commands for a newcomer: `make run` and `make test`.
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint pytest worker bench bench-stats bench-load cluster clean static browser-prereqs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

## Browser libraries (Leaflet, ECharts) from npm: `npm ci` against the committed lock file, then their
## dist files are copied into node_modules_static/, which Django serves (settings.STATICFILES_DIRS).
## Nothing is fetched from a CDN at run time.
STATIC_STAMP := node_modules_static/.stamp
$(STATIC_STAMP): package.json package-lock.json
	command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund
	rm -rf node_modules_static
	mkdir -p node_modules_static/vendor/leaflet node_modules_static/vendor/echarts
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
	      node_modules/leaflet/dist/images node_modules_static/vendor/leaflet/
	cp node_modules/echarts/dist/echarts.min.js node_modules_static/vendor/echarts/
	cp node_modules/leaflet/LICENSE node_modules_static/vendor/leaflet/LICENSE.txt
	cp node_modules/echarts/LICENSE node_modules_static/vendor/echarts/LICENSE.txt
	touch $(STATIC_STAMP)

static: $(STATIC_STAMP)

## The browser tests (pytest -m browser) drive Debian's chromium through Playwright, and the
## catalogue test extracts messages with GNU gettext's xgettext; as root we install what is
## missing, otherwise say how.
browser-prereqs:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v xgettext >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "the tests need Debian's$$missing: sudo apt-get install$$missing" >&2; fi; \
	fi

## Run the product with demo data on the embedded default (SQLite, in-memory channel layer,
## in-process worker) at http://127.0.0.1:$(PORT)/ — `make run PORT=8001` when 8000 is taken.
## LASTMETER_DEMO_SIMULATION=0 make run: the demo without its simulated activity.
PORT ?= 8000
run: $(STAMP) $(STATIC_STAMP)
	$(BIN)/lastmeter demo --port $(PORT)
	$(BIN)/lastmeter serve --port $(PORT)

## Lint, type-check and run the whole test suite.
test: lint pytest

lint: $(STAMP)
	$(BIN)/ruff check lastmeter bench scripts
	$(BIN)/mypy lastmeter
	$(BIN)/python scripts/check_imports.py

pytest: $(STAMP) $(STATIC_STAMP) browser-prereqs
	mkdir -p var
	$(BIN)/pytest -n 2 -p no:cacheprovider

## The stats endpoints on 1M appeals of history (PostgreSQL; the figures are in docs/BENCHMARKS.md).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lastmeter_bench
bench-stats: $(STAMP)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/stats.py

## The scaled-out cluster under a realistic mix, against one server + one worker (PostgreSQL and
## Redis of this machine; figures in docs/BENCHMARKS.md). LOAD_ARGS="--duration 300" for longer.
LOAD_ARGS ?=
bench-load: $(STAMP)
	$(BIN)/python bench/load.py $(LOAD_ARGS)

## deploy/README.md's layout on this machine: 2 web + 2 workers behind a proxy on :8080.
cluster: $(STAMP)
	PYTHON=$(BIN)/python scripts/cluster.sh

worker: $(STAMP)
	$(BIN)/lastmeter worker

clean:
	rm -rf $(VENV) var node_modules node_modules_static

## Refresh the translation catalogue from the code, then compile it (needs gettext's xgettext).
i18n: $(STAMP)
	cd lastmeter && ../$(BIN)/django-admin makemessages -l zh_Hans --settings=lastmeter.settings --pythonpath=.. -i "*/tests/*" -i "testing/*"
	$(BIN)/python scripts/compile_messages.py
