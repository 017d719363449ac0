"""Error characterization of a multiplier over operand pairs.

Exhaustive over all 2^(2N) unsigned pairs for N <= 10; above that, ``samples`` seeded
uniform random pairs plus every pair of the corner magnitudes of :mod:`pymodel.core.corners`
(the set the RTL benches and the FPGA vectors cross too). A multiplier given as a product table
(:class:`pymodel.core.table.ProductTable`) is characterized over all its entries, in its own
operand encoding; ``signed=True`` does the same for a built-in config's sign-magnitude table.

Relative-error statistics are over pairs with a non-zero exact product; NMED, error rate and
worst-case error are over all pairs. The EvoApproxLib metric set (names as in its circuits'
headers; e = approximate - exact, 2^(2N) the normalizer for N-bit operands)::

    MAE%  = mean |e| / 2^(2N) * 100          WCE%  = max |e| / 2^(2N) * 100
    MRE%  = mean |e| / |exact|  * 100 over exact != 0 (the same number as mred_pct)
    EP%   = share of pairs with e != 0 (the same number as error_rate_pct)
    WCRE% = max |e| / |exact| * 100, where a wrong product of an exact 0 counts as 100 %
    MSE   = mean e^2

Checked against the figures printed in EvoApproxLib's own files (github.com/ehw-fit/evoapproxlib,
``multiplers/8x8_{un,}signed/*/mul8[us]_*.v``: imported with :mod:`pymodel.hw.verilog_import`,
all six metrics agree to the printed digits; tests/hw/test_verilog_import.py runs that check
when EVOAPPROXLIB_DIR points to a checkout). The WCRE rule for exact zeros is theirs:
``mul8u_2P7`` gives 2 for 0 x 1 and is published with WCRE% = 100, not 200.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pymodel.core.arith import MulConfig, mul_unsigned
from pymodel.core.corners import corner_magnitudes
from pymodel.core.table import ProductTable

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
    mae_pct: float = 0.0  #: EvoApproxLib MAE%: mean |error| / 2^(2N)
    wce_pct: float = 0.0  #: EvoApproxLib WCE%: worst |error| / 2^(2N)
    mre_pct: float = 0.0  #: EvoApproxLib MRE%: mean |error| / |exact| (exact != 0)
    ep_pct: float = 0.0  #: EvoApproxLib EP%: share of pairs with any error
    wcre_pct: float = 0.0  #: EvoApproxLib WCRE%: worst |error| / |exact| (a wrong 0 counts 100 %)
    mse: float = 0.0  #: mean squared error, in units of 1
    encoding: str = "unsigned"  #: operand encoding of the pairs (see pymodel.core.table)
    sha256: str | None = None  #: the product table's hash, for multipliers given as a table


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


def characterize(mult: MulConfig | ProductTable, samples: int = DEFAULT_SAMPLES, seed: int = 1,
                 signed: bool = False) -> ErrorStats:
    """Compute :class:`ErrorStats` for a built-in config or a product table (module docstring)."""
    if isinstance(mult, MulConfig) and not signed:
        a, b, exhaustive = operand_pairs(mult.bits, samples, seed)
        return _stats(a * b, mul_unsigned(a, b, mult) / mult.scale, mult.bits, mult.max_operand,
                      exhaustive, seed, mult=mult.mult, bits=mult.bits, trunc=mult.trunc, frac_out=mult.frac_out)
    table = ProductTable.from_config(mult, signed=True) if isinstance(mult, MulConfig) else mult
    exact = table.exact().ravel()
    approx = table.values.ravel() / table.scale
    cfg = mult if isinstance(mult, MulConfig) else None
    top = max(abs(table.lo), abs(table.hi))
    return _stats(exact, approx, table.bits, top, True, seed, mult=cfg.mult if cfg else table.name,
                  bits=table.bits, trunc=cfg.trunc if cfg else 0, frac_out=table.scale > 1,
                  encoding=table.encoding, sha256=None if cfg else table.sha256)


def _stats(exact: np.ndarray, approx: np.ndarray, width: int, top: int, exhaustive: bool, seed: int,
           **ident) -> ErrorStats:
    """Every statistic of one set of pairs of ``width``-bit operands; ``top`` the largest
    |operand| (NMED's scale); ``ident`` the ErrorStats identification fields."""
    err = approx - exact
    abs_err = np.abs(err)
    nz = exact != 0
    rel = err[nz] / exact[nz]
    peak = rel[np.argmax(np.abs(rel))] if rel.size else 0.0
    norm = float(1 << (2 * width))
    mred = float(np.abs(rel).mean() * 100) if rel.size else 0.0
    rate = float(np.count_nonzero(err) / err.size * 100)
    return ErrorStats(
        **ident,
        bias_pct=float(rel.mean() * 100) if rel.size else 0.0,
        mred_pct=mred,
        peak_pct=float(peak * 100),
        nmed=float(abs_err.mean() / float(top) ** 2),
        error_rate_pct=rate,
        wce=float(abs_err.max()),
        pairs=int(err.size),
        exhaustive=exhaustive,
        seed=None if exhaustive else seed,
        mae_pct=float(abs_err.mean() / norm * 100),
        wce_pct=float(abs_err.max() / norm * 100),
        mre_pct=mred,
        ep_pct=rate,
        wcre_pct=float(np.where(nz, abs_err / np.where(nz, np.abs(exact), 1), abs_err != 0).max() * 100),
        mse=float(np.mean(err.astype(np.float64) ** 2)),
    )
