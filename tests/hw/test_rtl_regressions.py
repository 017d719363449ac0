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
from dataclasses import dataclass

import pytest

from pymodel.hw.sim import regressions, runner
from pymodel.hw.sim.runner import ICARUS, VERILATOR, SimResult
from pymodel.hw.tb.common import checks

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


@dataclass(frozen=True)
class Mutant:
    """A broken copy of rtl/<dut>.v: ``edits`` (text of the file, its broken replacement),
    the named check (tb/common/checks.py) that must catch it, the checks allowed to fire
    with it (``also``: the data and count consequences of a lost or extra beat), the
    regression whose parameters to build and the cocotb test (defaults per DUT), and ``slow``
    for a second proof of a check that another mutant proves in the quick run."""

    label: str
    dut: str
    edits: tuple[tuple[str, str], ...]
    check: str
    also: frozenset[str] = frozenset()
    run: str | None = None
    testcase: str | None = None
    slow: bool = False


_LOST = frozenset({"sb.data", "sb.count"})  # a beat lost or made up
# ... which leaves the BFM counting more (or fewer) beats in the stages than the DUT holds
_LOST_AXIS = _LOST | {"axis.capacity", "axis.bubble_fill"}
_AXIS_READY = "assign ready[i]   = m_axis_tready | ~&valid[LATENCY:i+1];"
_MAC_READY = "assign x_tready = !rst && (!p_valid_q || p_take);"
_MAC_FIRE = "wire acc_fire = a_valid && (!a_last || r_free);"
MUTANTS = [
    # mbm_mul_axis
    # the sink never sees a beat while the stages drain into it: more beats taken than stages
    Mutant("output-never-valid", "mbm_mul_axis", (("assign m_axis_tvalid = valid[LATENCY];", "assign m_axis_tvalid = 1'b0;"),),
           "axis.capacity"),
    Mutant("loads-while-stalled", "mbm_mul_axis", (("end else if (ready[i]) begin", "end else begin"),), "axis.stable",
           _LOST_AXIS),
    # the output stage keeps a beat it delivered: the beat comes out twice
    Mutant("stage-waits-for-empty-next", "mbm_mul_axis", ((_AXIS_READY, "assign ready[i]   = ~valid[i+1];"),),
           "axis.throughput", _LOST),
    Mutant("no-bubble-fill", "mbm_mul_axis", ((_AXIS_READY, "assign ready[i]   = m_axis_tready;"),), "axis.bubble_fill"),
    Mutant("ready-while-full", "mbm_mul_axis", (("assign s_axis_tready = ready[0];", "assign s_axis_tready = 1'b1;"),),
           "axis.capacity", _LOST),
    Mutant("valid-follows-ready", "mbm_mul_axis",
           (("assign m_axis_tvalid = valid[LATENCY];", "assign m_axis_tvalid = valid[LATENCY] & m_axis_tready;"),),
           "axis.valid_indep"),
    Mutant("valid-in-reset", "mbm_mul_axis",
           (("assign m_axis_tvalid = valid[LATENCY];", "assign m_axis_tvalid = valid[LATENCY] | rst;"),), "reset.tvalid"),
    # stage 0 keeps its beat through a reset (LATENCY=2: not the output stage, so tvalid stays low in reset)
    Mutant("reset-leaves-stage-valid", "mbm_mul_axis", (("valid_q <= 1'b0;", "valid_q <= (i == 0) && valid_q;"),),
           "reset.flush", _LOST_AXIS),
    # mbm_mac_array; the array bench drives random s_axis_tuser on every beat but a dot product's first
    Mutant("bias-on-last-beat", "mbm_mac_array", (("if (!in_dot_q) p_bias_q <= x_tuser;", "if (x_tlast) p_bias_q <= x_tuser;"),),
           "sb.data"),
    Mutant("half-throughput", "mbm_mac_array", ((_MAC_READY, "assign x_tready = !rst && !p_valid_q;"),), "axis.throughput",
           frozenset({"axis.stall_rule"})),
    Mutant("stall-on-held-result", "mbm_mac_array",
           ((_MAC_READY, "assign x_tready = !rst && (!p_valid_q || p_take) && (!r_valid_q || m_axis_tready);"),),
           "axis.stall_rule"),
    # a result loads only into an empty result register: one cycle late, and the input stalls
    # with it; the saturation corners run without stalls or backpressure (the BFM's first
    # profile), so the throughput errors stay below the BFM's limit and the scoreboard reports
    Mutant("result-waits-for-empty-register", "mbm_mac_array", ((_MAC_FIRE, "wire acc_fire = a_valid && (!a_last || !r_valid_q);"),),
           "sb.latency", frozenset({"axis.throughput", "axis.stall_rule"}), testcase="MacArraySaturationTest"),
    Mutant("result-overwritten-while-stalled", "mbm_mac_array", ((_MAC_FIRE, "wire acc_fire = a_valid;"),), "axis.stable",
           _LOST, slow=True),
    Mutant("result-repeats", "mbm_mac_array",
           (("end else if (m_axis_tready) begin\n                r_valid_q <= 1'b0;",
             "end else if (1'b0) begin\n                r_valid_q <= 1'b0;"),), "sb.count", frozenset({"sb.data"})),
    Mutant("array-valid-follows-ready", "mbm_mac_array",
           (("assign m_axis_tvalid = r_valid_q;", "assign m_axis_tvalid = r_valid_q & m_axis_tready;"),), "axis.valid_indep",
           frozenset({"axis.stall_rule"}), slow=True),  # the stall rule reads the full result register off tvalid
    Mutant("ready-in-reset", "mbm_mac_array", ((_MAC_READY, "assign x_tready = (!p_valid_q || p_take);"),), "reset.tready"),
    # the product stage keeps a tlast beat through a reset: its result comes out after it
    Mutant("reset-leaves-tlast-beat", "mbm_mac_array",
           (("p_valid_q    <= 1'b0;\n            p_last_q     <= 1'b0;",
             "p_valid_q    <= p_valid_q;\n            p_last_q     <= p_last_q;"),),
           "reset.flush", _LOST | {"axis.stall_rule"}),
    Mutant("reset-keeps-partial-dot", "mbm_mac_array", (("in_dot_q     <= 1'b0;", "in_dot_q     <= in_dot_q;"),), "sb.data"),
    Mutant("overflow-survives-reset", "mbm_mac_array", (("ovf_sticky_q <= 1'b0;", "ovf_sticky_q <= ovf_sticky_q;"),),
           "reset.clears", frozenset({"sb.sticky"})),
    Mutant("sticky-overflow-clears", "mbm_mac_array",
           (("ovf_sticky_q <= ovf_sticky_q | (|ovf_step);", "ovf_sticky_q <= |ovf_step;"),), "sb.sticky"),
    Mutant("lane-flag-not-restarted", "mbm_mac_array",
           (("(a_first ? {LANES{1'b0}} : acc_ovf_q) | ovf_step", "acc_ovf_q | ovf_step"),), "sb.data"),
    # the options: exact products signed by one operand only, a skid buffer that loses the
    # beat it caught (its temporary register only fills when a tlast beat meets a full result
    # register, which the short dot-product bursts of MacArrayHandshakeTest provoke), a pipeline stage
    # that never fills, a skid whose ready lags two cycles or starts low after a reset
    Mutant("exact-sign-of-act-only", "mbm_mac_array",
           (("assign prod[l*PS_W +: PS_W] = (act[N] ^ wgt[N]) ?", "assign prod[l*PS_W +: PS_W] = (act[N]) ?"),), "sb.data",
           run="mac-n8-l4-a32-exact"),
    Mutant("skid-loses-caught-beat", "mbm_mac_array", (("tmp_valid_q <= s_axis_tvalid;", "tmp_valid_q <= 1'b0;"),),
           "axis.stuck", _LOST, run="mac-n8-l4-a32-skid"),
    Mutant("pipe-never-fills", "mbm_mac_array", (("assign p_take  = !q_valid_q || acc_fire;", "assign p_take  = acc_fire;"),),
           "axis.throughput", frozenset({"axis.stall_rule"}), run="mac-n8-l4-a32-pipe"),
    Mutant("skid-ready-late", "mbm_mac_array",
           (("wire ready_d = x_tready || (!tmp_valid_q && (!out_valid_q || !s_axis_tvalid));",
             "wire ready_d = !tmp_valid_q && !out_valid_q;"),), "axis.throughput", frozenset({"axis.stall_rule"}),
           run="mac-n8-l4-a32-skid"),
    Mutant("skid-not-ready-after-reset", "mbm_mac_array", (("ready_q     <= 1'b1;", "ready_q     <= 1'b0;"),),
           "reset.ready_after", run="mac-n8-l4-a32-skid"),
]
#: per DUT: (parameters of a mutant that names no run, cocotb test, samples)
_MUTANT_RUN = {"mbm_mul_axis": ({"N": 8, "SIGNED": 0, "LATENCY": 2}, "AxisRandomTest", 3000),
               "mbm_mac_array": (regressions.by_name("mac-n8-l4-a32").parameters, "MacArrayHandshakeTest", None)}


