# One entry point for everything; each target bootstraps .venv from requirements.lock first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lock-installed
PYTEST_ARGS ?=

.PHONY: help venv sim sim-full test lint vectors replay cosim cosim-all fpga fpga-array bench accuracy explore explore-scale report clean

help:
	@echo "make sim       build and run the RTL regression (Verilator, and a subset under Icarus), print a summary"
	@echo "               SIM=icarus make sim: every run under Icarus Verilog alone"
	@echo "make sim-full  the same with the long (slow) sweeps"
	@echo "make test      the whole pytest suite, RTL regressions included"
	@echo "make lint      verilator --lint-only -Wall on every RTL module"
	@echo "make vectors   write the FPGA test-vector sets under vectors/"
	@echo "make replay    replay vector sets through the plain-Verilog bench"
	@echo "make cosim     co-simulate a real conv layer tile through the MAC array RTL"
	@echo "make cosim-all every decoder layer of the full-width network at 480x640 in full through the MAC array RTL (COSIM_ARGS)"
	@echo "make fpga      ECP5 bring-up bitstream, timing, netlist simulation, equivalence (FPGA_ARGS)"
	@echo "make fpga-array  MAC array LUT4/FF/DSP/Fmax on ECP5, mbm/mitchell/exact x LANES 1,4,16,64 (FPGA_ARRAY_ARGS)"
	@echo "make bench     time the approximate conv backends against exact conv"
	@echo "make accuracy  per-layer accuracy sweep of the depth network"
	@echo "make explore   which multiplier in which layer within the accuracy budget, at what hardware cost"
	@echo "make report    the sign-off report under reports/"

venv: $(STAMP)

# The venv is rebuilt whenever the lock file changes; torch is pinned there (CPU wheel). The
# project itself is installed editable without dependencies (all of them come from the lock),
# which puts the `pymodel` console script in .venv/bin.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Verilator runs plus the Icarus subset; SIM=icarus (or SIM=verilator): every run under that one alone
SIM ?=
SIM_ARGS := $(if $(SIM),--sim $(SIM))

sim: $(STAMP)
	$(PY) -m pymodel sim regress $(SIM_ARGS)

sim-full: $(STAMP)
	$(PY) -m pymodel sim regress --full $(SIM_ARGS)

test: $(STAMP)
	$(PY) -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m pymodel sim lint

# FPGA vector sets (git-ignored); VECTORS_ARGS e.g. --seed 2
vectors: $(STAMP)
	$(PY) -m pymodel vectors --out vectors $(VECTORS_ARGS)

# every generated set through tb/replay/ under verilator --binary (exit 1 on any mismatch)
replay: vectors
	$(PY) -m pymodel replay vectors $(REPLAY_ARGS)

# the network's decoder.up5.convA in full, then a synthetic 112->48 3x3 tile of the seed network's shape
cosim: $(STAMP)
	$(PY) -m pymodel cosim --layer decoder.up5.convA --tile full $(COSIM_ARGS)
	$(PY) -m pymodel cosim --layer synthetic --tile 0:0:8:8 $(COSIM_ARGS)

# All 14 decoder layers of one forward pass (full-width seeded network on a synthetic 480x640
# scene unless COSIM_ARGS names --checkpoint/--data), every output pixel through the MAC array
# RTL; reports/cosim-all/<layer>.json each (make cosim's tiles stay in reports/cosim/). Resumable:
# a rerun skips layers whose record is up to date (--force reruns them). COSIM_ARGS e.g.
# "--layers up5.* --jobs 1 --mult mitchell" or "--mult verilog:my_mul.v:signed".
cosim-all: $(STAMP)
	$(PY) -m pymodel cosim-all $(COSIM_ARGS)

# ECP5 bring-up bitstream of one vector set (default mbm_mul/exhaustive-mbm-n8-t0 on the
# ULX3S LFE5U-85F at 25 MHz): synthesis, place and route, timing (exit 1 if not met), RTL and
# netlist bring-up simulations, formal equivalence; writes build/fpga/<design>/ and
# reports/fpga/<design>.json. FPGA_ARGS e.g. "--set golden/mbm_mul/corners-mbm-n8-t0 --board ulx3s-25f".
fpga: vectors
	$(PY) -m pymodel fpga $(FPGA_ARGS)

# The MAC array alone through synth_ecp5 and nextpnr-ecp5 (ULX3S 85F, 25 MHz by default):
# reports/fpga/array/<mult>-l<LANES>.json and the summary reports/fpga/array/summary.json, which the
# sign-off report reads. FPGA_ARRAY_ARGS e.g. "--lanes 16 --skid 1 --pipe 1".
fpga-array: $(STAMP)
	$(PY) -m pymodel fpga array $(FPGA_ARRAY_ARGS)

# Sign-off report: reads the results under reports/, synthesizes what is not cached yet
# (Yosys), names the make target of anything missing; writes reports/signoff.{html,md,json}.
report: $(STAMP)
	$(PY) -m pymodel report --config signoff.toml --out reports --run-missing $(REPORT_ARGS)

# Approximate conv backends vs exact torch conv on the 14 decoder layers at 480x640;
# writes reports/bench.json (BENCH_ARGS e.g. "--layers up5* --repeats 3 --backends cpu").
bench: $(STAMP)
	$(PY) -m pymodel bench --out reports/bench.json $(BENCH_ARGS)

# Per-layer accuracy sweep; the bundled SYNTHETIC default unless ACCURACY_ARGS names
# --checkpoint and --data (e.g. ACCURACY_ARGS="--checkpoint ck.pth --data nyu_test.zip").
accuracy: $(STAMP)
	$(PY) -m pymodel sweep --out reports/accuracy $(ACCURACY_ARGS)

# Design-space exploration: per-layer multiplier choice against hardware cost within the budget
# of signoff.toml; writes reports/explore/ (EXPLORE_ARGS e.g. "--mults mbm:8,mitchell:8,exact:8
# --budget a1=-1,rel=+2 --images 5 --ray").
explore: $(STAMP)
	$(PY) -m pymodel explore --out reports/explore $(EXPLORE_ARGS)

# Time per image-row of the full-width network at 480x640, in process, on a local pool and on a
# two-node loopback Ray cluster; the projection for the Eigen split (reports/explore/scale.json).
explore-scale: $(STAMP)
	$(PY) scripts/explore_scale.py

clean:
	rm -rf sim_build build reports .pytest_cache .hypothesis
