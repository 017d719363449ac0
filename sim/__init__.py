"""Simulator plumbing: the cocotb/Verilator runner (:mod:`sim.runner`), the registry of RTL
regressions (:mod:`sim.regressions`) and ``python -m sim {regress,lint}``."""
