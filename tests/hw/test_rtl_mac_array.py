"""RTL regressions of rtl/mbm_mac_array.v under Verilator + pyuvm (tb/mbm_mac_array/):
the runs of sim/regressions.py over (N, LANES, ACC_W, TRUNC, FRAC_OUT, MITCHELL), each also
proving that the bench fails a wrong model (lint of legal and illegal parameter sets is in
test_rtl_lint.py, from the same registry); deliberately broken RTL copies the bench must
fail (bias sampled on the wrong beat, half throughput); slow: more sets, a soak of long dot
products, and an accumulator-width model error."""

import json

import pytest

from tests.hw import rtl_check

from pymodel.hw.sim import regressions
from pymodel.hw.sim.runner import run

pytestmark = pytest.mark.rtl

SOURCES = ("mbm_mul.v", "mbm_mul_signed.v", "mbm_mac_array.v")
TEST_MODULE = "pymodel.hw.tb.mbm_mac_array.test_mbm_mac_array"


DEFAULT = regressions.by_name("mac-n8-l4-a32").parameters


def _run(params, name, testcase="MacArrayTest", samples=None, env=None):
    return run("mbm_mac_array", SOURCES, params, TEST_MODULE, name=name, testcase=testcase, samples=samples,
               extra_env=env)


@pytest.mark.parametrize("reg", rtl_check.params("mbm_mac_array"))
def test_mac_array(reg):
    """The `make sim` runs of the array (sim/regressions.py): MacArrayTest must pass
    bit-exact with every bin hit; in the same simulator run MacArrayWrongModelTest
    (exact-product model vs approximate RTL) must be caught."""
    result = _run(reg.parameters, reg.name, testcase=[reg.testcase, "MacArrayWrongModelTest"], samples=reg.samples)
    assert result.passed and result.tests == 2, result.summary()
    records = {r["test"]: r for r in result.records}
    good, wrong = records["MacArrayTest"], records["MacArrayWrongModelTest"]
    assert good["result"] == "PASS" and good["mismatches"] == 0, good["failures"]
    assert good["coverage_pct"] == 100.0, good["coverage"]
    assert wrong["result"] == "FAIL" and wrong["mismatches"] > 0, "the bench passed a wrong model"
    assert "MISMATCH" in wrong["first_mismatches"][0]
    print(f"{reg.name}: {good['transactions']} dot products, {good['tps']:.0f}/s, seed {good['seed']}; "
          f"wrong model caught: {wrong['first_mismatches'][0]}")


@pytest.mark.slow
def test_mac_array_soak():
    result = _run(DEFAULT, "mac_array-soak", testcase="MacArraySoakTest", samples=200_000)
    assert result.passed, result.summary()


@pytest.mark.slow
def test_mac_array_bench_catches_a_too_wide_accumulator_model():
    """MODEL_OVERRIDE acc_bits=33 against ACC_W=32: only saturation tells them apart."""
    result = _run(DEFAULT, "mac_array-broken-acc33", testcase="MacArraySaturationTest",
                  env={"MODEL_OVERRIDE": json.dumps({"acc_bits": 33})})
    assert not result.passed, f"the bench passed a wrong model: {result.summary()}"
    (record,) = result.records
    assert record["result"] == "FAIL" and record["mismatches"] > 0
    assert "MISMATCH" in record["first_mismatches"][0]


#: (label, text in rtl/mbm_mac_array.v, its broken replacement, what the bench must report)
MUTANTS = [
    ("bias-on-last-beat", "if (!in_dot_q) p_bias_q <= s_axis_tuser;", "if (s_axis_tlast) p_bias_q <= s_axis_tuser;",
     "MISMATCH dot #"),
    ("half-throughput", "assign s_axis_tready = !rst && (!p_valid_q || acc_fire);",
     "assign s_axis_tready = !rst && !p_valid_q;", "not full throughput"),
]


@pytest.mark.parametrize("label,good,bad,message", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mac_array_bench_catches_broken_rtl(tmp_path, label, good, bad, message):
    """Broken RTL (not a wrong model): the stream BFM's bias-on-first-beat stimulus (other
    beats carry random s_axis_tuser) and full-throughput check must fail it."""
    from pymodel.hw.sim import runner

    source = (runner.RTL_DIR / "mbm_mac_array.v").read_text()
    assert source.count(good) == 1
    (tmp_path / "mbm_mac_array.v").write_text(source.replace(good, bad))
    result = run("mbm_mac_array", [*SOURCES[:-1], tmp_path / "mbm_mac_array.v"], DEFAULT, TEST_MODULE,
                 name=f"mac-mutant-{label}", testcase="MacArraySaturationTest", variant=f"mutant-{label}")
    assert not result.passed
    assert message in result.log_tail(100_000), result.summary()
