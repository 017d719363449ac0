"""Random conv layers and the comparison shared by the kernel tests (CPU and Triton)."""

import torch

from pymodel.core.arith import MulConfig

#: (N, C, H, W, Cout, kh, kw, stride, padding, dilation, groups): odd sizes, batch > 1.
LAYERS = [
    (2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1),
    (2, 6, 9, 11, 4, 3, 2, (2, 1), (0, 2), 1, 2),
    (3, 4, 11, 8, 6, 3, 3, 1, 2, 2, 1),
    (1, 6, 10, 13, 6, 2, 3, 3, 1, (1, 2), 3),
    (2, 5, 5, 7, 3, 1, 1, 1, 0, 1, 1),
]
CONFIGS = [
    MulConfig("mbm", 4),
    MulConfig("mbm", 8),
    MulConfig("mbm", 10, trunc=2, frac_out=True),
    MulConfig("mitchell", 10, frac_out=True),
    MulConfig("mbm", 12, trunc=3),
    MulConfig("mbm", 16, trunc=2, frac_out=True),
    MulConfig("exact", 8),
]


def mismatches(got: torch.Tensor, want: torch.Tensor) -> list[str]:
    """Where two accumulator tensors differ: empty when they agree bit for bit."""
    if got.shape != want.shape or got.dtype != want.dtype:
        return [f"shape/dtype {tuple(got.shape)} {got.dtype} != {tuple(want.shape)} {want.dtype}"]
    bad = (got != want).nonzero()
    return [f"at {tuple(i.tolist())}: got {int(got[tuple(i)])} want {int(want[tuple(i)])}" for i in bad[:5]]


def random_layer(layer, cfg, seed):
    n, c, h, w, cout, kh, kw, stride, padding, dilation, groups = layer
    g = torch.Generator().manual_seed(seed)
    m = cfg.max_operand
    x = torch.randint(-m, m + 1, (n, c, h, w), generator=g)
    x[x.abs() < m // 8] = 0  # some zeros, as after ReLU
    wt = torch.randint(-m, m + 1, (cout, c // groups, kh, kw), generator=g)
    bias = torch.randint(-1000, 1001, (cout,), generator=g)
    return x, wt, bias, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
