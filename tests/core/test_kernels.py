"""Fast approximate conv backends: bit-exact to the reference integer model, bounded memory.

The oracle is pymodel.core.conv (conv2d_int / linear_int), itself checked against a scalar loop
over pymodel.core.arith.mul_signed in tests/core/test_conv.py. Every fast backend must return the same
int64 accumulators and the same saturated-output count.
"""

import tracemalloc

import numpy as np
import pytest
import torch

from pymodel.core import conv
from pymodel.core.arith import MulConfig, mul_signed
from pymodel.core.errors import MBMError
from pymodel.core.kernels import approx_conv2d, approx_linear, available_backends, resolve_backend
from pymodel.core.kernels.logcode import LANE32_MAX_BITS, code_dtype, product_bound

from tests.core.kernel_cases import CONFIGS, LAYERS, mismatches, random_layer

cpu = pytest.importorskip("pymodel.core.kernels.cpu")


def test_checker_reports_a_flipped_bit():
    a = torch.arange(12).reshape(1, 3, 2, 2)
    b = a.clone()
    assert mismatches(a, b) == []
    b[0, 2, 1, 0] ^= 1
    assert mismatches(a, b) == ["at (0, 2, 1, 0): got 10 want 11"]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.label)
@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_cpu_matches_reference(cfg, index):
    x, w, bias, geom = random_layer(LAYERS[index], cfg, seed=index)
    want, _ = conv.conv2d_int(x, w, bias, cfg, **geom)
    got, saturated = approx_conv2d(x, w, bias, cfg, **geom, backend="cpu")
    assert mismatches(got, want) == [] and saturated == 0


@pytest.mark.parametrize("cfg", [MulConfig("mbm", 10, frac_out=True), MulConfig("mbm", 8)], ids=lambda c: c.label)
def test_cpu_several_tiles_and_flushes(cfg):
    """Larger than one tile (TILE_LANES lanes), 8 + 3 output channels, and for N=10 with
    frac_out int32 partial sums flushed every few taps."""
    x, w, bias, geom = random_layer((1, 5, 40, 41, 11, 3, 3, 1, 1, 1, 1), cfg, seed=4)
    assert 40 * (41 + 2) > cpu.TILE_LANES
    want, _ = conv.conv2d_int(x, w, bias, cfg, **geom)
    got, _ = approx_conv2d(x, w, bias, cfg, **geom, backend="cpu")
    assert mismatches(got, want) == []


def test_a_different_multiplier_is_caught():
    """The comparison above can fail: Mitchell products differ from MBM ones."""
    x, w, bias, geom = random_layer(LAYERS[0], MulConfig("mbm", 8), seed=0)
    want, _ = conv.conv2d_int(x, w, bias, MulConfig("mbm", 8), **geom)
    got, _ = approx_conv2d(x, w, bias, MulConfig("mitchell", 8), **geom, backend="cpu")
    assert mismatches(got, want)


def pair_products(values: torch.Tensor, weights: torch.Tensor, cfg: MulConfig) -> torch.Tensor:
    """P(v, w) for every pair through the kernel: 1x1 conv, one pixel per v, one channel per w."""
    got, _ = approx_conv2d(values.reshape(1, 1, 1, -1), weights.reshape(-1, 1, 1, 1), None, cfg, backend="cpu")
    return got[0, :, 0, :]


@pytest.mark.parametrize("cfg", [MulConfig("mbm", 8), MulConfig("mbm", 9, trunc=1, frac_out=True),
                                 MulConfig("mitchell", 6), MulConfig("exact", 5, frac_out=True)],
                         ids=lambda c: c.label)
def test_kernel_products_exhaustive(cfg):
    """Every signed operand pair of the kernel's product formula equals arith.mul_signed."""
    ops = torch.arange(-cfg.max_operand, cfg.max_operand + 1)
    got = pair_products(ops, ops, cfg)
    assert torch.equal(got, mul_signed(ops[None, :], ops[:, None], cfg))


@pytest.mark.parametrize("cfg", [MulConfig("mbm", 10, frac_out=True), MulConfig("mbm", 11),
                                 MulConfig("mbm", 16, trunc=8, frac_out=True), MulConfig("mitchell", 16)],
                         ids=lambda c: c.label)
