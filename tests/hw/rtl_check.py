"""Shared by the tests/hw/test_rtl_*.py wrappers: parametrize over the regressions of a DUT
(sim/regressions.py, the same runs `make sim` makes) and check one run's outcome."""

from __future__ import annotations

import pytest

from pymodel.hw.sim import regressions
from pymodel.hw.sim.runner import SimResult


def params(dut: str, expect_fail: bool = False) -> list:
    """pytest parameters (ids = run names, slow runs marked slow) of a DUT's regressions."""
    return [
        pytest.param(reg, id=reg.name, marks=[pytest.mark.slow] if reg.slow else [])
        for reg in regressions.select(full=True, dut=dut)
        if reg.expect_fail == expect_fail
    ]


def check_passes(reg: regressions.Regression) -> SimResult:
    """Run ``reg``; it must pass bit-exact with every coverage bin hit (coverage printed)."""
    result = reg.run()
    ok, why = reg.verdict(result)
    assert ok, f"{why}\n{result.summary()}"
    for rec in result.records:
        assert rec.mismatches == 0
        assert rec.coverage_pct == 100.0, rec.coverage
        print(f"{reg.name} {rec.test}: {rec.transactions:,} transactions, coverage {rec.coverage_pct}%, "
              f"{rec.tps:,.0f} tx/s, seed {rec.seed}")
        for group, cov in rec.coverage.items():
            print(f"  {group}: " + ", ".join(f"{k} {v['hit']}/{v['bins']}" for k, v in cov["items"].items()))
    return result


def check_fails(reg: regressions.Regression) -> SimResult:
    """Run a deliberately wrong design/model pair; the bench must FAIL it with mismatches."""
    result = reg.run()
    assert not result.passed, f"the bench passed a wrong model: {result.summary()}"
    assert result.failed == result.tests >= 1
    (record,) = result.records
    assert record.result == "FAIL" and record.mismatches > 0
    assert record.first_mismatches and "MISMATCH" in record.first_mismatches[0]
    assert "MISMATCH" in result.log_tail(200_000)
    ok, why = reg.verdict(result)
    assert ok, why
    print(f"{reg.name}: caught, {record.mismatches:,} mismatches; first: {record.first_mismatches[0]}")
    return result
