"""RTL regressions of rtl/mbm_mul_axis.v (registered AXI-Stream MBM) under Verilator + pyuvm:
random input stalls and output backpressure, full-throughput, stability and latency checks,
unsigned and signed, LATENCY 1..3; and the proof that the bench fails a wrong model.
"""

import pytest
from tests.hw.rtl_check import check_fails, check_passes, params

pytestmark = pytest.mark.rtl


@pytest.mark.parametrize("reg", params("mbm_mul_axis"))
def test_mbm_mul_axis(reg):
    result = check_passes(reg)
    (record,) = result.records
    handshake = {k: v for group, cov in record.coverage.items() if "axis" in group for k, v in cov["items"].items()}
    assert handshake["backpressure"]["hit"] == 2 and handshake["in_wait"]["hit"] == 2


@pytest.mark.parametrize("reg", params("mbm_mul_axis", expect_fail=True))
def test_mbm_mul_axis_bench_catches_a_wrong_model(reg):
    check_fails(reg)


#: (label, text in rtl/mbm_mul_axis.v, its broken replacement, what the bench must report)
MUTANTS = [
    ("output-never-valid", "assign m_axis_tvalid = valid[LATENCY];", "assign m_axis_tvalid = 1'b0;", "the DUT is stuck"),
    (
        "loads-while-stalled",
        "end else if (ready[i]) begin",
        "end else begin",
        "changed while stalled",
    ),
    (
        "no-bubble-fill",
        "assign ready[i]   = m_axis_tready | ~&valid[LATENCY:i+1];",
        "assign ready[i]   = ~valid[i+1];",
        "AXI-Stream BFM",
    ),
]


@pytest.mark.parametrize("label,good,bad,message", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mbm_mul_axis_bench_catches_broken_handshakes(tmp_path, label, good, bad, message):
    """Deliberately broken RTL (not a wrong model) must fail with the protocol check's message."""
    from pymodel.hw.sim import regressions, runner

    source = (runner.RTL_DIR / "mbm_mul_axis.v").read_text()
    assert source.count(good) == 1
    (tmp_path / "mbm_mul_axis.v").write_text(source.replace(good, bad))
    dut = regressions.DUTS["mbm_mul_axis"]
    result = runner.run(
        dut.toplevel,
        [*dut.sources[:-1], tmp_path / "mbm_mul_axis.v"],
        {"N": 8, "SIGNED": 0, "LATENCY": 2},
        dut.test_module,
        name=f"mutant-{label}",
        testcase="AxisRandomTest",
        samples=3000,
        variant=f"mutant-{label}",
    )
    assert not result.passed
    assert message in result.log_tail(100_000), result.summary()
