"""Table-driven conv (any multiplier as a ProductTable): the compiled gather kernel is
bit-exact to the reference integer model run with the same table.

The reference with a table is itself checked against a scalar loop over the table entries,
and with a built-in multiplier's table against the reference with its MulConfig.
"""

import numpy as np
import pytest
import torch

from pymodel.core import conv
from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.kernels import approx_conv2d, approx_linear
from pymodel.core.table import ProductTable

from tests.core.kernel_cases import LAYERS, mismatches, noisy_table, random_table_layer, table_cases

lut_cpu = pytest.importorskip("pymodel.core.kernels.lut_cpu")
CASES = table_cases()


def test_reference_with_a_table_is_a_scalar_loop_over_its_entries():
    table = noisy_table("twos", 4, seed=5, spread=3)
    x, w, bias, _ = random_table_layer((1, 2, 3, 4, 2, 2, 2, 1, 1, 1, 1), table, seed=1)
    got, _ = conv.conv2d_int(x, w, bias, table, padding=1)
    xp = torch.nn.functional.pad(x, (1, 1, 1, 1))  # zero padding: operand 0
    for co in range(2):
        for i in range(got.shape[2]):
            for j in range(got.shape[3]):
                want = int(bias[co]) + sum(
                    int(table.values[int(xp[0, ci, i + a, j + b]) - table.lo, int(w[co, ci, a, b]) - table.lo])
                    for ci in range(2) for a in range(2) for b in range(2))
                assert int(got[0, co, i, j]) == want


def test_a_builtin_multipliers_table_matches_its_config():
    cfg = MulConfig("mbm", 6)
    table = ProductTable.from_config(cfg, signed=True)
    x, w, bias, geom = random_table_layer(LAYERS[2], table, seed=2)
    want, _ = conv.conv2d_int(x, w, bias, cfg, **geom)
    assert mismatches(conv.conv2d_int(x, w, bias, table, **geom)[0], want) == []
    assert mismatches(approx_conv2d(x, w, bias, table, **geom, backend="cpu")[0], want) == []


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: CASES[i][0])
@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_lut_cpu_matches_reference(case, index):
    table = CASES[case][1]
    x, w, bias, geom = random_table_layer(LAYERS[index], table, seed=index)
    want, _ = conv.conv2d_int(x, w, bias, table, **geom)
    got, saturated = approx_conv2d(x, w, bias, table, **geom, backend="cpu")
    assert mismatches(got, want) == [] and saturated == 0


def test_lut_cpu_several_tiles_flushes_and_odd_channels():
    """Several tiles, 8 + 3 output channels, and partial sums flushed every few taps
    (entries near 2^28 leave room for only a couple of products in int32)."""
    base = noisy_table("twos", 8, seed=6)
    table = ProductTable(base.values << 14, "twos")
    assert lut_cpu.lane_dtype(table) == np.int32 and np.iinfo(np.int32).max // table.max_abs <= 8
    x, w, bias, geom = random_table_layer((1, 5, 40, 41, 11, 3, 3, 1, 1, 1, 1), table, seed=4)
    want, _ = conv.conv2d_int(x, w, bias, table, **geom)
    got, _ = approx_conv2d(x, w, bias, table, **geom, backend="cpu")
    assert mismatches(got, want) == []


def test_one_wrong_entry_is_caught():
    table = noisy_table("twos", 4, seed=7, spread=3)
    x, w, bias, geom = random_table_layer(LAYERS[0], table, seed=0)
    want, _ = conv.conv2d_int(x, w, bias, table, **geom)
    values = table.values.copy()
    values[int(x[0, 0, 1, 1]) - table.lo, int(w[0, 0, 1, 1]) - table.lo] += 1
    got, _ = approx_conv2d(x, w, bias, ProductTable(values, "twos"), **geom, backend="cpu")
    assert mismatches(got, want)


@pytest.mark.parametrize("acc_bits", [12, 16, 26])
def test_lut_saturation_bit_exact(acc_bits):
    table = noisy_table("twos", 8, seed=8)
    x, w, _, geom = random_table_layer(LAYERS[0], table, seed=acc_bits)
    lo, hi = conv.acc_range(acc_bits)
    bias = torch.randint(lo // 2, hi // 2, (w.shape[0],), generator=torch.Generator().manual_seed(acc_bits))
    want, want_count = conv.conv2d_int(x, w, bias, table, **geom, acc_bits=acc_bits)
    got, count = approx_conv2d(x, w, bias, table, **geom, acc_bits=acc_bits, backend="cpu")
    assert mismatches(got, want) == [] and count == want_count
    if acc_bits < 26:  # a real test: saturation changed some outputs
        assert count > 0


def test_lut_linear_matches_reference():
    table = noisy_table("unsigned", 8, seed=9)
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 256, (2, 5, 37), generator=g)
    w = torch.randint(0, 256, (9, 37), generator=g)
    bias = torch.randint(-50, 50, (9,), generator=g)
    for acc_bits in (None, 20):
        want, wc = conv.linear_int(x, w, bias, table, acc_bits=acc_bits)
        got, gc = approx_linear(x, w, bias, table, acc_bits=acc_bits, backend="cpu")
        assert mismatches(got, want) == [] and gc == wc


def test_operands_outside_the_table_are_refused():
    table = noisy_table("twos", 8, seed=1)
    x, w, bias, geom = random_table_layer(LAYERS[0], table, seed=0)
    x[0, 0, 0, 0] = 128
    msg = "operand [ax]=128 is out of range for the twos N=8 table 'noisy twos 8': allowed -128..127"
    for backend in ("reference", "cpu"):
        with pytest.raises(MBMError, match=msg):
            approx_conv2d(x, w, bias, table, **geom, backend=backend)


def test_scratch_is_small():
    table = noisy_table("twos", 8, seed=1)
    # decoder.up5.convA at 480x640: int16 index planes, about a quarter of the int64 input
    x_shape = (1, 112, 240, 320)
    assert lut_cpu.scratch_bytes(x_shape, (1, 1), table) < 8 * np.prod(x_shape) / 3
