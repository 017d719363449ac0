"""Bit-exact integer dot product, conv and linear layer of the MBM MAC array.

Why: this is the oracle for the MAC array RTL (``rtl/mbm_mac_array.v``) and for the fast
kernels. It is written to be obviously right, not fast: products come from
:func:`pymodel.core.arith.mul_signed` and the accumulation follows the hardware step by step.

MAC array semantics (one lane per output channel, one dot product per output pixel):

* the accumulator starts at ``bias_q`` (which must fit the accumulator);
* it adds ``mul_signed(x[k], w[k], cfg)`` for k = 0, 1, ..., K-1 in ascending im2col index
  order (column order (cin, kh, kw), i.e. ``w.reshape(Cout, -1)``);
* with ``acc_bits = A`` every step saturates to [-2^(A-1), 2^(A-1) - 1] and a sticky
  overflow flag records that it did; ``acc_bits=None`` is a plain int64 sum (the width is
  taken wide enough never to overflow).

All tensors are int64 torch tensors; operands are sign-magnitude values in
[-(2^N - 1), 2^N - 1] for a built-in :class:`~pymodel.core.arith.MulConfig`. ``mult`` may also
be any multiplier with a vectorized ``mul(a, b)`` and ``max_abs`` (a
:class:`pymodel.core.table.ProductTable`): its products replace ``mul_signed``, its operand
range applies, and zero padding multiplies the operand 0 like any other (an approximate table
may give ``P(0, w) != 0``; the MAC array streams those zeros through its multipliers too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

from pymodel.core.arith import MulConfig, mul_signed
from pymodel.core.errors import MBMError

if TYPE_CHECKING:
    import torch

    from pymodel.core.table import ProductTable

#: A built-in multiplier or anything with a vectorized ``mul(a, b)`` (a product table).
Multiplier = Union[MulConfig, "ProductTable"]

#: Products held in memory at once (elements of the (rows, Cout, K) product block).
_CHUNK_ELEMENTS = 1 << 21
#: Widest accumulator the int64 model can represent.
MAX_ACC_BITS = 63


def _pair(v: int | tuple[int, int], what: str) -> tuple[int, int]:
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or any(not isinstance(p, int) or p < 0 for p in pair):
        raise MBMError(f"{what}={v!r} is not allowed: allowed a non-negative int or a pair of them")
    return pair  # type: ignore[return-value]


def _int_tensor(x: "torch.Tensor", name: str) -> "torch.Tensor":
    import torch

    t = torch.as_tensor(x)
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise MBMError(f"tensor {name!r} has dtype {t.dtype}: allowed integer tensors (quantize first)")
    return t.to(torch.int64)


def acc_range(acc_bits: int) -> tuple[int, int]:
    """(lo, hi) of an acc_bits two's-complement accumulator, 2..63 bits."""
    if isinstance(acc_bits, bool) or not isinstance(acc_bits, int) or not 2 <= acc_bits <= MAX_ACC_BITS:
        raise MBMError(f"acc_bits={acc_bits} is out of range: allowed 2..{MAX_ACC_BITS}")
    return -(1 << (acc_bits - 1)), (1 << (acc_bits - 1)) - 1


def max_abs_product(mult: Multiplier) -> int:
    """Bound on |P|: 2^product_bits - 1 (the RTL port) for a built-in config, the largest
    |entry| for a table."""
    return (1 << mult.product_bits) - 1 if isinstance(mult, MulConfig) else int(mult.max_abs)


def acc_bits_needed(k: int, cfg: Multiplier, bias_bound: int = 0) -> int:
    """Accumulator width that can never overflow: bias plus k products of full port width.

    Each product magnitude is at most :func:`max_abs_product` (below 2^cfg.product_bits, the
    RTL port width, for a built-in config), so |acc| <= bias_bound + k * max|P|; one more bit
    holds the sign.
    """
    if k < 0 or bias_bound < 0:
        raise MBMError(f"k={k}, bias_bound={bias_bound}: allowed non-negative values")
    bound = abs(int(bias_bound)) + k * max_abs_product(cfg)
    return bound.bit_length() + 1


def signed_products(x: Any, w: Any, mult: Multiplier) -> Any:
    """x * w through the multiplier: :func:`mul_signed` for a built-in config, else ``mult.mul``."""
    return mul_signed(x, w, mult) if isinstance(mult, MulConfig) else mult.mul(x, w)


