"""Simulator plumbing: the cocotb/Verilator runner (:mod:`pymodel.hw.sim.runner`), the registry of RTL
regressions (:mod:`pymodel.hw.sim.regressions`) and ``pymodel sim {regress,lint,list}`` (:mod:`pymodel.cli.sim`)."""
