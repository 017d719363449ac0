"""RTL regressions of rtl/mbm_mul.v (unsigned combinational MBM) under Verilator + pyuvm.

N=8 exhaustive (all 65,536 pairs, also with FRAC_OUT=1 and MITCHELL=1), N=4 exhaustive,
N=12 and N=16 random plus corners (N=16: >= 200,000 pairs), TRUNC>0; and the proof that
the bench can fail. The runs are those of sim/regressions.py (`make sim`).
"""

import pytest
from tests.hw.rtl_check import check_fails, check_passes, params

pytestmark = pytest.mark.rtl


@pytest.mark.parametrize("reg", params("mbm_mul"))
def test_mbm_mul(reg):
    check_passes(reg)


@pytest.mark.parametrize("reg", params("mbm_mul", expect_fail=True))
def test_mbm_mul_bench_catches_a_wrong_model(reg):
    """Mitchell RTL scoreboarded as MBM must fail with mismatch reports (issue item 9)."""
    check_fails(reg)
