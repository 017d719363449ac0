"""Spec tests of the golden arithmetic: docs/arithmetic.md reference values, hand-checked corners,
and hypothesis properties over every legal configuration."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel.core.arith import MAX_BITS, MIN_BITS, MulConfig, log_fraction, mul_signed, mul_unsigned
from pymodel.core.errors import MBMError

# (mult, N, trunc, frac_out, a, b, expected) -- each worked by hand from the docs/arithmetic.md formula.
HAND_TABLE = [
    # docs/arithmetic.md reference values, N=8 (C = 8 + 2 = 10)
    ("mbm", 8, 0, False, 255, 255, 66304),  # carry: M = 254 + 5, E = 15 -> 259 << 8
    ("mbm", 8, 0, False, 128, 128, 17664),  # M = 128 + 0 + 10, E = 14 -> 138 << 7
    ("mbm", 8, 0, False, 3, 5, 14),  # fa=64, fb=32: M = 234, E = 3 -> 1872 >> 7
    ("mbm", 8, 0, False, 1, 1, 1),  # M = 138, E = 0 -> 138 >> 7
    ("mbm", 8, 0, False, 0, 200, 0),
    ("mbm", 8, 0, False, 200, 0, 0),
    ("mbm", 8, 0, True, 3, 5, 1872),  # fraction kept: M << E
    # Mitchell: C = 0
    ("mitchell", 8, 0, False, 255, 255, 65024),  # M = 254, E = 15
    ("mitchell", 8, 0, False, 128, 128, 16384),  # powers of two are exact
    ("mitchell", 8, 0, False, 3, 5, 14),  # M = 224, E = 3 -> 1792 >> 7
    # N=4: F=3, C = (8 >> 4) + (8 >> 6) = 0
    ("mbm", 4, 0, False, 15, 15, 224),  # carry: M = 14, E = 7 -> (14 << 7) >> 3
    # N=16: C = 2048 + 512 = 2560; needs all 2N+1 = 33 bits
    ("mbm", 16, 0, False, 65535, 65535, 4378722304),  # M = 65534 + 1280, E = 31 -> 66814 << 16
    # MBM-t, N=12 t=3: f = 2047 -> 2040 | 4 = 2044; C = 160; carry: M = 4088 + 80, E = 23
    ("mbm", 12, 3, False, 4095, 4095, 17072128),
    ("exact", 8, 0, False, 255, 255, 65025),
    ("exact", 8, 0, True, 3, 5, 15 << 7),
]


@pytest.mark.parametrize("mult,bits,trunc,frac_out,a,b,expected", HAND_TABLE)
def test_hand_table(mult, bits, trunc, frac_out, a, b, expected):
    cfg = MulConfig(mult, bits, trunc, frac_out)
    assert int(mul_unsigned(a, b, cfg)) == expected
    assert int(mul_unsigned(b, a, cfg)) == expected
    assert int(mul_signed(-a, b, cfg)) == -expected
    assert int(mul_signed(-a, -b, cfg)) == expected


def test_correction_constant_is_the_papers_c():
    """c = 2^-4 + 2^-6 = 0.078125, 7 fraction bits 0.0001010, scaled to F bits."""
    assert MulConfig("mbm", 8).correction == 0b0001010
    assert MulConfig("mbm", 16).correction / 2**15 == 0.078125
    assert MulConfig("mitchell", 16).correction == 0


class _OffByOneCorrection(MulConfig):
    """A deliberately wrong model: C one LSB too large."""

    @property
    def correction(self) -> int:
        return super().correction + 1


def test_hand_table_catches_a_wrong_constant():
    """The reference values are sensitive to a one-LSB change of C: the table can fail."""
    wrong = _OffByOneCorrection("mbm", 8)
    got = [int(mul_unsigned(a, b, wrong)) for a, b in [(255, 255), (128, 128), (3, 5)]]
    assert got != [66304, 17664, 14]


def test_log_fraction_encoding():
    cfg = MulConfig("mbm", 8)
    k, f = log_fraction(np.array([1, 3, 5, 128, 255]), cfg)
    assert k.tolist() == [0, 1, 2, 7, 7]
    assert f.tolist() == [0, 64, 32, 0, 127]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(bits=3), "bits=3 is out of range: allowed 4..16"),
        (dict(bits=17), "bits=17 is out of range: allowed 4..16"),
        (dict(bits=8, trunc=1), "trunc=1 is out of range for bits=8: allowed 0..0"),
        (dict(bits=16, trunc=9), "trunc=9 is out of range for bits=16: allowed 0..8"),
        (dict(mult="booth"), "unknown multiplier 'booth': allowed mbm, mitchell, exact"),
        (dict(mult="exact", bits=12, trunc=2), "trunc=2 is not allowed for the exact multiplier"),
    ],
)
def test_illegal_configuration_is_one_clear_line(kwargs, message):
    with pytest.raises(MBMError, match=message.replace("(", r"\(").replace(")", r"\)")):
        MulConfig(**kwargs)


def test_operands_out_of_range_are_refused():
    cfg = MulConfig("mbm", 8)
    with pytest.raises(MBMError, match="operand a=256 is out of range for bits=8: allowed 0..255"):
        mul_unsigned([1, 256], [1, 1], cfg)
    with pytest.raises(MBMError, match="operand b=-256 is out of range for bits=8: allowed -255..255"):
        mul_signed([1, 1], [1, -256], cfg)
    with pytest.raises(MBMError, match="integer"):
        mul_unsigned(np.array([1.5]), np.array([1]), cfg)


def test_torch_and_numpy_agree_exhaustively_at_8_bits():
    cfg = MulConfig("mbm", 8)
    a, b = np.divmod(np.arange(1 << 16), 256)
    expected = mul_unsigned(a, b, cfg)
    got = mul_unsigned(torch.from_numpy(a), torch.from_numpy(b), cfg)
    assert got.dtype == torch.int64
    np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("bits", [4, 8, 10])
@pytest.mark.parametrize("frac_out", [False, True])
def test_products_fit_the_rtl_port_width(bits, frac_out):
    cfg = MulConfig("mbm", bits, frac_out=frac_out)
    top = cfg.max_operand
    assert int(mul_unsigned(top, top, cfg)) < 2**cfg.product_bits
    assert cfg.product_bits == 2 * bits + 1 + (bits - 1 if frac_out else 0)


@st.composite
def configs(draw, mults=("mbm", "mitchell", "exact")):
    mult = draw(st.sampled_from(mults))
    bits = draw(st.integers(MIN_BITS, MAX_BITS))
    trunc = 0 if mult == "exact" else draw(st.integers(0, max(0, bits - 8)))
    return MulConfig(mult, bits, trunc, draw(st.booleans()))


@st.composite
def config_and_operands(draw, mults=("mbm", "mitchell", "exact"), signed=False):
    cfg = draw(configs(mults))
    lo = -cfg.max_operand if signed else 0
    ops = st.lists(st.integers(lo, cfg.max_operand), min_size=1, max_size=64)
    a = draw(ops)
    b = draw(st.lists(st.integers(lo, cfg.max_operand), min_size=len(a), max_size=len(a)))
    return cfg, np.array(a), np.array(b)


@settings(max_examples=300, deadline=None)
@given(config_and_operands(signed=True))
def test_commutative(case):
    cfg, a, b = case
    np.testing.assert_array_equal(mul_signed(a, b, cfg), mul_signed(b, a, cfg))


@settings(max_examples=200, deadline=None)
@given(config_and_operands())
def test_zero_gives_zero(case):
    cfg, a, _ = case
    assert not mul_unsigned(a, np.zeros_like(a), cfg).any()
    assert not mul_signed(np.zeros_like(a), -a, cfg).any()


@settings(max_examples=300, deadline=None)
@given(config_and_operands(signed=True))
def test_signed_is_sign_times_unsigned(case):
    cfg, a, b = case
    mag = mul_unsigned(np.abs(a), np.abs(b), cfg)
    np.testing.assert_array_equal(mul_signed(a, b, cfg), np.sign(a) * np.sign(b) * mag)


@settings(max_examples=300, deadline=None)
@given(config_and_operands(mults=("mitchell",)))
def test_mitchell_never_above_exact(case):
    cfg, a, b = case
    if cfg.trunc:  # the MBM-t midpoint bit can round an operand up; the claim is for t = 0
        cfg = MulConfig("mitchell", cfg.bits, 0, cfg.frac_out)
    assert (mul_unsigned(a, b, cfg) <= a * b * cfg.scale).all()


@settings(max_examples=300, deadline=None)
@given(config_and_operands(mults=("mbm",)))
def test_mbm_relative_error_bounded(case):
    """|rel| <= 7.8125 % (the paper's peak) plus the MBM-t rounding of both operands,
    2^(t+1-F). Below N=8 the F-bit C is inexact (N=7: C>>1 drops half an LSB; N=5, 6
    lose the 2^-6 term; N=4 has C=0), so the bound there is Mitchell's 1/9."""
    cfg, a, b = case
    cfg = MulConfig("mbm", cfg.bits, cfg.trunc, frac_out=True)
    exact = a * b
    nz = exact > 0
    rel = np.abs(mul_unsigned(a, b, cfg)[nz] / cfg.scale - exact[nz]) / exact[nz]
    peak = 0.078125 if cfg.bits >= 8 else 1 / 9
    bound = peak + (2.0 ** (cfg.trunc + 1 - cfg.frac) if cfg.trunc else 0.0)
    assert (rel <= bound + 1e-12).all()


@settings(max_examples=200, deadline=None)
@given(config_and_operands(mults=("exact",)))
def test_exact_is_exact(case):
    cfg, a, b = case
    np.testing.assert_array_equal(mul_unsigned(a, b, cfg), a * b * cfg.scale)
