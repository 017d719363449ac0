"""Error characterization of a multiplier over operand pairs.

Exhaustive over all 2^(2N) unsigned pairs for N <= 10; above that, ``samples`` seeded
uniform random pairs plus every pair of the corner magnitudes of :mod:`pymodel.core.corners`
(the set the RTL benches and the FPGA vectors cross too). Relative-error statistics are over pairs with a
non-zero exact product; NMED, error rate and worst-case error are over all pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pymodel.core.arith import MulConfig, mul_unsigned
from pymodel.core.corners import corner_magnitudes

EXHAUSTIVE_MAX_BITS = 10
DEFAULT_SAMPLES = 1_000_000


@dataclass(frozen=True)
class ErrorStats:
    """Error statistics; *_pct are percentages of the exact product."""

    mult: str
    bits: int
    trunc: int
    frac_out: bool
    bias_pct: float  #: mean relative error (signed)
    mred_pct: float  #: mean |relative error|
    peak_pct: float  #: relative error of largest magnitude, with its sign
    nmed: float  #: mean |error| / (2^N - 1)^2
    error_rate_pct: float  #: share of pairs whose product is not exact
    wce: float  #: worst-case |error|, in units of 1 (fractions kept with frac_out)
    pairs: int
    exhaustive: bool
    seed: int | None


def operand_pairs(bits: int, samples: int = DEFAULT_SAMPLES, seed: int = 1) -> tuple[np.ndarray, np.ndarray, bool]:
    """(a, b, exhaustive): all pairs for small N, else seeded random pairs plus corners."""
    if bits <= EXHAUSTIVE_MAX_BITS:
        a, b = np.divmod(np.arange(1 << (2 * bits), dtype=np.int64), 1 << bits)
        return a, b, True
    rng = np.random.default_rng(seed)
    ca, cb = np.meshgrid(corner_magnitudes(bits), corner_magnitudes(bits))
    a = np.concatenate([ca.ravel(), rng.integers(0, 1 << bits, samples, dtype=np.int64)])
    b = np.concatenate([cb.ravel(), rng.integers(0, 1 << bits, samples, dtype=np.int64)])
    return a, b, False


def characterize(cfg: MulConfig, samples: int = DEFAULT_SAMPLES, seed: int = 1) -> ErrorStats:
    """Compute :class:`ErrorStats` for ``cfg`` (see module docstring for the pair set)."""
    a, b, exhaustive = operand_pairs(cfg.bits, samples, seed)
    exact = a * b
    approx = mul_unsigned(a, b, cfg) / cfg.scale
    err = approx - exact
    nz = exact != 0
    rel = err[nz] / exact[nz]
    peak = rel[np.argmax(np.abs(rel))] if rel.size else 0.0
    return ErrorStats(
        mult=cfg.mult,
        bits=cfg.bits,
        trunc=cfg.trunc,
        frac_out=cfg.frac_out,
        bias_pct=float(rel.mean() * 100),
        mred_pct=float(np.abs(rel).mean() * 100),
        peak_pct=float(peak * 100),
        nmed=float(np.abs(err).mean() / float(cfg.max_operand) ** 2),
        error_rate_pct=float(np.count_nonzero(err) / err.size * 100),
        wce=float(np.abs(err).max()),
        pairs=int(a.size),
        exhaustive=exhaustive,
        seed=None if exhaustive else seed,
    )
