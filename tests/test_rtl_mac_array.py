"""RTL regressions of rtl/mbm_mac_array.v under Verilator + pyuvm (tb/mbm_mac_array/):
parametrized over (N, LANES, ACC_W, TRUNC, FRAC_OUT, MITCHELL), each run also proving that
the bench fails a wrong model; lint of legal and illegal parameter sets; slow: more sets,
a soak of long dot products, and an accumulator-width model error."""

import json

import pytest

from sim.lint import lint
from sim.runner import param_tag, run

pytestmark = pytest.mark.rtl

SOURCES = ("mbm_mul.v", "mbm_mul_signed.v", "mbm_mac_array.v")
TEST_MODULE = "tb.mbm_mac_array.test_mbm_mac_array"


def _params(n, lanes, acc_w, trunc=0, frac=0, mitchell=0):
    return {"N": n, "TRUNC": trunc, "FRAC_OUT": frac, "MITCHELL": mitchell, "LANES": lanes, "ACC_W": acc_w}


DEFAULT = _params(8, 4, 32)
CONFIGS = [
    pytest.param(DEFAULT, id="n8-l4-a32"),
    pytest.param(_params(16, 3, 56, trunc=4, frac=1), id="n16-l3-a56-t4-frac"),
    pytest.param(_params(4, 1, 10), id="n4-l1-a10", marks=pytest.mark.slow),
    pytest.param(_params(12, 8, 30, trunc=2), id="n12-l8-a30-t2", marks=pytest.mark.slow),
    pytest.param(_params(8, 16, 18, mitchell=1), id="n8-l16-a18-mitchell", marks=pytest.mark.slow),
    pytest.param(_params(16, 16, 63, trunc=8, frac=1), id="n16-l16-a63-t8-frac", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("params", [
    {}, {"N": 4, "LANES": 1, "ACC_W": 10}, {"N": 16, "TRUNC": 8, "FRAC_OUT": 1, "LANES": 16, "ACC_W": 63},
    {"N": 12, "TRUNC": 2, "MITCHELL": 1, "LANES": 7, "ACC_W": 26},
], ids=lambda p: param_tag(p))
def test_lint_clean(params):
    case = lint("mbm_mac_array", params)
    assert case.ok, case.output


@pytest.mark.parametrize("params,message", [
    ({"LANES": 0}, "LANES=0 is out of range: allowed 1..1024"),
    ({"ACC_W": 17}, "ACC_W=17 is out of range: allowed 18..63"),
    ({"N": 16, "FRAC_OUT": 1, "ACC_W": 48}, "ACC_W=48 is out of range: allowed 49..63"),
    ({"ACC_W": 64}, "ACC_W=64 is out of range"),
    ({"N": 17}, "N=17 is out of range: allowed 4..16"),
], ids=lambda p: param_tag(p) if isinstance(p, dict) else "")
def test_illegal_parameters_stop_elaboration(params, message):
    case = lint("mbm_mac_array", params, expect=message)
    assert case.ok, case.output


def _run(params, name, testcase="MacArrayTest", samples=None, env=None):
    return run("mbm_mac_array", SOURCES, params, TEST_MODULE, name=name, testcase=testcase, samples=samples,
               extra_env=env)


@pytest.mark.parametrize("params", CONFIGS)
def test_mac_array(params):
    """MacArrayTest must pass bit-exact with every bin hit; in the same simulator run
    MacArrayWrongModelTest (exact-product model vs approximate RTL) must be caught."""
    tag = param_tag(params)
    result = _run(params, f"mac_array-{tag}", testcase=["MacArrayTest", "MacArrayWrongModelTest"], samples=5000)
    assert result.passed and result.tests == 2, result.summary()
    records = {r["test"]: r for r in result.records}
    good, wrong = records["MacArrayTest"], records["MacArrayWrongModelTest"]
    assert good["result"] == "PASS" and good["mismatches"] == 0, good["failures"]
    assert good["coverage_pct"] == 100.0, good["coverage"]
    assert wrong["result"] == "FAIL" and wrong["mismatches"] > 0, "the bench passed a wrong model"
    assert "MISMATCH" in wrong["first_mismatches"][0]
    print(f"mac_array {tag}: {good['transactions']} dot products, {good['tps']:.0f}/s, seed {good['seed']}; "
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
