"""Separable per-operand codes that let a kernel evaluate MBM products without a table.

Why: a product table lookup is a gather per multiply-accumulate, which no SIMD unit does
quickly. The MBM product splits instead into one term per operand plus a per-pair carry
select (see :mod:`pymodel.core.arith` for the spec; F = N - 1, one = 2^F, C the correction)::

    x = sx * 2^kx * (1 + fx / one)     ->  code (px, fx),  px = sx * 2^kx  (0 when x == 0)
    P_frac = px * pw * g(fx, fw)        g = one + C + fx + fw          if fx + fw <  one
                                          g = 2 * (fx + fw + (C >> 1))  if fx + fw >= one
    P = P_frac                          with frac_out
    P = trunc(P_frac / 2^F)             otherwise (the magnitude is floored, then signed)

px and fx are computed once per activation, pw and the three weight constants below once
per weight, so the inner loop is a compare, two adds, a select, two multiplies and a shift:
branch-free work that compilers vectorize (16 lanes with AVX-512; the CPU kernel runs it
in exact float32, see :mod:`pymodel.core.kernels.cpu`).
The exact multiplier is the same loop with px = x, fx = 0 and C = 0 (g = one).

Why not exact float convs plus a correction: summed over a dot product, the no-carry terms
are two exact convs (px*fx = (|x| - 2^kx) * one per operand, so sum px*pw*(one + C + fx + fw)
splits into conv(x', pw) + conv(px, w')), but the carry select [fx + fw >= one] and the
floor of each product depend on the pair jointly and are not low-rank: their correction
costs one evaluation per pair, i.e. as much as the product itself, so the GEMMs would be
pure overhead. The codes keep the separable part (per-operand precomputation) and do the
pair-dependent part in registers.

The codes come from :func:`pymodel.core.arith.log_fraction` (so MBM-t truncation is applied
exactly as in the spec); tests/core/test_kernels.py checks the per-pair formula against
:func:`pymodel.core.arith.mul_signed` exhaustively for N <= 8 and on random pairs above.
"""

from __future__ import annotations

import numpy as np

from pymodel.core.arith import MulConfig, log_fraction

#: Widest operand for which every intermediate of the product fits int32 lanes:
#: |P_frac| <= 2^(2F) * 2 * (2 * one + C / 2) < 2^31 holds for F <= 9 (N <= 10).
LANE32_MAX_BITS = 10


def code_dtype(cfg: MulConfig) -> type[np.integer]:
    """Lane type of the kernels: int32 for N <= 10, int64 above (products need up to 48 bits)."""
    return np.int32 if cfg.bits <= LANE32_MAX_BITS else np.int64


def operand_codes(v: np.ndarray, cfg: MulConfig) -> tuple[np.ndarray, np.ndarray]:
    """(p, f) codes of sign-magnitude operands v (any integer array in [-(2^N-1), 2^N-1]).

    p = sign(v) * 2^k (0 for v == 0), f = the F-bit fraction after MBM-t truncation;
    for the exact multiplier p = v and f = 0. Both in :func:`code_dtype`.
    """
    dt = code_dtype(cfg)
    v = np.asarray(v, dtype=np.int64)
    if cfg.mult == "exact":
        return v.astype(dt), np.zeros(v.shape, dtype=dt)
    mag = np.abs(v)
    k, f = log_fraction(mag, cfg)
    p = np.where(v == 0, 0, np.sign(v) << k)
    return p.astype(dt), f.astype(dt)


def weight_constants(w: np.ndarray, cfg: MulConfig) -> np.ndarray:
    """Per-weight constants (..., 4): pw, carry threshold one - fw, one + C + fw, 2 * (fw + C/2).

    With these the kernel's product is ``px * pw * (fx + A if fx < T else 2 * fx + B)``.
    """
    pw, fw = operand_codes(w, cfg)
    one = 1 << cfg.frac
    c = cfg.correction
    out = np.stack([pw, one - fw, one + c + fw, 2 * (fw + (c >> 1))], axis=-1)
    return out.astype(code_dtype(cfg))


def product_bound(cfg: MulConfig) -> int:
    """An upper bound on |P| for any operand pair (units of the product, 1/cfg.scale).

    |P_frac| < 2^(2F) * 2 * (2 * one + C); used to size int32 partial sums.
    """
    one = 1 << cfg.frac
    bound = (1 << (2 * cfg.frac)) * 2 * (2 * one + cfg.correction)
    return bound if cfg.frac_out else bound >> cfg.frac
