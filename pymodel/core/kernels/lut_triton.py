"""Triton backend for product tables: the direct conv of :mod:`pymodel.core.kernels.triton`
with each product gathered from the table.

Why: on a GPU an 8-bit table (256 KiB of int32) stays in L2 and the gathers of one program
hit the few columns of its BLOCK_CO weights, so a table multiplier runs at memory-gather
speed with no im2col. One program computes BLOCK_CO output channels x BLOCK_P output pixels
of one image; for every tap it loads BLOCK_P operand indices (masked loads give the index of
operand 0: padding is multiplied like any operand, as in the reference) and gathers
``cols[w - lo, x - lo]`` for the BLOCK_CO x BLOCK_P pairs. Partial sums are int32 while as
many input channels as cannot overflow are summed (else int64), then added to an int64
accumulator; the bias is added at the store.

Peak extra device memory: one int32 index tensor the size of the input and the transposed
table; nothing the size of im2col. ``TRITON_INTERPRET=1`` runs it on CPU tensors (CI).
"""

from __future__ import annotations

import numpy as np
import torch
import triton
import triton.language as tl

from pymodel.core.kernels.lut_cpu import lane_dtype
from pymodel.core.kernels.triton_tile import BLOCK_CO, BLOCK_P, ci_chunk, grid, output_tile, store_tile
from pymodel.core.table import ProductTable

@triton.jit
def _conv_kernel(xi_ptr, widx_ptr, cols_ptr, bias_ptr, out_ptr,
                 C, H, W, OH, OW, COUT, CIN_G, COUT_G, N_CB,
                 SH, SW, PH, PW, DH, DW, ZERO, SIDE,
                 CI_CHUNK, KH: tl.constexpr, KW: tl.constexpr,
                 PART: tl.constexpr, BLOCK_CO: tl.constexpr, BLOCK_P: tl.constexpr):  # pragma: no cover
    n, g, co, co_mask, p, p_mask, oh, ow = output_tile(N_CB, COUT_G, OH, OW, BLOCK_CO, BLOCK_P)
    taps = CIN_G * KH * KW
    acc = tl.zeros((BLOCK_CO, BLOCK_P), dtype=tl.int64)
    part = tl.zeros((BLOCK_CO, BLOCK_P), dtype=PART)
    for ci in range(CIN_G):
        plane = (n * C + g * CIN_G + ci) * H
        for kh in tl.static_range(KH):
            ih = oh * SH - PH + kh * DH
            for kw in tl.static_range(KW):
                iw = ow * SW - PW + kw * DW
                inside = p_mask & (ih >= 0) & (ih < H) & (iw >= 0) & (iw < W)
                xi = tl.load(xi_ptr + (plane + ih) * W + iw, mask=inside, other=ZERO)
                wi = tl.load(widx_ptr + co * taps + (ci * KH + kh) * KW + kw, mask=co_mask, other=ZERO)
                prod = tl.load(cols_ptr + wi[:, None] * SIDE + xi[None, :],
                               mask=co_mask[:, None] & p_mask[None, :], other=0)
                part += prod.to(PART)
        if (ci + 1) % CI_CHUNK == 0:
            acc += part.to(tl.int64)
            part = tl.zeros((BLOCK_CO, BLOCK_P), dtype=PART)
    acc += part.to(tl.int64)
    store_tile(acc, bias_ptr, out_ptr, n, co, co_mask, p, p_mask, COUT, OH, OW)


def _columns(table: ProductTable, device: torch.device) -> torch.Tensor:
    """cols[w - lo, x - lo] = P(x, w) in the lane type on ``device`` (cached on the table)."""
    cache = table.__dict__.setdefault("_lut_triton_cols", {})
    key = str(device)
    if key not in cache:
        cols = np.ascontiguousarray(table.values.T, dtype=lane_dtype(table))
        cache[key] = torch.from_numpy(cols).to(device)
    return cache[key]


def conv2d(x, w, bias, table: ProductTable, stride: tuple[int, int], padding: tuple[int, int],
           dilation: tuple[int, int], groups: int, out_hw: tuple[int, int]) -> torch.Tensor:
    """Plain int64 sum bias + sum of table products, (N, Cout, Ho, Wo) on x's device.

    Arguments as :func:`pymodel.core.kernels.lut_cpu.conv2d`, validated by the caller.
    """
    cols = _columns(table, x.device)
    xi = (x.contiguous() - table.lo).to(torch.int32)
    cout, cin_g, kh, kw = w.shape
    widx = (w.reshape(cout, -1) - table.lo).to(torch.int32).contiguous()
    n, c, h, wd = x.shape
    out = torch.empty((n, cout, *out_hw), dtype=torch.int64, device=x.device)
    launch, n_cb = grid(out_hw, cout // groups, groups, n)
    # int32 partial sums over as many input channels as cannot overflow (int64 otherwise)
    limit = np.iinfo(np.int32).max // max(1, table.max_abs * kh * kw) if cols.dtype == torch.int32 else 0
    chunk, part = ci_chunk(limit, cin_g)
    _conv_kernel[launch](xi, widx, cols, bias.contiguous(), out,
                         c, h, wd, out_hw[0], out_hw[1], cout, cin_g, cout // groups, n_cb,
                         stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1],
                         -table.lo, cols.shape[1], chunk, KH=kh, KW=kw, PART=part,
                         BLOCK_CO=BLOCK_CO, BLOCK_P=BLOCK_P)
    return out
