"""Runner smoke test: plain cocotb (no pyuvm), mbm_mul all pairs against pymodel.

Used by tests/hw/test_sim_runner.py to check the runner end to end: build, run, the result
record, and that a wrong expectation (SMOKE_BREAK=1: model off by one) is reported failed.
"""

import os
import time

import cocotb
import numpy as np
from cocotb.triggers import Timer

from pymodel.core.arith import MulConfig, mul_unsigned
from pymodel.hw.tb.common.results import run_seed, sim_params, write_record


@cocotb.test()
async def smoke_all_pairs(dut):
    params = sim_params()
    n = params["N"]
    cfg = MulConfig(mult="mbm", bits=n)
    a, b = np.divmod(np.arange(1 << (2 * n), dtype=np.int64), 1 << n)
    expected = mul_unsigned(a, b, cfg) + (1 if os.environ.get("SMOKE_BREAK") == "1" else 0)
    got = np.empty_like(expected)
    start = time.perf_counter()
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        dut.a_i.value = x
        dut.b_i.value = y
        await Timer(1, "ns")
        got[i] = dut.p_o.value.to_unsigned()
    seconds = time.perf_counter() - start
    bad = np.flatnonzero(got != expected)
    write_record(
        "smoke_all_pairs",
        seed=run_seed(),
        transactions=int(a.size),
        mismatches=int(bad.size),
        coverage_pct=None,
        result="FAIL" if bad.size else "PASS",
        seconds=seconds,
        tps=a.size / seconds,
    )
    assert not bad.size, f"{bad.size} mismatches, first a={a[bad[0]]} b={b[bad[0]]} rtl={got[bad[0]]} model={expected[bad[0]]}"
