"""The RTL regressions under Verilator + pyuvm, one pytest per run of pymodel/hw/sim/regressions.py
(the runs `make sim` makes; the slow ones are `make sim-full` / `pytest -m slow`), and the
registry's Icarus subset under Icarus Verilog with the same checks (ids ``<run>@icarus``; one
of them, :data:`QUICK_ICARUS`, in the default run, the others slow; skipped with the reason
where iverilog is not installed).

* mbm_mul (unsigned combinational MBM): N=8 exhaustive (all 65,536 pairs, also with
  FRAC_OUT=1 and MITCHELL=1), N=4 exhaustive, N=12 and N=16 random plus corners (N=16:
  >= 200,000 pairs), TRUNC>0.
* mbm_mul_signed (sign-magnitude): N=8 exhaustive (all 261,121 pairs of [-255, 255]^2), N=4
  exhaustive, N=12 TRUNC=3, N=16 random plus corners (>= 200,000 pairs), N=16 TRUNC=8 FRAC_OUT=1.
* mbm_mul_axis (registered AXI-Stream): random input stalls and output backpressure,
  full-throughput, stability and latency checks, unsigned and signed, LATENCY 1..3; and
  deliberately broken handshakes the protocol checks must report.
* mbm_mac_array: (N, LANES, ACC_W, TRUNC, FRAC_OUT, MITCHELL) sets, each run also proving in
  the same simulation that the bench fails a wrong model; slow: a soak of long dot products
  and an accumulator-width model error.

Every run must pass bit-exact with every coverage bin hit; each expect-fail run of the
registry (a deliberately wrong model) must be caught with mismatch reports. Lint of the
legal and illegal parameter sets is in test_rtl_lint.py, from the same registry.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from pymodel.hw.sim import regressions, runner
from pymodel.hw.sim.runner import ICARUS, VERILATOR, SimResult

pytestmark = pytest.mark.rtl

#: the one Icarus run of the default pytest run: a clocked DUT with random stalls and
#: backpressure (where an event-driven simulator can disagree with a cycle-based one), a few
#: seconds; the other Icarus runs are slow (``make sim`` makes them all)
QUICK_ICARUS = "axis-n8-l2-random"


def registry_params(expect_fail: bool) -> list:
    """pytest parameters (reg, simulator) of every registered run under Verilator (ids = run
    names) and of the Icarus subset (ids ``<run>@icarus``, marked icarus); slow runs and all
    Icarus runs but :data:`QUICK_ICARUS` marked slow."""
    out = []
    for reg, sim in regressions.plan(full=True):
        if reg.expect_fail != expect_fail:
            continue
        slow = reg.slow or (sim == ICARUS and reg.name != QUICK_ICARUS)
        marks = [*([pytest.mark.slow] if slow else []), *([pytest.mark.icarus] if sim == ICARUS else [])]
        out.append(pytest.param(reg, sim, id=reg.name if sim == VERILATOR else f"{reg.name}@{sim}", marks=marks))
    return out


def test_the_quick_icarus_run_is_registered():
    assert regressions.by_name(QUICK_ICARUS).icarus and not regressions.by_name(QUICK_ICARUS).slow


def check_passes(reg: regressions.Regression, simulator: str = VERILATOR) -> SimResult:
    """Run ``reg``; it must pass bit-exact with every coverage bin hit (coverage printed)."""
    result = reg.run(simulator=simulator)
    ok, why = reg.verdict(result)
    assert ok, f"{why}\n{result.summary()}"
    for rec in result.records:
        assert rec.mismatches == 0
        assert rec.coverage_pct == 100.0, rec.coverage
        print(f"{reg.name} ({simulator}) {rec.test}: {rec.transactions:,} transactions, coverage {rec.coverage_pct}%, "
              f"{rec.tps:,.0f} tx/s, seed {rec.seed}")
        for group, cov in rec.coverage.items():
            print(f"  {group}: " + ", ".join(f"{k} {v['hit']}/{v['bins']}" for k, v in cov["items"].items()))
    return result


def check_axis(reg: regressions.Regression, simulator: str = VERILATOR) -> None:
    """As :func:`check_passes`, and both handshake stalls (backpressure, input waits) seen."""
    (record,) = check_passes(reg, simulator).records
    handshake = {k: v for group, cov in record.coverage.items() if "axis" in group for k, v in cov["items"].items()}
    assert handshake["backpressure"]["hit"] == 2 and handshake["in_wait"]["hit"] == 2


def mac_run(parameters, name: str, testcase: str | list[str], sources=None, **kwargs) -> SimResult:
    """Run cocotb test(s) ``testcase`` of the MAC array bench (see :func:`runner.run`)."""
    dut = regressions.DUTS["mbm_mac_array"]
    return runner.run(dut.toplevel, sources or dut.sources, parameters, dut.test_module, name=name, testcase=testcase,
                      **kwargs)


def check_mac_array(reg: regressions.Regression, simulator: str = VERILATOR) -> None:
    """MacArrayTest must pass bit-exact with every bin hit; in the same simulator run
    MacArrayWrongModelTest (exact-product model vs approximate RTL) must be caught."""
    sources, env = reg.inputs()
    result = mac_run(reg.parameters, reg.name, [reg.testcase, "MacArrayWrongModelTest"], sources, samples=reg.samples,
                     extra_env=env, simulator=simulator)
    assert result.passed and result.tests == 2, result.summary()
    records = {r.test: r for r in result.records}
    good, wrong = records["MacArrayTest"], records["MacArrayWrongModelTest"]
    assert good.result == "PASS" and good.mismatches == 0, good.failures
    assert good.coverage_pct == 100.0, good.coverage
    assert wrong.result == "FAIL" and wrong.mismatches > 0, "the bench passed a wrong model"
    assert "MISMATCH" in wrong.first_mismatches[0]
    print(f"{reg.name} ({simulator}): {good.transactions} dot products, {good.tps:.0f}/s, seed {good.seed}; "
          f"wrong model caught: {wrong.first_mismatches[0]}")


#: what a passing run of each DUT must show beyond :func:`check_passes` (under either simulator)
CHECKS: dict[str, Callable[[regressions.Regression, str], object]] = {
    "mbm_mul": check_passes,
    "mbm_mul_signed": check_passes,
    "mbm_mul_axis": check_axis,
    "mbm_mac_array": check_mac_array,
}


def test_every_dut_has_a_check():
    assert set(CHECKS) == set(regressions.cocotb_duts())


@pytest.mark.parametrize("reg,simulator", registry_params(expect_fail=False))
def test_regression(reg, simulator):
    CHECKS[reg.dut](reg, simulator)


@pytest.mark.parametrize("reg,simulator", registry_params(expect_fail=True))
def test_bench_catches_a_wrong_model(reg, simulator):
    """A deliberately wrong design/model pair (e.g. Mitchell RTL scoreboarded as MBM) must
    FAIL with mismatch reports."""
    result = reg.run(simulator=simulator)
    assert not result.passed, f"the bench passed a wrong model: {result.summary()}"
    assert result.failed == result.tests >= 1
    (record,) = result.records
    assert record.result == "FAIL" and record.mismatches > 0
    assert record.first_mismatches and "MISMATCH" in record.first_mismatches[0]
    assert "MISMATCH" in result.log_tail(200_000)
    ok, why = reg.verdict(result)
    assert ok, why
    print(f"{reg.name}: caught, {record.mismatches:,} mismatches; first: {record.first_mismatches[0]}")


#: (label, DUT, text in its rtl/<dut>.v, the broken replacement, what the bench must report,
#: parameters, cocotb test, samples): deliberately broken RTL, not a wrong model
MUTANTS = [
    ("output-never-valid", "mbm_mul_axis", "assign m_axis_tvalid = valid[LATENCY];", "assign m_axis_tvalid = 1'b0;",
     "the DUT is stuck"),
    ("loads-while-stalled", "mbm_mul_axis", "end else if (ready[i]) begin", "end else begin", "changed while stalled"),
    ("no-bubble-fill", "mbm_mul_axis", "assign ready[i]   = m_axis_tready | ~&valid[LATENCY:i+1];",
     "assign ready[i]   = ~valid[i+1];", "AXI-Stream BFM"),
    # the array bench drives random s_axis_tuser on every beat but a dot product's first
    ("bias-on-last-beat", "mbm_mac_array", "if (!in_dot_q) p_bias_q <= x_tuser;",
     "if (x_tlast) p_bias_q <= x_tuser;", "MISMATCH dot #"),
    ("half-throughput", "mbm_mac_array", "assign x_tready = !rst && (!p_valid_q || p_take);",
     "assign x_tready = !rst && !p_valid_q;", "not full throughput"),
    # the options: exact products signed by one operand only, a skid buffer that loses the
    # beat it caught, a pipeline stage that never fills, a skid whose ready lags two cycles
    ("exact-sign-of-act-only", "mbm_mac_array", "assign prod[l*PS_W +: PS_W] = (act[N] ^ wgt[N]) ?",
     "assign prod[l*PS_W +: PS_W] = (act[N]) ?", "MISMATCH dot #"),
    ("skid-loses-caught-beat", "mbm_mac_array", "tmp_valid_q <= s_axis_tvalid;", "tmp_valid_q <= 1'b0;",
     "MISMATCH dot #"),
    ("pipe-never-fills", "mbm_mac_array", "assign p_take  = !q_valid_q || acc_fire;", "assign p_take  = acc_fire;",
     "not full throughput"),
    ("skid-ready-late", "mbm_mac_array", "wire ready_d = x_tready || (!tmp_valid_q && (!out_valid_q || !s_axis_tvalid));",
     "wire ready_d = !tmp_valid_q && !out_valid_q;", "not full throughput"),
]
_MUTANT_RUN = {"mbm_mul_axis": ({"N": 8, "SIGNED": 0, "LATENCY": 2}, "AxisRandomTest", 3000),
               "mbm_mac_array": (regressions.by_name("mac-n8-l4-a32").parameters, "MacArraySaturationTest", None)}
#: mutants of an option: (the regression that turns it on, cocotb test, samples); the skid's
#: temporary register only fills when a tlast beat meets a full result register, which the
#: short dot-product bursts of MacArrayTest provoke
_MUTANT_REGRESSION = {"exact-sign-of-act-only": ("mac-n8-l4-a32-exact", "MacArraySaturationTest", None),
                      "skid-loses-caught-beat": ("mac-n8-l4-a32-skid", "MacArrayTest", 200),
                      "pipe-never-fills": ("mac-n8-l4-a32-pipe", "MacArraySaturationTest", None),
                      "skid-ready-late": ("mac-n8-l4-a32-skid", "MacArraySaturationTest", None)}


@pytest.mark.parametrize("label,dut_name,good,bad,message", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_bench_catches_broken_rtl(tmp_path, label, dut_name, good, bad, message):
    """A broken copy of the RTL must fail with the message of the check that catches it."""
    source = (runner.RTL_DIR / f"{dut_name}.v").read_text()
    assert source.count(good) == 1
    (tmp_path / f"{dut_name}.v").write_text(source.replace(good, bad))
    dut = regressions.DUTS[dut_name]
    params, testcase, samples = _MUTANT_RUN[dut_name]
    if label in _MUTANT_REGRESSION:
        run, testcase, samples = _MUTANT_REGRESSION[label]
        params = regressions.by_name(run).parameters
    result = runner.run(
        dut.toplevel,
        [*dut.sources[:-1], tmp_path / f"{dut_name}.v"],
        params,
        dut.test_module,
        name=f"mutant-{label}",
        testcase=testcase,
        samples=samples,
        variant=f"mutant-{label}",
    )
    assert not result.passed
    assert message in result.log_tail(100_000), result.summary()


MAC_DEFAULT = regressions.by_name("mac-n8-l4-a32").parameters


@pytest.mark.slow
def test_mac_array_soak():
    result = mac_run(MAC_DEFAULT, "mac_array-soak", "MacArraySoakTest", samples=200_000)
    assert result.passed, result.summary()


@pytest.mark.slow
def test_mac_array_bench_catches_a_too_wide_accumulator_model():
    """MODEL_OVERRIDE acc_bits=33 against ACC_W=32: only saturation tells them apart."""
    result = mac_run(MAC_DEFAULT, "mac_array-broken-acc33", "MacArraySaturationTest",
                     extra_env={"MODEL_OVERRIDE": json.dumps({"acc_bits": 33})})
    assert not result.passed, f"the bench passed a wrong model: {result.summary()}"
    (record,) = result.records
    assert record.result == "FAIL" and record.mismatches > 0
    assert "MISMATCH" in record.first_mismatches[0]
