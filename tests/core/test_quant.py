"""Quantization: hand-checked values, calibration methods, and the errors users see."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.quant import calibrate, dequantize, quantize, quantize_bias


def test_quantize_rounds_half_to_even_and_counts_nothing():
    x = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 0.49, 254.6])
    q, clamped = quantize(x, torch.tensor(1.0), 8, "x")
    assert q.tolist() == [0, 2, 2, 0, -2, 0, 255]
    assert q.dtype == torch.int64 and clamped == 0


def test_quantize_past_range_names_tensor_value_and_range():
    x = torch.tensor([1.0, 2.0, 3.0])
    with pytest.raises(MBMError, match=r"'act'.*value 3\.0.*384.*-255\.\.255"):
        quantize(x, torch.tensor(128.0), 8, "act")


def test_quantize_clamp_counts():
    x = torch.tensor([1.0, -2.0, 3.0, 0.5])
    q, clamped = quantize(x, torch.tensor(100.0), 8, "x", on_overflow="clamp")
    assert q.tolist() == [100, -200, 255, 50] and clamped == 1


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_nan_inf_named(bad):
    x = torch.tensor([[0.0, 1.0], [bad, 2.0]])
    with pytest.raises(MBMError, match=r"'feat'.*index \(1, 0\).*finite"):
        quantize(x, 1.0, 8, "feat")
    with pytest.raises(MBMError, match="finite"):
        quantize(x, 1.0, 8, "feat", on_overflow="clamp")
    with pytest.raises(MBMError, match="finite"):
        calibrate(x, 8, name="feat")


@pytest.mark.parametrize("bits", [3, 17, 0, -1])
def test_bad_width(bits):
    with pytest.raises(MBMError, match=rf"bits={bits} is out of range: allowed 4\.\.16"):
        quantize(torch.ones(2), 1.0, bits, "x")
    with pytest.raises(MBMError, match="out of range"):
        calibrate(torch.ones(2), bits)


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan")])
def test_bad_scale(scale):
    with pytest.raises(MBMError, match="scale"):
        quantize(torch.ones(2), scale, 8, "x")


def test_bad_method_and_policy():
    with pytest.raises(MBMError, match="allowed max, percentile, mse"):
        calibrate(torch.ones(3), 8, method="kl")
    with pytest.raises(MBMError, match="on_overflow"):
        quantize(torch.ones(3), 1.0, 8, "x", on_overflow="wrap")


def test_calibrate_max_hand_checked():
    x = torch.tensor([0.1, -2.0, 1.0])
    assert calibrate(x, 8).item() == pytest.approx(255 / 2.0)
    assert calibrate(x, 8, pow2=True).item() == 64.0
    assert calibrate(torch.zeros(4), 8).item() == 1.0


def test_calibrate_per_channel_shape_and_values():
    w = torch.zeros(3, 2, 1, 1)
    w[0, 0] = 1.0
    w[1, 1] = -4.0
    s = calibrate(w, 4, per_channel_axis=0)
    assert s.shape == (3, 1, 1, 1)
    assert s.flatten().tolist() == [15.0, 15 / 4, 1.0]
    q, clamped = quantize(w, s, 4, "w")
    assert q[0, 0, 0, 0] == 15 and q[1, 1, 0, 0] == -15 and clamped == 0
    # a 1-d per-channel scale applies along axis 0 too
    assert torch.equal(quantize(w, s.flatten(), 4, "w")[0], q)


def test_calibrate_percentile_clips_outlier():
    x = torch.cat([torch.linspace(-1, 1, 10001), torch.tensor([1000.0])])
    s_max = calibrate(x, 8).item()
    s_pct = calibrate(x, 8, method="percentile", percentile=99.9).item()
    assert s_max == pytest.approx(0.255)
    assert s_pct == pytest.approx(255.0, rel=0.01)
    with pytest.raises(MBMError, match="past"):
        quantize(x, s_pct, 8, "x")
    assert quantize(x, s_pct, 8, "x", on_overflow="clamp")[1] >= 1


def _mse(x, s, bits):
    q, _ = quantize(x, s, bits, "x", on_overflow="clamp")
    return float(((q / s - x) ** 2).mean())


def test_calibrate_mse_beats_max_on_heavy_tail():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50000, generator=g, dtype=torch.float64)
    x[0] = 20.0
    s_mse = calibrate(x, 4, method="mse")
    assert _mse(x, s_mse, 4) < 0.5 * _mse(x, calibrate(x, 4), 4)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-300), min_size=1,
             max_size=40),
    st.integers(4, 16),
    st.sampled_from(["max", "percentile", "mse"]),
    st.booleans(),
)
def test_calibrated_scale_fits_range(values, bits, method, pow2):
    """Every method gives a positive scale; max (and pow2 of it) never clips."""
    x = torch.tensor(values, dtype=torch.float64)
    s = calibrate(x, bits, method=method, pow2=pow2)
    assert s.dim() == 0 and s.item() > 0
    if pow2:
        assert math.log2(s.item()) == int(math.log2(s.item()))
    q, clamped = quantize(x, s, bits, "x", on_overflow="clamp")
    assert int(q.abs().max()) <= (1 << bits) - 1
    if method == "max":
        assert clamped == 0


def test_bias_and_dequantize_round_trip():
    cfg = MulConfig(bits=8, frac_out=True)
    s_w = torch.tensor([2.0, 4.0])
    b = quantize_bias(torch.tensor([1.0, -0.5]), 3.0, s_w, cfg)
    assert b.tolist() == [round(1.0 * 3 * 2 * 128), round(-0.5 * 3 * 4 * 128)]
    y = dequantize(b.reshape(1, 2, 1, 1), 3.0, s_w, cfg)
    assert y.flatten().tolist() == [1.0, -0.5]
    assert dequantize(b.reshape(1, 2), 3.0, s_w.reshape(2, 1, 1, 1), cfg, channel_axis=-1).tolist() == [[1.0, -0.5]]


def test_bias_rounds_half_even():
    assert quantize_bias(torch.tensor([0.5, 1.5, 2.5]), 1.0, 1.0, MulConfig()).tolist() == [0, 2, 2]


def test_calibrate_refuses_a_scale_that_overflows():
    with pytest.raises(MBMError, match=r"'tiny' has max \|x\| = 2\.2250738585072014e-308: too small"):
        calibrate(torch.tensor([2.2250738585072014e-308], dtype=torch.float64), 4, name="tiny")


# --- two's-complement operands (an imported :signed multiplier): the range follows the encoding


def test_twos_calibration_maps_max_to_2_pow_n_minus_1_minus_1():
    x = torch.tensor([-3.0, 1.0, 2.0])
    s = calibrate(x, 8, encoding="twos")
    assert float(s) == pytest.approx(127 / 3)
    q, clamped = quantize(x, s, 8, "x", encoding="twos")
    assert q.tolist() == [-127, 42, 85] and clamped == 0
    assert float(calibrate(x, 8)) == pytest.approx(255 / 3)  # sign-magnitude unchanged


def test_twos_quantize_clamps_to_the_asymmetric_range():
    x = torch.tensor([-130.0, -128.0, 127.0, 128.0])
    q, clamped = quantize(x, 1.0, 8, "x", on_overflow="clamp", encoding="twos")
    assert q.tolist() == [-128, -128, 127, 127] and clamped == 2


@pytest.mark.parametrize("value, shown", [(128.0, "128"), (-129.0, "-129")])
def test_twos_past_range_names_the_twos_range(value, shown):
    with pytest.raises(MBMError, match=rf"quantizes to {shown}, past the operand range: allowed -128\.\.127 "
                                       r"\(bits=8 two's-complement\)"):
        quantize(torch.tensor([0.0, value]), 1.0, 8, "act", encoding="twos")


def test_twos_mse_and_percentile_clip_inside_the_twos_range():
    x = torch.randn(4096, generator=torch.Generator().manual_seed(1))
    for method in ("mse", "percentile"):
        q, _ = quantize(x, calibrate(x, 8, method=method, encoding="twos"), 8, "x", on_overflow="clamp",
                        encoding="twos")
        assert -128 <= int(q.min()) and int(q.max()) <= 127


def test_unknown_encoding_and_twos_width_refused():
    with pytest.raises(MBMError, match="operand encoding 'unsigned': allowed signmag or twos"):
        quantize(torch.ones(2), 1.0, 8, "x", encoding="unsigned")
    with pytest.raises(MBMError, match=r"bits=11 is out of range for two's-complement operands: allowed 2\.\.10"):
        calibrate(torch.ones(2), 11, encoding="twos")
