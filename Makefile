# iap-registry: the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT   ?= 8501

.PHONY: run test lint bench reliability e2e sysdeps install clean

# System packages the tests use: GDAL's own ogrinfo reads what we write; Debian's Chromium
# runs the browser tests (Playwright drives it; no browser download).
# PostgreSQL + PostGIS is the server store's test server (scripts/postgis-test-server).
# GDAL's Python bindings (python3-gdal, Debian's python3) read a GeoPackage's relationships.
# GNU gettext's msgfmt checks the translation files as translators' tools will.
# Node.js runs the OpenID Connect provider the single sign-on test starts (tests/oidc).
# DejaVu Sans: the convergence chart names it and measures its labels with it.
# nginx and systemd-analyze: the deployment test runs deploy/ as a whole (tests/e2e).
PG_CONTROL := /usr/share/postgresql/15/extension/postgis.control
APT_NEEDS := $(if $(shell command -v ogrinfo),,gdal-bin) $(if $(shell command -v chromium),,chromium) \
	$(if $(wildcard $(PG_CONTROL)),,postgresql-15-postgis-3) $(if $(shell command -v msgfmt),,gettext) \
	$(if $(shell /usr/bin/python3 -c 'import osgeo' 2>/dev/null && echo y),,python3-gdal) \
	$(if $(shell command -v npm),,nodejs npm) \
	$(if $(wildcard /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf),,fonts-dejavu-core) \
	$(if $(wildcard /usr/sbin/nginx),,nginx-light) $(if $(shell command -v systemd-analyze),,systemd)
sysdeps:
	@if [ -n "$(strip $(APT_NEEDS))" ]; then \
	  echo "Installing $(strip $(APT_NEEDS)) with apt-get..."; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_NEEDS) >/dev/null; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[app,server,test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/iap-registry seed
	$(VENV)/bin/streamlit run app.py --server.headless true --server.port $(PORT)

OIDC_STAMP := tests/oidc/node_modules/.installed
$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

test: sysdeps install lint $(OIDC_STAMP)
	scripts/postgis-test-server
	$(PY) -m pytest

# Hostile inputs, faults and load with their full counts; prints the README's table.
reliability: sysdeps install
	scripts/postgis-test-server
	$(PY) scripts/reliability.py

# The benchmark suite (not part of `make test`; tests/test_bench.py runs it once at N = 1,000).
# bench.api drives our OGC API and pygeoapi (in .bench/pygeoapi) with wrk, on PostGIS;
# bench.stores runs the same operations on GeoPackage and PostGIS and prints their ratios;
# bench.million measures the GeoPackage store at 1,000,000 entries; bench.app_sessions the
# app's server (CPU per user flow, 10 browser sessions at once, memory after they close);
# bench.cli the command's start-up.
bench: sysdeps install
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	scripts/postgis-test-server
	$(PY) -m bench.run
	$(PY) -m bench.stores
	$(PY) -m bench.million
	$(PY) -m bench.app_sessions
	$(PY) -m bench.cli
	$(PY) -m bench.api

lint: install
	$(PY) -m ruff check registry tests app.py bench scripts
	$(PY) -m ruff format --check registry tests app.py bench scripts
	$(PY) -m mypy registry

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
