"""The output tiling both Triton conv kernels share (:mod:`.triton`, :mod:`.lut_triton`).

Why one module: the two kernels differ only in how one product is formed (separable codes
or a table gather); which output elements a program owns, the launch grid, the int32
partial-sum schedule and the biased store are the same contract and must not drift apart.

One program owns BLOCK_CO output channels (of one group) x BLOCK_P output pixels of one
image: grid axis 0 walks pixel blocks, axis 1 groups x channel blocks, axis 2 images.
"""

from __future__ import annotations

import triton
import triton.language as tl

BLOCK_CO = 16
BLOCK_P = 64


def grid(out_hw: tuple[int, int], cout_g: int, groups: int, images: int) -> tuple[tuple[int, int, int], int]:
    """(launch grid, channel blocks per group) for an output of ``out_hw`` pixels."""
    n_cb = triton.cdiv(cout_g, BLOCK_CO)
    return (triton.cdiv(out_hw[0] * out_hw[1], BLOCK_P), groups * n_cb, images), n_cb


def ci_chunk(limit: int, cin_g: int) -> tuple[int, object]:
    """(input channels per int32 partial sum, partial-sum type): ``limit`` channels cannot
    overflow int32 (0: not even one, so int64 partial sums over all channels)."""
    if limit >= 1:
        return max(1, min(limit, cin_g)), tl.int32
    return cin_g, tl.int64


@triton.jit
def output_tile(N_CB, COUT_G, OH, OW, BLOCK_CO: tl.constexpr, BLOCK_P: tl.constexpr):  # pragma: no cover
    """This program's image n, group g, channels co (+ mask), pixels p (+ mask) and their
    output rows/columns."""
    pid_p = tl.program_id(0)
    pid_c = tl.program_id(1)
    n = tl.program_id(2)
    g = pid_c // N_CB
    co_local = (pid_c % N_CB) * BLOCK_CO + tl.arange(0, BLOCK_CO)
    co_mask = co_local < COUT_G
    co = g * COUT_G + co_local
    p = pid_p * BLOCK_P + tl.arange(0, BLOCK_P)
    p_mask = p < OH * OW
    return n, g, co, co_mask, p, p_mask, p // OW, p % OW


@triton.jit
def store_tile(acc, bias_ptr, out_ptr, n, co, co_mask, p, p_mask, COUT, OH, OW):  # pragma: no cover
    """acc + bias into the (N, Cout, OH, OW) int64 output."""
    acc += tl.load(bias_ptr + co, mask=co_mask, other=0)[:, None]
    dst = out_ptr + (n * COUT + co[:, None]) * (OH * OW) + p[None, :]
    tl.store(dst, acc, mask=co_mask[:, None] & p_mask[None, :])
