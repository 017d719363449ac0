"""Triton gather kernel for product tables: bit-exact to the reference with the same table.

Without a CUDA GPU it runs on CPU tensors under Triton's interpreter (TRITON_INTERPRET=1 is
set before the kernel is defined, as in test_kernels_triton.py); tests marked ``gpu`` skip.
"""

import os

import pytest
import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

pytest.importorskip("triton")

from pymodel.core import conv  # noqa: E402
from pymodel.core.kernels import approx_conv2d, approx_linear  # noqa: E402
from pymodel.core.table import ProductTable  # noqa: E402

from tests.core.kernel_cases import LAYERS, mismatches, noisy_table, random_table_layer, table_cases  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
CASES = table_cases()


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: CASES[i][0])
def test_lut_triton_matches_reference(case):
    table = CASES[case][1]
    x, w, bias, geom = random_table_layer(LAYERS[case % len(LAYERS)], table, seed=case)
    want, _ = conv.conv2d_int(x, w, bias, table, **geom)
    got, saturated = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), table, **geom, backend="triton")
    assert got.device.type == DEVICE
    assert mismatches(got.cpu(), want) == [] and saturated == 0


def test_lut_triton_int32_flush_and_wrong_entry():
    """Entries near 2^28: int32 partial sums hold a single input channel of 3x3 products;
    and a table with one entry changed gives a different result."""
    base = noisy_table("twos", 8, seed=6)
    table = ProductTable(base.values << 14, "twos")
    x, w, bias, geom = random_table_layer((1, 4, 6, 5, 3, 3, 3, 1, 1, 1, 1), table, seed=9)
    want, _ = conv.conv2d_int(x, w, bias, table, **geom)
    got, _ = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), table, **geom, backend="triton")
    assert mismatches(got.cpu(), want) == []
    values = table.values.copy()
    values[int(x[0, 0, 1, 1]) - table.lo, int(w[0, 0, 1, 1]) - table.lo] += 1
    bad, _ = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), ProductTable(values, "twos"), **geom,
                           backend="triton")
    assert mismatches(bad.cpu(), want)


def test_lut_triton_saturation_and_linear():
    table = noisy_table("twos", 4, seed=2, spread=3)
    x, w, bias, geom = random_table_layer(LAYERS[0], table, seed=3)
    bias = bias // 10
    want, count = conv.conv2d_int(x, w, bias, table, **geom, acc_bits=8)
    got, got_count = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), table, **geom, acc_bits=8,
                                   backend="triton")
    assert mismatches(got.cpu(), want) == [] and got_count == count > 0
    rows = torch.randint(table.lo, table.hi + 1, (3, 11))
    wl = torch.randint(table.lo, table.hi + 1, (5, 11))
    want_l, _ = conv.linear_int(rows, wl, None, table)
    got_l, _ = approx_linear(rows.to(DEVICE), wl.to(DEVICE), None, table, backend="triton")
    assert mismatches(got_l.cpu(), want_l) == []


@pytest.mark.gpu
def test_lut_triton_on_gpu_larger_layer():
    table = noisy_table("twos", 8, seed=1)
    x, w, bias, geom = random_table_layer((2, 16, 33, 47, 24, 3, 3, 1, 1, 1, 1), table, seed=5)
    want, _ = conv.conv2d_int(x, w, bias, table, **geom)
    got, _ = approx_conv2d(x.cuda(), w.cuda(), bias.cuda(), table, **geom, backend="triton")
    assert mismatches(got.cpu(), want) == []
