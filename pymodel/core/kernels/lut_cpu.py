"""Compiled CPU backend for any multiplier given as a product table: a direct gather conv.

Why: an imported multiplier has no separable codes (:mod:`pymodel.core.kernels.logcode`), only
its table, so every product is a gather. This kernel keeps the gathers cheap: for one tap and
one output channel the weight is fixed, so its products are one table column
(``cols[w - lo]``, 2^N entries: 1 KiB for an 8-bit int32 table, in L1) gathered by the
activations' indices; LLVM turns the lane loop into AVX-512 / AVX2 gathers.

It shares the tiling of :mod:`pymodel.core.kernels.cpu` (tiles of ``CO_BLOCK`` output
channels x up to ``TILE_LANES`` flattened output positions, int32 partial sums flushed into the
int64 output) and, on stride-1 tiles, its pass structure: one pass over the lanes serves two
taps x two output channels, so each index load feeds two gathers and each partial sum is
stored once per two taps. Measured on one thread of this 2-core machine (256-entry int32
columns, 1024 lanes, 8 channels): 1.6 GMAC/s one tap x one channel per pass, 3.2 with channel
pairs, 4.5 with tap and channel pairs; int16 columns were no faster.

What limits it: LLVM emits no vector gathers here (on this Ice Lake-class core it prefers
scalar loads: gathers are slow under the GDS microcode mitigation), so every product is a
scalar load from L1 and the loop runs at about one MAC per cycle per core. Indices are
uint16 because numba then drops the negative-index wraparound select per lookup (measured
+20-40% over int16 indices). On decoder.up5.convA at 480x640 (3.7 GMAC): 4.6 GMAC per
CPU-second on a machine at load 18 (the logcode kernel: 7.8 in the same run).

Semantics are the reference's (:func:`pymodel.core.conv.conv2d_int` with a table): zero
padding is the operand 0, whose products ``P(0, w)`` an approximate table may make non-zero,
so padded lanes are gathered like any other (no zero skipping).

Peak extra memory besides the int64 output: one uint16 index plane per zero-padded input
element (2 bytes each), the transposed table in the lane type, and per thread one tile of
partial sums (32 KiB for int32).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pymodel.core.kernels.cpu import CO_BLOCK, flush_tile, rows_per_tile, tap_base, tile_at, tile_count
from pymodel.core.table import ProductTable

#: Largest |product| sum of two products that int32 partial sums hold.
_INT32_MAX = np.iinfo(np.int32).max


def lane_dtype(table: ProductTable) -> type[np.integer]:
    """int32 partial sums when two products always fit, else int64."""
    return np.int32 if 2 * table.max_abs <= _INT32_MAX else np.int64


@njit(parallel=True, cache=True)
def _conv_tiles(xi, w, cols, out, geom, rows_per_tile, chunk, lane):  # pragma: no cover - compiled
    """Accumulate the gathered products into ``out`` (int64, bias-filled).

    xi (N, C, Hp * Wp) uint16 operand indices (operand - lo; padding is operand 0);
    w (Cout, taps) int64 weight indices; cols[w][x] the product of operands x and w.
    geom = (groups, kh, kw, stride_h, stride_w, dil_h, dil_w, padded_width).
    """
    sw, cin_g = geom[4], w.shape[1] // (geom[1] * geom[2])
    for item in prange(tile_count(xi.shape[0], out.shape, geom, rows_per_tile)):
        n, g, co0, nco, oh0, rows, lanes = tile_at(item, out.shape, geom, rows_per_tile)
        acc = np.zeros((CO_BLOCK, lanes), lane)
        if sw == 1:
            _tile_contiguous(xi, w, cols, out, acc, n, g * cin_g, co0, nco, oh0, rows, lanes, geom, chunk)
        else:
            _tile_strided(xi, w, cols, out, acc, n, g * cin_g, co0, nco, oh0, rows, lanes, geom, chunk)


@njit(inline="always")
def _tile_contiguous(xi, w, cols, out, acc, n, c0, co0, nco, oh0, rows, lanes, geom,
                     chunk):  # pragma: no cover - compiled
    """Stride 1: a pass over the tile's lanes serves two taps x two output channels
    (odd channel counts take the one-tap, one-channel path, as in the logcode kernel)."""
    ntap = w.shape[1]
    since_flush = 0
    t = 0
    while t < ntap:
        ci, base = tap_base(t, oh0, geom)
        xa = xi[n, c0 + ci][base : base + lanes]
        if chunk >= 2 and t + 1 < ntap and nco % 2 == 0:
            ci2, base2 = tap_base(t + 1, oh0, geom)
            xb = xi[n, c0 + ci2][base2 : base2 + lanes]
            for k in range(0, nco, 2):
                u, v = cols[w[co0 + k, t]], cols[w[co0 + k + 1, t]]
                y, z = cols[w[co0 + k, t + 1]], cols[w[co0 + k + 1, t + 1]]
                ak = acc[k]
                al = acc[k + 1]
                for j in range(lanes):
                    i, m = xa[j], xb[j]
                    ak[j] += u[i] + y[m]
                    al[j] += v[i] + z[m]
            step = 2
        else:
            for k in range(nco):
                u = cols[w[co0 + k, t]]
                ak = acc[k]
                for j in range(lanes):
                    ak[j] += u[xa[j]]
            step = 1
        t += step
        since_flush += step
        if since_flush + 2 > chunk:
            flush_tile(acc, out, n, co0, nco, oh0, rows, geom[7])
            since_flush = 0
    flush_tile(acc, out, n, co0, nco, oh0, rows, geom[7])


@njit(inline="always")
def _tile_strided(xi, w, cols, out, acc, n, c0, co0, nco, oh0, rows, lanes, geom,
                  chunk):  # pragma: no cover - compiled
    """Any other stride: one output row per tile, one tap and one channel per pass."""
    sw = geom[4]
    since_flush = 0
    for t in range(w.shape[1]):
        ci, base = tap_base(t, oh0, geom)
        xs = xi[n, c0 + ci][base : base + lanes * sw : sw]
        for k in range(nco):
            u = cols[w[co0 + k, t]]
            ak = acc[k]
            for j in range(lanes):
                ak[j] += u[xs[j]]
        since_flush += 1
        if since_flush == chunk:
            flush_tile(acc, out, n, co0, nco, oh0, rows, 0)
            since_flush = 0
    flush_tile(acc, out, n, co0, nco, oh0, rows, 0)


def _columns(table: ProductTable) -> np.ndarray:
    """cols[w - lo][x - lo] = P(x, w) in the lane type (cached on the table)."""
    cache = table.__dict__.setdefault("_lut_cpu_cols", {})
    if "cols" not in cache:
        cache["cols"] = np.ascontiguousarray(table.values.T, dtype=lane_dtype(table))
    return cache["cols"]


def index_planes(x: np.ndarray, lo: int, padding: tuple[int, int]) -> np.ndarray:
    """uint16 operand indices x - lo of NCHW x in zero-padded flattened planes (N, C, Hp * Wp);
    the padding holds the index of operand 0."""
    n, c, h, wd = x.shape
    ph, pw = padding
    planes = np.full((n, c, h + 2 * ph, wd + 2 * pw), -lo, dtype=np.uint16)
    planes[:, :, ph : ph + h, pw : pw + wd] = x - lo
    return planes.reshape(n, c, -1)


def scratch_bytes(x_shape: tuple[int, int, int, int], padding: tuple[int, int], table: ProductTable) -> int:
    """Peak extra memory of :func:`conv2d` in bytes (see the module docstring)."""
    from pymodel.core.kernels.cpu import TILE_LANES, threads

    n, c, h, w = x_shape
    lane_bytes = np.dtype(lane_dtype(table)).itemsize
    planes = 2 * n * c * (h + 2 * padding[0]) * (w + 2 * padding[1])
    return planes + table.values.size * lane_bytes + threads() * CO_BLOCK * TILE_LANES * lane_bytes


def conv2d(x, w, bias, table: ProductTable, stride: tuple[int, int], padding: tuple[int, int],
           dilation: tuple[int, int], groups: int, out_hw: tuple[int, int]):
    """Plain int64 sum bias + sum of table products, (N, Cout, Ho, Wo) torch tensor; no saturation.

    x (N, Cin, H, W), w (Cout, Cin/groups, kh, kw), bias (Cout,) int64 CPU tensors, already
    validated (operands inside the table's range) by :func:`pymodel.core.kernels.approx_conv2d`.
    """
    import torch

    cols = _columns(table)
    lane = cols.dtype.type
    xn = x.contiguous().numpy()
    xi = index_planes(xn, table.lo, padding)
    cout, cin_g, kh, kw = w.shape
    wn = w.reshape(cout, cin_g * kh * kw).numpy() - table.lo
    out = np.empty((xn.shape[0], cout, *out_hw), dtype=np.int64)
    out[...] = bias.numpy()[None, :, None, None]
    chunk = max(1, np.iinfo(lane).max // max(1, table.max_abs))
    wpad = xn.shape[3] + 2 * padding[1]
    geom = (groups, kh, kw, stride[0], stride[1], dilation[0], dilation[1], wpad)
    _conv_tiles(xi, wn, cols, out, geom, rows_per_tile(out_hw[1], wpad, tuple(stride)), chunk, lane)
    return torch.from_numpy(out)
