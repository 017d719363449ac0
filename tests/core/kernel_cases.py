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


def noisy_table(encoding: str, bits: int, seed: int, spread: int = 40):
    """An 'approximate multiplier' table: the exact products plus seeded errors, with
    P(0, w) != 0 somewhere (so padding semantics matter)."""
    import numpy as np

    from pymodel.core.table import ProductTable, operand_bounds

    lo, hi = operand_bounds(encoding, bits)
    ops = np.arange(lo, hi + 1)
    rng = np.random.default_rng(seed)
    values = ops[:, None] * ops[None, :] + rng.integers(-spread, spread + 1, (ops.size, ops.size))
    if encoding == "unsigned":
        values = np.abs(values)
    return ProductTable(values, encoding, name=f"noisy {encoding} {bits}")


def table_cases():
    """(id, table) pairs the table-kernel tests run over."""
    import numpy as np

    from pymodel.core.table import ProductTable

    wide = noisy_table("twos", 10, seed=3)
    wide = ProductTable(wide.values << 26, "twos", name="wide twos 10")  # int64 lanes
    return [
        ("twos8", noisy_table("twos", 8, seed=1)),
        ("unsigned8", noisy_table("unsigned", 8, seed=2)),
        ("twos4", noisy_table("twos", 4, seed=4, spread=3)),
        ("signmag6-mbm", ProductTable.from_config(MulConfig("mbm", 6), signed=True)),
        ("wide-twos10", wide),
        ("constant", ProductTable(np.full((16, 16), -5), "twos")),
    ]


def random_table_layer(layer, table, seed):
    """random_layer with operands over the table's whole range (zeros included)."""
    n, c, h, w, cout, kh, kw, stride, padding, dilation, groups = layer
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(table.lo, table.hi + 1, (n, c, h, w), generator=g)
    x[torch.rand(x.shape, generator=g) < 0.2] = 0
    wt = torch.randint(table.lo, table.hi + 1, (cout, c // groups, kh, kw), generator=g)
    bias = torch.randint(-1000, 1001, (cout,), generator=g)
    return x, wt, bias, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
