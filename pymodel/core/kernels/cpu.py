"""Compiled, multi-threaded CPU backend: a direct (im2col-free) approximate conv in numba.

Why: the obvious fast loop, weight-stationary rows of the signed product table gathered by
activation index, measured 2 GMAC per CPU-second on this machine (one thread, 60x80
96->96 3x3, N = 8); the separable codes of :mod:`pymodel.core.kernels.logcode` turn every
product into a compare, three adds, two multiplies and a conversion with no gather, which
LLVM vectorizes (16 lanes with AVX-512): 15 to 16 GMAC per CPU-second on the same layer.
A direct conv over padded, flattened input planes needs no im2col at all.

Lanes: the codes are held as floats (float32 for N <= 10, float64 above). A product is
px * g * pw' with px = +-2^kx, pw' = +-2^kw (times 2^-F unless frac_out) and g < 2^(F+2),
so it has at most F + 2 significant bits and is exact in the float; the float-to-int
conversion truncates toward zero, which is exactly the spec's floor of the magnitude
followed by the sign. Sums are integers: int32 partial sums (N <= 10) or int64.

Work decomposition (one parallel work item = one tile):

* a tile is (image n, group g, block of ``CO_BLOCK`` output channels, a run of output rows
  whose flattened padded width is at most ``TILE_LANES`` lanes); stride 1 rows are
  contiguous in the flattened padded plane (the few lanes that fall on the padding columns
  are computed and dropped); any other stride runs one output row per tile;
* stride 1: every pass over the tile's lanes serves two taps (ci, kh, kw) x two output
  channels: it reads both taps' activation codes (px, fx) once, evaluates four products
  with the weights' four constants each and stores each partial sum once (measured,
  one thread: channel pairs +30-55% over one channel per pass, tap pairs another +8-12%:
  the loop is load/store-bound; four channels per pass or zero-padded odd counts defeated
  LLVM's vectorizer, so odd channel counts take a one-tap, one-channel path); other strides
  take one tap and one channel per pass over strided views;
* int32 partial sums are flushed into the int64 output every ``chunk`` taps, chosen so
  that chunk * max|P| < 2^31 (never, for N = 8 without frac_out on these layers);
* on the strided path zero weights are skipped (their products are zero).

Two compiled specializations in all (float32/int32 lanes for N <= 10, float64/int64 above).

Peak extra memory (besides the int64 output, which starts as the broadcast bias): the two
code planes, 2 * lane_bytes * N * Cin * (H + 2 ph) * (W + 2 pw), plus per thread one tile of
``CO_BLOCK * TILE_LANES`` partial sums (32 KiB for int32) and the weights' int64 values
(read in place) with a 4-word constant table per operand value (N >= 13: 40 bytes per
weight instead, the gathered constants and their index). For the largest
seed-network layer (up5.convA, 112 x 242 x 322 float32 codes) that is 70 MB, about the size
of the int64 input itself; im2col would need 9x the input times the element size.
:func:`scratch_bytes` computes the figure; tests check it.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from pymodel.core.arith import MulConfig
from pymodel.core.kernels.logcode import code_dtype, operand_codes, product_bound, weight_constants

#: Output channels sharing one pass over a tile's activation codes (reuse from L1;
#: measured 2/4/8: 8 is 5-10% faster).
CO_BLOCK = 8
#: Lanes (flattened output positions) per tile: CO_BLOCK * TILE_LANES int32 = 32 KiB
#: (1024/2048/4096 measured within noise of each other).
TILE_LANES = 1024
#: Largest weight-constant table read in place (N <= 12: 256 KiB, stays in L2). Wider tables
#: (4 MiB at N = 16) cost a cache miss per weight and pass (measured: 3.6 GMAC per CPU-second
#: at N = 16 against 8.8 at N = 12; 5.0 with the gather),
#: so the layer's constants are gathered once instead (32 bytes per weight).
TABLE_CACHE_BYTES = 1 << 18


def threads() -> int:
    """Threads the compiled kernels run on (numba's pool: NUMBA_NUM_THREADS, default all cores)."""
    return numba.get_num_threads()


@njit(cache=True)
def _encode(x, table_p, table_f, offset, ph, pw, out_p, out_f):  # pragma: no cover - compiled
    """Codes of x (N, C, H, W) into zero-padded flattened planes (N, C, Hp * Wp).

    Serial on purpose: about 3 ns per element, while a parallel region measured slower on a
    shared 2-core machine (waking the second thread costs milliseconds there).
    """
    n_img, n_ch, h, w = x.shape
    wp = w + 2 * pw
    for item in range(n_img * n_ch):
        n = item // n_ch
        c = item % n_ch
        for i in range(h):
            row = (i + ph) * wp + pw
            for j in range(w):
                v = x[n, c, i, j] + offset
                out_p[n, c, row + j] = table_p[v]
                out_f[n, c, row + j] = table_f[v]


@njit(inline="always")
def _product(px, fx, pws, thr, a, b, lane):  # pragma: no cover - compiled
    """One signed product from float codes (see the module docstring); ``lane`` the int type.

    px * g * pws is +-2^e * g with g < 2^(F+2): exact in float32 (N <= 10) or float64, so
    the conversion's truncation toward zero is the spec's floor of the magnitude.
    """
    g = fx + a if fx < thr else fx + fx + b
    return lane(px * g * pws)


@njit(inline="always")
def tile_count(n_img, out_shape, geom, rows_per_tile):  # pragma: no cover - compiled
    """Work items of a conv: images x groups x CO_BLOCK output-channel blocks x row tiles."""
    cout_g = out_shape[1] // geom[0]
    return n_img * geom[0] * ((cout_g + CO_BLOCK - 1) // CO_BLOCK) * ((out_shape[2] + rows_per_tile - 1) // rows_per_tile)


@njit(inline="always")
def tile_at(item, out_shape, geom, rows_per_tile):  # pragma: no cover - compiled
    """(image, group, first output channel, channels, first row, rows, lanes) of work item ``item``:
    the one tiling of the code kernel here and the table kernel of pymodel.core.kernels.lut_cpu."""
    groups, sw, wpad = geom[0], geom[4], geom[7]
    oh_n, ow_n = out_shape[2], out_shape[3]
    cout_g = out_shape[1] // groups
    n_cb = (cout_g + CO_BLOCK - 1) // CO_BLOCK
    n_rt = (oh_n + rows_per_tile - 1) // rows_per_tile
    rt = item % n_rt
    cb = (item // n_rt) % n_cb
    g = (item // (n_rt * n_cb)) % groups
    n = item // (n_rt * n_cb * groups)
    oh0 = rt * rows_per_tile
    rows = min(rows_per_tile, oh_n - oh0)
    lanes = (rows - 1) * wpad + ow_n if sw == 1 else ow_n
    co0 = g * cout_g + cb * CO_BLOCK
    return n, g, co0, min(CO_BLOCK, g * cout_g + cout_g - co0), oh0, rows, lanes


@njit(parallel=True, cache=True)
def _conv_tiles(xp, xf, w, table_w, offset, out, geom, rows_per_tile, chunk, lane):  # pragma: no cover
    """Accumulate the approximate conv of the code planes into ``out`` (int64, bias-filled).

    w (Cout, Cin/g * kh * kw) int64 weights; table_w[w + offset] holds their constants.

    geom = (groups, kh, kw, stride_h, stride_w, dil_h, dil_w, padded_width).
    """
    sw, cin_g = geom[4], w.shape[1] // (geom[1] * geom[2])
    for item in prange(tile_count(xp.shape[0], out.shape, geom, rows_per_tile)):
        n, g, co0, nco, oh0, rows, lanes = tile_at(item, out.shape, geom, rows_per_tile)
        acc = np.zeros((CO_BLOCK, lanes), lane)
        if sw == 1:
            _tile_contiguous(xp, xf, w, table_w, offset, out, acc, n, g * cin_g, co0, nco, oh0, rows, lanes, geom,
                             chunk, lane)
        else:
            _tile_strided(xp, xf, w, table_w, offset, out, acc, n, g * cin_g, co0, nco, oh0, rows, lanes, geom,
                          chunk, lane)


@njit(inline="always")
def _tile_contiguous(xp, xf, w, table_w, offset, out, acc, n, c0, co0, nco, oh0, rows, lanes, geom, chunk,
                     lane):  # pragma: no cover - compiled
    """Stride 1: a pass over the tile's lanes serves two taps x two output channels.

    The codes of both taps are loaded once for two channels and every partial sum is stored
    once for two taps (measured: channel pairs +30-55%, tap pairs on top up to +15%; four
    channels per pass, or zero-weight padding of odd counts, defeated LLVM's vectorizer, so
    odd channel counts take the one-tap path).
    """
    ntap = w.shape[1]
    since_flush = 0
    t = 0
    while t < ntap:
        ci, base = tap_base(t, oh0, geom)
        xpc, xfc = xp[n, c0 + ci], xf[n, c0 + ci]
        cp, cf = xpc[base : base + lanes], xfc[base : base + lanes]  # C layout: plain vector loads
        if chunk >= 2 and t + 1 < ntap and nco % 2 == 0:
            ci2, base2 = tap_base(t + 1, oh0, geom)
            xpd, xfd = xp[n, c0 + ci2], xf[n, c0 + ci2]
            dp, df = xpd[base2 : base2 + lanes], xfd[base2 : base2 + lanes]
            for k in range(0, nco, 2):
                u, v = table_w[w[co0 + k, t] + offset], table_w[w[co0 + k + 1, t] + offset]
                y, z = table_w[w[co0 + k, t + 1] + offset], table_w[w[co0 + k + 1, t + 1] + offset]
                pu, tu, au, bu = u[0], u[1], u[2], u[3]
                pv, tv, av, bv = v[0], v[1], v[2], v[3]
                py, ty, ay, by = y[0], y[1], y[2], y[3]
                pz, tz, az, bz = z[0], z[1], z[2], z[3]
                ak = acc[k]
                al = acc[k + 1]
                for j in range(lanes):
                    px, fx = cp[j], cf[j]
                    qx, gx = dp[j], df[j]
                    ak[j] += _product(px, fx, pu, tu, au, bu, lane) + _product(qx, gx, py, ty, ay, by, lane)
                    al[j] += _product(px, fx, pv, tv, av, bv, lane) + _product(qx, gx, pz, tz, az, bz, lane)
            step = 2
        else:
            for k in range(nco):
                u = table_w[w[co0 + k, t] + offset]
                pu, tu, au, bu = u[0], u[1], u[2], u[3]
                ak = acc[k]
                for j in range(lanes):
                    ak[j] += _product(cp[j], cf[j], pu, tu, au, bu, lane)
            step = 1
        t += step
        since_flush += step
        if since_flush + 2 > chunk:
            flush_tile(acc, out, n, co0, nco, oh0, rows, geom[7])
            since_flush = 0
    flush_tile(acc, out, n, co0, nco, oh0, rows, geom[7])


@njit(inline="always")
def _tile_strided(xp, xf, w, table_w, offset, out, acc, n, c0, co0, nco, oh0, rows, lanes, geom, chunk,
                  lane):  # pragma: no cover - compiled
    """Any other stride: one output row per tile, one tap and one channel per pass."""
    sw = geom[4]
    since_flush = 0
    for t in range(w.shape[1]):
        ci, base = tap_base(t, oh0, geom)
        xpc, xfc = xp[n, c0 + ci], xf[n, c0 + ci]
        sp, sf = xpc[base : base + lanes * sw : sw], xfc[base : base + lanes * sw : sw]
        for k in range(nco):
            u = table_w[w[co0 + k, t] + offset]
            pu, tu, au, bu = u[0], u[1], u[2], u[3]
            if pu == 0:  # zero weight: zero products
                continue
            ak = acc[k]
            for j in range(lanes):
                ak[j] += _product(sp[j], sf[j], pu, tu, au, bu, lane)
        since_flush += 1
        if since_flush == chunk:
            flush_tile(acc, out, n, co0, nco, oh0, rows, 0)
            since_flush = 0
    flush_tile(acc, out, n, co0, nco, oh0, rows, 0)


@njit(inline="always")
def tap_base(t, oh0, geom):  # pragma: no cover - compiled
    """(input channel within the group, flat offset of the tile's first lane) of tap t."""
    _, khs, kws, sh, _, dh, dw, wpad = geom
    kh = (t // kws) % khs
    kw = t % kws
    return t // (khs * kws), (oh0 * sh + kh * dh) * wpad + kw * dw


@njit(inline="always")
def flush_tile(acc, out, n, co0, nco, oh0, rows, row_stride):  # pragma: no cover - compiled
    """Add the int32 partial sums of a tile to the int64 output and clear them."""
    for k in range(nco):
        for r in range(rows):
            for ow in range(out.shape[3]):
                out[n, co0 + k, oh0 + r, ow] += acc[k, r * row_stride + ow]
                acc[k, r * row_stride + ow] = 0


@njit(cache=True)
def _gather_rows(table, index, offset):  # pragma: no cover - compiled
    """table[index + offset] as (index.size, 4) rows (numpy's fancy index is 10x slower here)."""
    flat = index.ravel()
    out = np.empty((flat.size, 4), table.dtype)
    for i in range(flat.size):
        for q in range(4):
            out[i, q] = table[flat[i] + offset, q]
    return out


@njit(cache=True)
def _extremes(flat):  # pragma: no cover - compiled
    """(min, max) of a 1-D int64 array in one serial pass (torch's int64 reductions are
    slower, and a parallel region costs a thread wake-up on a busy machine)."""
    lo = flat[0]
    hi = flat[0]
    for i in range(flat.size):
        lo = min(lo, flat[i])
        hi = max(hi, flat[i])
    return lo, hi


def extremes(t) -> tuple[int, int]:
    """(min, max) of a non-empty int64 CPU tensor."""
    lo, hi = _extremes(t.reshape(-1).numpy())
    return int(lo), int(hi)


def _code_tables(cfg: MulConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float activation codes p, f and weight constants (pw scaled by 2^-F unless frac_out)
    of every operand value -M..M, indexed by value + M (cached per config: encoding then
    costs one table lookup per element)."""
    key = (cfg.mult, cfg.bits, cfg.trunc, cfg.frac_out)
    if key not in _TABLES:
        flt = float_dtype(cfg)
        values = np.arange(-cfg.max_operand, cfg.max_operand + 1, dtype=np.int64)
        p, f = operand_codes(values, cfg)
        wconst = weight_constants(values, cfg).astype(flt)
        if not cfg.frac_out:
            wconst[:, 0] *= 2.0 ** -cfg.frac
        _TABLES[key] = (p.astype(flt), f.astype(flt), wconst)
    return _TABLES[key]


_TABLES: dict[tuple[str, int, int, bool], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def float_dtype(cfg: MulConfig) -> type[np.floating]:
    """Float lanes holding the codes exactly: float32 with int32 lanes, float64 with int64."""
    return np.float32 if code_dtype(cfg) == np.int32 else np.float64


def rows_per_tile(out_w: int, padded_w: int, stride: tuple[int, int]) -> int:
    """Output rows per tile: as many as fit TILE_LANES flattened lanes (1 unless stride 1)."""
    if stride != (1, 1):
        return 1
    return max(1, (TILE_LANES - out_w) // padded_w + 1)


def scratch_bytes(x_shape: tuple[int, int, int, int], w_shape: tuple[int, int, int, int],
                  padding: tuple[int, int], cfg: MulConfig) -> int:
    """Peak extra memory of :func:`conv2d` in bytes (the module docstring's formula)."""
    lane_bytes = np.dtype(code_dtype(cfg)).itemsize
    n, c, h, w = x_shape
    planes = 2 * lane_bytes * n * c * (h + 2 * padding[0]) * (w + 2 * padding[1])
    tables = 4 * lane_bytes * (2 * cfg.max_operand + 1)
    if tables > TABLE_CACHE_BYTES:  # gathered per weight, plus an int64 index
        tables += (4 * lane_bytes + 8) * int(np.prod(w_shape))
    tiles = threads() * CO_BLOCK * TILE_LANES * lane_bytes
    return planes + tables + tiles


def conv2d(x, w, bias, cfg: MulConfig, stride: tuple[int, int], padding: tuple[int, int],
           dilation: tuple[int, int], groups: int, out_hw: tuple[int, int]):
    """Plain int64 sum bias + sum of products, (N, Cout, Ho, Wo) torch tensor; no saturation.

    x (N, Cin, H, W), w (Cout, Cin/groups, kh, kw), bias (Cout,) int64 CPU tensors, already
    validated by :func:`pymodel.core.kernels.approx_conv2d`.
    """
    import torch

    lane = code_dtype(cfg)
    xn = x.contiguous().numpy()
    n, c, h, wd = xn.shape
    ph, pw = padding
    hp, wpad = h + 2 * ph, wd + 2 * pw
    table_p, table_f, table_w = _code_tables(cfg)
    xp = np.zeros((n, c, hp * wpad), dtype=table_p.dtype)
    xf = np.zeros((n, c, hp * wpad), dtype=table_f.dtype)
    _encode(xn, table_p, table_f, cfg.max_operand, ph, pw, xp, xf)
    cout, cin_g, kh, kw = w.shape
    wn = w.reshape(cout, cin_g * kh * kw).numpy()
    offset = cfg.max_operand
    if table_w.nbytes > TABLE_CACHE_BYTES:  # gather the layer's constants once, read in order
        table_w, wn, offset = _gather_rows(table_w, wn, offset), np.arange(wn.size).reshape(wn.shape), 0
    out = np.empty((n, cout, *out_hw), dtype=np.int64)
    out[...] = bias.numpy()[None, :, None, None]
    limit = np.iinfo(lane).max
    chunk = max(1, limit // product_bound(cfg))
    geom = (groups, kh, kw, stride[0], stride[1], dilation[0], dilation[1], wpad)
    _conv_tiles(xp, xf, wn, table_w, offset, out, geom, rows_per_tile(out_hw[1], wpad, tuple(stride)), chunk, lane)
    return torch.from_numpy(out)