def dot_int(
    x_rows: "torch.Tensor",
    w_rows: "torch.Tensor",
    bias: "torch.Tensor | None",
    cfg: Multiplier,
    acc_bits: int | None = None,
) -> tuple["torch.Tensor", "torch.Tensor"]:
    """The MAC array: every row of x_rows (M, K) dotted with every row of w_rows (Cout, K).

    bias: (Cout,) in accumulator units, or None for zero. Returns (acc, overflow): acc is
    (M, Cout) int64, overflow the (M, Cout) bool sticky flags (all False when acc_bits is None).
    """
    import torch

    x = _int_tensor(x_rows, "x")
    w = _int_tensor(w_rows, "w")
    if x.dim() != 2 or w.dim() != 2 or x.shape[1] != w.shape[1]:
        raise MBMError(f"x rows {tuple(x.shape)} and w rows {tuple(w.shape)}: allowed (M, K) and (Cout, K)")
    m, k = x.shape
    cout = w.shape[0]
    b = torch.zeros(cout, dtype=torch.int64) if bias is None else _int_tensor(bias, "bias").reshape(-1)
    if b.numel() != cout:
        raise MBMError(f"bias has {b.numel()} values: allowed one per output channel ({cout})")
    acc = torch.empty((m, cout), dtype=torch.int64)
    overflow = torch.zeros((m, cout), dtype=torch.bool)
    lo, hi = acc_range(acc_bits) if acc_bits is not None else (None, None)
    if acc_bits is not None and cout and (int(b.min()) < lo or int(b.max()) > hi):
        bad = int(b.min()) if int(b.min()) < lo else int(b.max())
        raise MBMError(f"bias value {bad} does not fit acc_bits={acc_bits}: allowed {lo}..{hi}")
    rows = max(1, _CHUNK_ELEMENTS // max(1, cout * k))
    for start in range(0, m, rows):
        stop = min(m, start + rows)
        products = signed_products(x[start:stop, None, :], w[None, :, :], cfg)
        if acc_bits is None:
            acc[start:stop] = b + products.sum(dim=2)
            continue
        a = b.expand(stop - start, cout).clone()
        flag = torch.zeros_like(a, dtype=torch.bool)
        for i in range(k):
            a += products[:, :, i]
            flag |= (a < lo) | (a > hi)
            a.clamp_(lo, hi)
        acc[start:stop] = a
        overflow[start:stop] = flag
    return acc, overflow


def conv_output_size(
    size: tuple[int, int],
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[int, int]:
    """(Ho, Wo) of a conv, as torch computes it."""
    out = tuple(
        (n + 2 * p - d * (kk - 1) - 1) // s + 1
        for n, kk, s, p, d in zip(size, kernel_size, stride, padding, dilation)
    )
    if min(out) < 1:
        raise MBMError(f"input {size} is too small for kernel {kernel_size} (dilation {dilation}): output {out}")
    return out  # type: ignore[return-value]


def im2col(
    x: "torch.Tensor",
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> "torch.Tensor":
    """Patches of NCHW x as (N, Ho, Wo, C*kh*kw), columns in (cin, kh, kw) order.

    Zero padding; works for any dtype. Row (n, i, j) is what the MAC array streams for
    output pixel (i, j): its dot product with ``w.reshape(Cout, -1)[c]`` is output (n, c, i, j).
    """
    import torch.nn.functional as F

    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    dh, dw = _pair(dilation, "dilation")
    if min(kh, kw, sh, sw, dh, dw) < 1:
        raise MBMError("kernel_size, stride and dilation must be >= 1")
    if x.dim() != 4:
        raise MBMError(f"input shape {tuple(x.shape)}: allowed NCHW (4 dims)")
    ho, wo = conv_output_size(tuple(x.shape[2:]), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    xp = F.pad(x, (pw, pw, ph, ph))
    patches = xp.unfold(2, dh * (kh - 1) + 1, sh).unfold(3, dw * (kw - 1) + 1, sw)
    patches = patches[:, :, :ho, :wo, ::dh, ::dw]  # (N, C, Ho, Wo, kh, kw)
    n, c = x.shape[:2]
    return patches.permute(0, 2, 3, 1, 4, 5).reshape(n, ho, wo, c * kh * kw)


def conv2d_int(
    x_q: "torch.Tensor",
    w_q: "torch.Tensor",
    bias_q: "torch.Tensor | None",
    cfg: Multiplier,
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    acc_bits: int | None = None,
) -> tuple["torch.Tensor", int]:
    """Integer conv as the MAC array computes it: (NCHW int64 accumulators, saturated count).

    x_q (N, Cin, H, W), w_q (Cout, Cin/groups, kh, kw), bias_q (Cout,) or None; zero padding.
    """
    import torch

    x = _int_tensor(x_q, "x")
    w = _int_tensor(w_q, "w")
    if x.dim() != 4 or w.dim() != 4:
        raise MBMError(f"x {tuple(x.shape)}, w {tuple(w.shape)}: allowed NCHW input and (Cout, Cin/g, kh, kw)")
    if not isinstance(groups, int) or groups < 1 or x.shape[1] % groups or w.shape[0] % groups:
        raise MBMError(f"groups={groups} must divide Cin={x.shape[1]} and Cout={w.shape[0]}")
    cin_g, cout_g = x.shape[1] // groups, w.shape[0] // groups
    if w.shape[1] != cin_g:
        raise MBMError(f"weight has {w.shape[1]} input channels: allowed Cin/groups = {cin_g}")
    bias = torch.zeros(w.shape[0], dtype=torch.int64) if bias_q is None else _int_tensor(bias_q, "bias")
    outs, saturated = [], 0
    for g in range(groups):
        rows = im2col(x[:, g * cin_g : (g + 1) * cin_g], tuple(w.shape[2:]), stride, padding, dilation)
        n, ho, wo, k = rows.shape
        wg = w[g * cout_g : (g + 1) * cout_g].reshape(cout_g, k)
        acc, flags = dot_int(rows.reshape(-1, k), wg, bias[g * cout_g : (g + 1) * cout_g], cfg, acc_bits)
        outs.append(acc.reshape(n, ho, wo, cout_g))
        saturated += int(flags.sum())
    return torch.cat(outs, dim=3).permute(0, 3, 1, 2).contiguous(), saturated


def linear_int(
    x_q: "torch.Tensor",
    w_q: "torch.Tensor",
    bias_q: "torch.Tensor | None",
    cfg: Multiplier,
    *,
    acc_bits: int | None = None,
) -> tuple["torch.Tensor", int]:
    """Integer linear layer: x_q (..., in), w_q (out, in) -> ((..., out) int64, saturated count)."""
    x = _int_tensor(x_q, "x")
    acc, flags = dot_int(x.reshape(-1, x.shape[-1]), w_q, bias_q, cfg, acc_bits)
    return acc.reshape(*x.shape[:-1], acc.shape[1]), int(flags.sum())
