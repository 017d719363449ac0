"""hw: everything that touches the Verilog, built on :mod:`pymodel.core` and :mod:`pymodel.nn`.

The RTL plumbing (:mod:`~pymodel.hw.sim`: cocotb runner, regression registry, lint), the pyuvm
testbenches (:mod:`~pymodel.hw.tb`, loaded by the simulator by module path), the conv-layer
extraction shared by co-simulation and vectors (:mod:`~pymodel.hw.layers`), FPGA vector sets
and their formats (:mod:`~pymodel.hw.vectors`, :mod:`~pymodel.hw.vecformat`), the replay
benches (:mod:`~pymodel.hw.replay`), co-simulation (:mod:`~pymodel.hw.cosim`) and synthesis
(:mod:`~pymodel.hw.synthesis`).
"""