def test_kernel_products_random_and_extremes(cfg):
    m = cfg.max_operand
    g = torch.Generator().manual_seed(cfg.bits)
    corners = torch.tensor([0, 1, -1, 2, m, -m, m - 1, 1 << (cfg.bits - 1), -(1 << (cfg.bits - 1))])
    vals = torch.cat([corners, torch.randint(-m, m + 1, (300,), generator=g)])
    wts = torch.cat([corners, torch.randint(-m, m + 1, (200,), generator=g)])
    assert torch.equal(pair_products(vals, wts, cfg), mul_signed(vals[None, :], wts[:, None], cfg))


def test_lane_types_and_product_bound():
    """int32 lanes up to N = 10 hold every product before the final shift; int64 above."""
    for bits in range(4, 17):
        for frac_out in (False, True):
            cfg = MulConfig("mbm", bits, frac_out=frac_out)
            m = cfg.max_operand
            ops = torch.tensor([m, m - 1, (1 << (bits - 1)) + (1 << (bits - 2)), m // 2 + 1])
            assert int(mul_signed(ops[:, None], ops[None, :], cfg).abs().max()) <= product_bound(cfg)
            assert product_bound(MulConfig("mbm", bits, frac_out=True)) < 2**31 or bits > LANE32_MAX_BITS
    assert code_dtype(MulConfig("mbm", 10)) == np.int32 and code_dtype(MulConfig("mbm", 11)) == np.int64


@pytest.mark.parametrize("acc_bits", [12, 16, 22])
def test_saturation_bit_exact(acc_bits):
    """Narrow accumulators: outputs that may saturate are recomputed in im2col order."""
    cfg = MulConfig("mbm", 6)
    x, w, _, geom = random_layer(LAYERS[2], cfg, seed=7)
    lo, hi = conv.acc_range(acc_bits)
    bias = torch.randint(lo // 2, hi // 2, (w.shape[0],), generator=torch.Generator().manual_seed(acc_bits))
    want, want_count = conv.conv2d_int(x, w, bias, cfg, **geom, acc_bits=acc_bits)
    got, count = approx_conv2d(x, w, bias, cfg, **geom, acc_bits=acc_bits, backend="cpu")
    assert mismatches(got, want) == [] and count == want_count
    plain, _ = conv.conv2d_int(x, w, bias, cfg, **geom)
    if acc_bits < 22:  # the case is a real test: saturation changed some outputs, not all
        assert 0 < want_count < want.numel() and mismatches(plain, want)
    else:  # wide enough: no output saturates, the fast sums stand
        assert want_count == 0 and mismatches(plain, want) == []


def test_bias_outside_accumulator_is_an_error():
    x, w, _, geom = random_layer(LAYERS[0], MulConfig("mbm", 8), seed=1)
    with pytest.raises(MBMError, match="bias value 300 does not fit acc_bits=8: allowed -128..127"):
        approx_conv2d(x, w, torch.full((w.shape[0],), 300), MulConfig("mbm", 8), acc_bits=8, backend="cpu")


@pytest.mark.parametrize("acc_bits", [None, 14])
def test_linear_matches_reference(acc_bits):
    cfg = MulConfig("mbm", 8, frac_out=acc_bits is None)
    g = torch.Generator().manual_seed(3)
    x = torch.randint(-255, 256, (2, 3, 37), generator=g)
    w = torch.randint(-255, 256, (11, 37), generator=g)
    bias = torch.randint(-100, 101, (11,), generator=g)
    want, want_count = conv.linear_int(x, w, bias, cfg, acc_bits=acc_bits)
    got, count = approx_linear(x, w, bias, cfg, acc_bits=acc_bits, backend="cpu")
    assert mismatches(got, want) == [] and count == want_count
    assert got.shape == (2, 3, 11)


def test_reference_backend_is_the_oracle():
    cfg = MulConfig("mbm", 8)
    x, w, bias, geom = random_layer(LAYERS[1], cfg, seed=5)
    assert mismatches(approx_conv2d(x, w, bias, cfg, **geom, backend="reference")[0],
                      conv.conv2d_int(x, w, bias, cfg, **geom)[0]) == []


def test_backend_names():
    assert available_backends()[:2] == ["reference", "cpu"]
    assert resolve_backend("auto", torch.device("cpu")) == "cpu"
    with pytest.raises(MBMError, match=r"unknown backend 'gpu': allowed auto, reference, cpu"):
        resolve_backend("gpu")
    if "triton" not in available_backends():
        with pytest.raises(MBMError, match=r"backend 'triton' is not available here: allowed auto, reference, cpu"):
            approx_conv2d(torch.zeros(1, 1, 3, 3, dtype=torch.long), torch.zeros(1, 1, 1, 1, dtype=torch.long),
                          None, MulConfig(), backend="triton")


def test_operand_out_of_range_is_an_error():
    x = torch.zeros(1, 1, 3, 3, dtype=torch.long)
    x[0, 0, 1, 2] = 256
    with pytest.raises(MBMError, match=r"operand x=256 is out of range for bits=8: allowed -255..255"):
        approx_conv2d(x, torch.ones(1, 1, 1, 1, dtype=torch.long), None, MulConfig(), backend="cpu")


def test_memory_is_bounded_by_the_documented_scratch():
    """Peak traced allocation stays within scratch_bytes + output, far below im2col."""
    cfg = MulConfig("mbm", 8)
    n, c, h, w, cout = 1, 32, 60, 80, 16
    x = torch.randint(-255, 256, (n, c, h, w))
    wt = torch.randint(-255, 256, (cout, c, 3, 3))
    approx_conv2d(x, wt, None, cfg, padding=1, backend="cpu")  # compile outside the trace
    tracemalloc.start()
    approx_conv2d(x, wt, None, cfg, padding=1, backend="cpu")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    output = n * cout * h * w * 8
    im2col = n * h * w * c * 9 * 8
    scratch = cpu.scratch_bytes((n, c, h, w), (cout, c, 3, 3), (1, 1), cfg)
    assert peak <= scratch + output + (1 << 16)
    assert scratch + output < im2col / 4


def test_documented_scratch_for_the_largest_seed_layer():
    """up5.convA at 480x640 (112 x 240 x 320 input): 70 MB of codes, not GBs of im2col."""
    scratch = cpu.scratch_bytes((1, 112, 240, 320), (48, 112, 3, 3), (1, 1), MulConfig("mbm", 8))
    assert 69e6 < scratch < 72e6


@pytest.mark.parametrize("seed", range(20))
def test_cpu_random_layers_sweep(seed):
    """Random geometry, width, truncation, output format and accumulator width."""
    rng = np.random.default_rng(seed)
    bits = int(rng.integers(4, 17))
    mult = ("mbm", "mitchell", "exact")[seed % 3]
    trunc = int(rng.integers(0, max(0, bits - 8) + 1)) if mult != "exact" else 0
    cfg = MulConfig(mult, bits, trunc=trunc, frac_out=bool(rng.integers(0, 2)))
    groups = int(rng.choice([1, 2, 3]))
    layer = (int(rng.integers(1, 4)), groups * int(rng.integers(1, 5)), int(rng.integers(5, 40)),
             int(rng.integers(5, 40)), groups * int(rng.integers(1, 6)), int(rng.integers(1, 4)),
             int(rng.integers(1, 4)), (int(rng.integers(1, 3)), int(rng.integers(1, 3))),
             (int(rng.integers(0, 3)), int(rng.integers(0, 3))), (int(rng.integers(1, 3)), int(rng.integers(1, 3))),
             groups)
    x, w, bias, geom = random_layer(layer, cfg, seed=seed)
    acc_bits = [None, 2 * bits + 6][seed % 2]
    want, want_count = conv.conv2d_int(x, w, bias, cfg, **geom, acc_bits=acc_bits)
    got, count = approx_conv2d(x, w, bias, cfg, **geom, acc_bits=acc_bits, backend="cpu")
    assert mismatches(got, want) == [] and count == want_count, (cfg, layer, acc_bits)
