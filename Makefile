# Imprimatur: `make demo` runs it, `make test` tests it. Nothing else is needed first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: demo test bench lint typecheck check install services chromium clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# Test-only: checks that invisible-watermark's own decoder reads our marks. Its
	# metadata wants opencv-python, which would overwrite NudeNet's headless cv2.
	$(PY) -m pip install --quiet --no-deps invisible-watermark==0.2.0 PyWavelets==1.9.0
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## demo: install, migrate, seed users/project/templates, build the tiny model, start web + worker
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	bash scripts/demo.sh

## test: install what the tests need (venv, Chromium) and run the whole suite
test: install chromium services
	$(PY) -m pytest

## bench: every performance goal, measured, its goal printed beside it (record results in
## docs/benchmarks.md). BENCH_ARGS go to the end-to-end harness, e.g. BENCH_ARGS=--short
bench: install services
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) scripts/bench_audit.py
	$(PY) scripts/bench_prompt_filter.py
	$(PY) scripts/bench_image_filter.py
	$(PY) scripts/bench_renditions.py
	$(PY) scripts/bench_provenance.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) scripts/bench_delivery.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) scripts/bench_api.py
	mkdir -p var/bench
	$(PY) scripts/bench_pipeline.py --mode cpu --resolution 512 --json var/bench/pipeline-cpu.json
	$(PY) scripts/bench_generation.py $(BENCH_ARGS)
	$(PY) scripts/bench_metrics.py

## services: start PostgreSQL, RabbitMQ and Redis if they are not already up
services:
	bash scripts/ensure_services.sh

chromium:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check apps config tests

typecheck: install
	$(VENV)/bin/mypy apps config

check: lint typecheck test

clean:
	rm -rf var staticfiles .pytest_cache
