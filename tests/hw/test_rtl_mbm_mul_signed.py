"""RTL regressions of rtl/mbm_mul_signed.v (sign-magnitude MBM) under Verilator + pyuvm.

N=8 exhaustive (all 261,121 pairs of [-255, 255]^2), N=4 exhaustive, N=12 TRUNC=3,
N=16 random plus corners (>= 200,000 pairs), N=16 TRUNC=8 FRAC_OUT=1; and the proof that
a one-step model difference (MBM-t with t=1 vs t=0) is caught.
"""

import pytest
from tests.hw.rtl_check import check_fails, check_passes, params

pytestmark = pytest.mark.rtl


@pytest.mark.parametrize("reg", params("mbm_mul_signed"))
def test_mbm_mul_signed(reg):
    check_passes(reg)


@pytest.mark.parametrize("reg", params("mbm_mul_signed", expect_fail=True))
def test_mbm_mul_signed_bench_catches_a_wrong_model(reg):
    check_fails(reg)
