"""The MAC array's HDL parameters and MulConfig (pymodel.hw.array_params): exact maps to EXACT=1
for the array only, every other build keeps the multiplier's parameters unchanged."""

from __future__ import annotations

import pytest

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.hw.array_params import array_mul_config, array_parameters


@pytest.mark.parametrize("cfg", [MulConfig("mbm", 8), MulConfig("mitchell", 12, 2), MulConfig("exact", 16, 0, True),
                                 MulConfig("exact", 4), MulConfig("mbm", 16, 8, True)])
def test_round_trip(cfg):
    params = array_parameters(cfg, 4, 40, SKID=1)
    assert array_mul_config(params) == cfg
    assert (params["LANES"], params["ACC_W"], params["SKID"]) == (4, 40, 1)


def test_mbm_and_mitchell_keep_the_multipliers_parameters():
    cfg = MulConfig("mitchell", 8)
    assert array_parameters(cfg, 4, 32) == {**cfg.rtl_parameters(), "LANES": 4, "ACC_W": 32}
    assert array_parameters(MulConfig("exact", 8), 1, 32)["EXACT"] == 1
    with pytest.raises(MBMError):  # the multiplier itself still has no exact mode
        MulConfig("exact", 8).rtl_parameters()


@pytest.mark.parametrize("params, message", [
    ({"EXACT": 1, "MITCHELL": 1}, "EXACT=1 with MITCHELL=1 TRUNC=0 is not allowed: EXACT=1 needs MITCHELL=0 and TRUNC=0"),
    ({"EXACT": 1, "N": 10, "TRUNC": 2}, "EXACT=1 with MITCHELL=0 TRUNC=2 is not allowed"),
    ({"EXACT": 2}, "EXACT=2 is not allowed: allowed 0 or 1"),
    ({"EXACT": True}, "EXACT=True is not allowed: allowed 0 or 1"),
    ({"EXACT": 1, "N": 17}, "N=17 is out of range: allowed 4..16"),
])
def test_illegal_combinations_are_refused_in_the_rtls_words(params, message):
    with pytest.raises(MBMError, match=message):
        array_mul_config(params)