def test_every_check_is_proven_by_a_mutant():
    """A check that no broken RTL trips could be one that cannot fail."""
    assert {m.check for m in MUTANTS} == set(checks.CHECKS)
    assert len({m.label for m in MUTANTS}) == len(MUTANTS)


@pytest.mark.parametrize("mutant", [pytest.param(m, id=m.label, marks=[pytest.mark.slow] if m.slow else []) for m in MUTANTS])
def test_bench_catches_broken_rtl(tmp_path, mutant):
    """A broken copy of the RTL must fail the run through the check meant for it, and no
    check but that one and its listed consequences may fire."""
    source = (runner.RTL_DIR / f"{mutant.dut}.v").read_text()
    for good, bad in mutant.edits:
        assert source.count(good) == 1, good
        source = source.replace(good, bad)
    (tmp_path / f"{mutant.dut}.v").write_text(source)
    dut = regressions.DUTS[mutant.dut]
    params, testcase, samples = _MUTANT_RUN[mutant.dut]
    if mutant.run:
        params = regressions.by_name(mutant.run).parameters
    result = runner.run(
        dut.toplevel,
        [*dut.sources[:-1], tmp_path / f"{mutant.dut}.v"],
        params,
        dut.test_module,
        name=f"mutant-{mutant.label}",
        testcase=mutant.testcase or testcase,
        samples=samples,
        variant=f"mutant-{mutant.label}",
    )
    assert not result.passed, f"the broken RTL passed: {result.summary()}"
    caught = checks.fired(result.log.read_text(errors="replace"))
    print(f"{mutant.label}: caught by {sorted(caught)}")
    assert mutant.check in caught, result.summary()
    assert caught <= {mutant.check, *mutant.also}, f"also fired: {sorted(caught - {mutant.check, *mutant.also})}"


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
