"""Triton backend: the same separable-code direct conv as the CPU kernel, for CUDA GPUs.

Why: on a GPU the product table would live in shared memory and every lookup would be a
bank-conflicting gather; the codes of :mod:`pymodel.core.kernels.logcode` make each product a
few integer ALU operations on registers instead, and the direct conv needs no im2col.

One program computes a (BLOCK_CO output channels) x (BLOCK_P output pixels) tile of one
image: for every tap (ci, kh, kw) it loads BLOCK_P activation codes (masked loads give the
zero padding: code 0 makes the product 0) and the BLOCK_CO weights' four constants, forms the
BLOCK_CO x BLOCK_P products in int32 (N <= 10) or int64 lanes and adds them to partial
sums, int32 flushed into an int64 accumulator every CI_CHUNK input channels (as many as
cannot overflow; int64 partial sums when not even one channel fits); the bias is added at
the store.

Peak extra device memory: the two activation code tensors (2 * lane_bytes * N*Cin*H*W, no
padding copy) and 4 lane words per weight; nothing the size of im2col.

Without a GPU, ``TRITON_INTERPRET=1`` runs the same kernel on CPU tensors through Triton's
interpreter (slow: small shapes only), which is how CI checks it.
"""

from __future__ import annotations

import numpy as np
import torch
import triton
import triton.language as tl

from pymodel.core.arith import MulConfig
from pymodel.core.kernels.logcode import code_dtype, operand_codes, product_bound, weight_constants
from pymodel.core.kernels.triton_tile import BLOCK_CO, BLOCK_P, ci_chunk, grid, output_tile, store_tile


@triton.jit
def _conv_kernel(xp_ptr, xf_ptr, wc_ptr, bias_ptr, out_ptr,
                 C, H, W, OH, OW, COUT, CIN_G, COUT_G, N_CB,
                 SH, SW, PH, PW, DH, DW,
                 CI_CHUNK, KH: tl.constexpr, KW: tl.constexpr, FRAC: tl.constexpr, FRAC_OUT: tl.constexpr,
                 PART: tl.constexpr, BLOCK_CO: tl.constexpr, BLOCK_P: tl.constexpr):  # pragma: no cover
    n, g, co, co_mask, p, p_mask, oh, ow = output_tile(N_CB, COUT_G, OH, OW, BLOCK_CO, BLOCK_P)
    taps = CIN_G * KH * KW
    mask_f = (1 << FRAC) - 1
    acc = tl.zeros((BLOCK_CO, BLOCK_P), dtype=tl.int64)
    part = tl.zeros((BLOCK_CO, BLOCK_P), dtype=PART)
    for ci in range(CIN_G):
        plane = (n * C + g * CIN_G + ci) * H
        for kh in tl.static_range(KH):
            ih = oh * SH - PH + kh * DH
            for kw in tl.static_range(KW):
                iw = ow * SW - PW + kw * DW
                inside = p_mask & (ih >= 0) & (ih < H) & (iw >= 0) & (iw < W)
                off = (plane + ih) * W + iw
                px = tl.load(xp_ptr + off, mask=inside, other=0)
                fx = tl.load(xf_ptr + off, mask=inside, other=0)
                wrow = (co * taps + (ci * KH + kh) * KW + kw) * 4
                pw = tl.load(wc_ptr + wrow, mask=co_mask, other=0)
                thr = tl.load(wc_ptr + wrow + 1, mask=co_mask, other=0)
                a = tl.load(wc_ptr + wrow + 2, mask=co_mask, other=0)
                b = tl.load(wc_ptr + wrow + 3, mask=co_mask, other=0)
                f2 = fx[None, :]
                gsel = tl.where(f2 < thr[:, None], f2 + a[:, None], f2 + f2 + b[:, None])
                pf = px[None, :] * gsel * pw[:, None]
                if not FRAC_OUT:  # floor the magnitude: truncate toward zero
                    pf = (pf + tl.where(pf < 0, mask_f, 0)) >> FRAC
                part += pf.to(PART)
        if (ci + 1) % CI_CHUNK == 0:  # int32 partial sums into the int64 accumulator
            acc += part.to(tl.int64)
            part = tl.zeros((BLOCK_CO, BLOCK_P), dtype=PART)
    acc += part.to(tl.int64)
    store_tile(acc, bias_ptr, out_ptr, n, co, co_mask, p, p_mask, COUT, OH, OW)


_TABLES: dict[tuple[str, int, int, str], tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}


def _code_tables(cfg: MulConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Codes p, f and weight constants of every operand value -M..M on ``device``."""
    key = (cfg.mult, cfg.bits, cfg.trunc, str(device))
    if key not in _TABLES:
        values = torch.arange(-cfg.max_operand, cfg.max_operand + 1).numpy()
        p, f = operand_codes(values, cfg)
        _TABLES[key] = tuple(torch.from_numpy(t).to(device) for t in (p, f, weight_constants(values, cfg)))
    return _TABLES[key]


def conv2d(x, w, bias, cfg: MulConfig, stride: tuple[int, int], padding: tuple[int, int],
           dilation: tuple[int, int], groups: int, out_hw: tuple[int, int]) -> torch.Tensor:
    """Plain int64 sum bias + sum of products, (N, Cout, Ho, Wo) on x's device; no saturation.

    Arguments as :func:`pymodel.core.kernels.cpu.conv2d`, validated by the caller.
    """
    table_p, table_f, table_w = _code_tables(cfg, x.device)
    xi = x.contiguous() + cfg.max_operand
    xp, xf = table_p[xi], table_f[xi]
    cout, cin_g, kh, kw = w.shape
    wc = table_w[w.reshape(cout, -1) + cfg.max_operand].contiguous()
    n, c, h, wd = x.shape
    out = torch.empty((n, cout, *out_hw), dtype=torch.int64, device=x.device)
    launch, n_cb = grid(out_hw, cout // groups, groups, n)
    # int32 partial sums over as many input channels as cannot overflow (int64 otherwise)
    limit = (2**31 - 1) // (product_bound(cfg) * kh * kw) if code_dtype(cfg) == np.int32 else 0
    chunk, part = ci_chunk(limit, cin_g)
    _conv_kernel[launch](xp, xf, wc, bias.contiguous(), out,
                         c, h, wd, out_hw[0], out_hw[1], cout, cin_g, cout // groups, n_cb,
                         stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1],
                         chunk, KH=kh, KW=kw, FRAC=cfg.frac, FRAC_OUT=cfg.frac_out, PART=part,
                         BLOCK_CO=BLOCK_CO, BLOCK_P=BLOCK_P)
    return out
