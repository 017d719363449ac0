"""Triton backend: bit-exact to the reference integer model.

Without a CUDA GPU the kernel runs on CPU tensors under Triton's interpreter: this module
sets TRITON_INTERPRET=1 before the kernel is defined (small shapes only, it is slow). The
tests marked ``gpu`` need CUDA and skip cleanly without it (tests/conftest.py).
"""

import os

import pytest
import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

pytest.importorskip("triton")

from pymodel.core import conv  # noqa: E402
from pymodel.core.arith import MulConfig  # noqa: E402
from pymodel.core.kernels import approx_conv2d, approx_linear, available_backends, resolve_backend  # noqa: E402

from tests.core.kernel_cases import CONFIGS, LAYERS, mismatches, random_layer  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def test_triton_is_available_here():
    assert "triton" in available_backends()


@pytest.mark.parametrize("case", range(len(CONFIGS)), ids=lambda i: CONFIGS[i].label)
def test_triton_matches_reference(case):
    cfg, layer = CONFIGS[case], LAYERS[case % len(LAYERS)]
    x, w, bias, geom = random_layer(layer, cfg, seed=case)
    want, _ = conv.conv2d_int(x, w, bias, cfg, **geom)
    got, saturated = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), cfg, **geom, backend="triton")
    assert got.device.type == DEVICE
    assert mismatches(got.cpu(), want) == [] and saturated == 0


def test_triton_int32_partial_sums_flush():
    """N=9 with frac_out: 3 input channels of 3x3 products fill the int32 partial sums."""
    cfg = MulConfig("mbm", 9, trunc=1, frac_out=True)
    x, w, bias, geom = random_layer((1, 7, 6, 5, 3, 3, 3, 1, 1, 1, 1), cfg, seed=9)
    want, _ = conv.conv2d_int(x, w, bias, cfg, **geom)
    got, _ = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), cfg, **geom, backend="triton")
    assert mismatches(got.cpu(), want) == []


def test_triton_catches_a_different_multiplier():
    x, w, bias, geom = random_layer(LAYERS[0], MulConfig("mbm", 8), seed=0)
    want, _ = conv.conv2d_int(x, w, bias, MulConfig("mbm", 8), **geom)
    got, _ = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), MulConfig("mitchell", 8), **geom,
                           backend="triton")
    assert mismatches(got.cpu(), want)


def test_triton_saturation_and_linear():
    cfg = MulConfig("mbm", 6)
    x, w, _, geom = random_layer(LAYERS[2], cfg, seed=7)
    bias = torch.randint(-1000, 1000, (w.shape[0],), generator=torch.Generator().manual_seed(1))
    want, want_count = conv.conv2d_int(x, w, bias, cfg, **geom, acc_bits=13)
    got, count = approx_conv2d(x.to(DEVICE), w.to(DEVICE), bias.to(DEVICE), cfg, **geom, acc_bits=13,
                               backend="triton")
    assert mismatches(got.cpu(), want) == [] and count == want_count > 0
    xl = torch.randint(-63, 64, (5, 29))
    wl = torch.randint(-63, 64, (7, 29))
    want_l, _ = conv.linear_int(xl, wl, None, cfg)
    assert mismatches(approx_linear(xl.to(DEVICE), wl.to(DEVICE), None, cfg, backend="triton")[0].cpu(), want_l) == []


@pytest.mark.gpu
def test_auto_picks_triton_for_cuda_tensors():
    assert resolve_backend("auto", torch.device("cuda")) == "triton"


@pytest.mark.gpu
@pytest.mark.parametrize("cfg", [MulConfig("mbm", 8), MulConfig("mbm", 16, trunc=4, frac_out=True)],
                         ids=lambda c: c.label)
def test_gpu_larger_layer_matches_cpu_kernel(cfg):
    """A decoder-like layer on the GPU equals the CPU kernel (itself checked against the reference)."""
    g = torch.Generator().manual_seed(11)
    m = cfg.max_operand
    x = torch.randint(-m, m + 1, (2, 40, 30, 41), generator=g)
    w = torch.randint(-m, m + 1, (24, 40, 3, 3), generator=g)
    bias = torch.randint(-9999, 9999, (24,), generator=g)
    want, _ = approx_conv2d(x, w, bias, cfg, padding=1, backend="cpu")
    got, _ = approx_conv2d(x.cuda(), w.cuda(), bias.cuda(), cfg, padding=1, backend="triton")
    assert mismatches(got.cpu(), want) == []
