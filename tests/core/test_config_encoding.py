"""The one definition of MulConfig <-> RTL parameters, MulConfig <-> dict, the label, and the
sign-magnitude / two's-complement pin encodings (pymodel.core.arith)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings

from pymodel.core.arith import (
    CONFIG_KEYS,
    RTL_PARAMETERS,
    MulConfig,
    sm_decode,
    sm_encode,
    sm_sign,
    tc_decode,
    tc_encode,
)
from pymodel.core.errors import MBMError
from pymodel.core.paths import RTL_DIR
from pymodel.hw.sim.regressions import DUTS
from tests.core.test_arith import configs


def _round_trips(cfg: MulConfig, to_params=MulConfig.rtl_parameters) -> bool:
    return MulConfig.from_rtl_parameters(to_params(cfg)) == cfg


@settings(max_examples=400, deadline=None)
@given(configs(mults=("mbm", "mitchell")))
def test_rtl_parameters_round_trip_over_every_legal_config(cfg):
    params = cfg.rtl_parameters()
    assert list(params) == list(RTL_PARAMETERS)
    assert _round_trips(cfg)
    assert MulConfig.from_rtl_parameters({**params, "LANES": 4, "ACC_W": 32, "SIGNED": 1}) == cfg


@pytest.mark.parametrize("broken", [
    lambda c: {k: v for k, v in c.rtl_parameters().items() if k != "TRUNC"},  # forgets TRUNC
    lambda c: {**c.rtl_parameters(), "MITCHELL": 0},  # Mitchell built as MBM
])
def test_the_round_trip_check_catches_a_wrong_mapping(broken):
    assert not all(_round_trips(c, broken) for c in (MulConfig("mbm", 12, 3), MulConfig("mitchell", 8)))


@settings(max_examples=400, deadline=None)
@given(configs())
def test_dict_round_trip_and_label_over_every_legal_config(cfg):
    d = cfg.to_dict()
    assert tuple(d) == CONFIG_KEYS and json.loads(json.dumps(d)) == d
    assert MulConfig.from_dict(d) == cfg
    assert MulConfig.from_dict({**d, "lanes": 4, "label": cfg.label}) == cfg
    assert cfg.label.startswith(f"{cfg.mult} N={cfg.bits} t={cfg.trunc}") and cfg.label.endswith(" frac") == cfg.frac_out


def test_omitted_parameters_are_the_rtls_defaults():
    """MulConfig() is what mbm_mul.v builds with no parameter given."""
    text = (RTL_DIR / "mbm_mul.v").read_text()
    defaults = {k: int(v) for k, v in re.findall(r"parameter\s+(\w+)\s*=\s*(\d+)", text)}
    assert defaults == MulConfig().rtl_parameters()
    assert MulConfig.from_rtl_parameters({}) == MulConfig()


def test_exact_has_no_rtl_parameters():
    with pytest.raises(MBMError, match="mult='exact' has no RTL multiplier: allowed mbm, mitchell"):
        MulConfig("exact", 8).rtl_parameters()


@pytest.mark.parametrize("params, message", DUTS["mbm_mul"].lint_illegal)
def test_illegal_rtl_parameters_are_refused_in_the_rtls_words(params, message):
    """The same parameter sets whose elaboration the lint check proves fails, same text."""
    with pytest.raises(MBMError) as err:
        MulConfig.from_rtl_parameters(params)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("params", [{"N": "8"}, {"N": 8, "FRAC_OUT": True}, {"N": 8.0}])
def test_non_integer_rtl_parameters_are_refused(params):
    with pytest.raises(MBMError, match="is not an integer"):
        MulConfig.from_rtl_parameters(params)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"mult": "mbm", "bits": 8, "trunc": 0}, "lacks frac_out"),
        ({"mult": "mbm", "bits": 8, "trunc": 0, "frac_out": "yes"}, "frac_out='yes' is not allowed"),
        ({"mult": "mbm", "bits": 17, "trunc": 0, "frac_out": False}, "bits=17 is out of range"),
        ("mbm N=8 t=0", "is not a mapping"),
    ],
)
def test_a_bad_dict_is_one_line(data, message):
    with pytest.raises(MBMError, match=message):
        MulConfig.from_dict(data)


@pytest.mark.parametrize("bits", [4, 8, 16])
def test_sign_magnitude_round_trip_every_value_and_both_zeros(bits):
    top = (1 << bits) - 1
    values = np.arange(-top, top + 1)
    words = sm_encode(values, bits)
    assert words.min() == 0 and words.max() == (1 << (bits + 1)) - 1
    assert (sm_decode(words, bits) == values).all()
    assert (sm_sign(words, bits) == (values < 0)).all()
    neg_zero = sm_encode(np.array([0, 0]), bits, zero_sign=np.array([0, 1]))
    assert neg_zero.tolist() == [0, 1 << bits] and sm_decode(neg_zero, bits).tolist() == [0, 0]
    assert sm_decode(int(1 << bits | 5), bits) == -5  # Python ints too
    with pytest.raises(MBMError, match=f"allowed {-top}..{top}"):
        sm_encode(np.array([top + 1]), bits)


@pytest.mark.parametrize("width", [1, 9, 33, 63])
def test_twos_complement_round_trip(width):
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    values = np.array(sorted(v for v in {lo, lo + 1, -1, 0, 1, hi - 1, hi} if lo <= v <= hi), dtype=np.int64)
    words = tc_encode(values, width)
    assert words.min() >= 0 and (words >> width).max() == 0
    assert (tc_decode(words, width) == values).all()
    assert tc_decode((1 << 64) - 1, 64) == -1  # Python ints of any width
