"""Bit-exact golden arithmetic: MBM, Mitchell and exact multipliers.

This module is the contract between the RTL and every Python consumer (scoreboards, vectors,
approximate layers, reports). It implements docs/arithmetic.md once; nothing else in the
package may re-derive the formula.

Unsigned MBM of magnitude width N (4..16), F = N - 1 fraction bits::

    a == 0 or b == 0             -> P = 0
    k = leading-one index, f = (x - 2^k) << (F - k)          (F-bit fraction)
    TRUNC t > 0: f = (f with low t bits cleared) | 2^(t-1)   (MBM-t, N >= 8, t <= N - 8)
    s = fa + fb
    s <  2^F: M = 2^F + s + C,   E = ka + kb                  (no carry)
    s >= 2^F: M = s + (C >> 1),  E = ka + kb + 1              (carry)
    P = (M << E) >> F            (FRAC_OUT: P = M << E, F fraction bits kept)

with C = (2^F >> 4) + (2^F >> 6) (c = 2^-4 + 2^-6) for MBM and C = 0 for Mitchell.
Products need 2N + 1 bits (2N + 1 + F with FRAC_OUT). Signed operands are sign-magnitude,
values in [-(2^N - 1), 2^N - 1]; the product's sign is sa XOR sb.

Every function is vectorized over numpy integer arrays and torch integer tensors (any
device) with the same code: a few shifts, compares and selects per element, no Python loop
per product. Results are int64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pymodel.core.errors import MBMError

MULTIPLIERS = ("mbm", "mitchell", "exact")
MIN_BITS, MAX_BITS = 4, 16
#: Fraction bits the MBM-t truncation never touches (t <= F - 7).
_TRUNC_KEEP = 7


@dataclass(frozen=True)
class MulConfig:
    """One multiplier configuration; mirrors the RTL parameters of ``mbm_mul``.

    mult: "mbm", "mitchell" or "exact".  bits: operand magnitude width N, 4..16.
    trunc: MBM-t operand truncation t, 0..N-8 (0 below N=8; approximate multipliers only).
    frac_out: keep the F = N-1 product fraction bits (RTL FRAC_OUT=1); for "exact" the
    product is then a*b << F so that all multipliers share one fixed-point unit.
    """

    mult: str = "mbm"
    bits: int = 8
    trunc: int = 0
    frac_out: bool = False

    def __post_init__(self) -> None:
        if self.mult not in MULTIPLIERS:
            raise MBMError(f"unknown multiplier {self.mult!r}: allowed {', '.join(MULTIPLIERS)}")
        if not isinstance(self.bits, (int, np.integer)) or not MIN_BITS <= self.bits <= MAX_BITS:
            raise MBMError(f"bits={self.bits} is out of range: allowed {MIN_BITS}..{MAX_BITS}")
        if self.mult == "exact" and self.trunc != 0:
            raise MBMError(f"trunc={self.trunc} is not allowed for the exact multiplier: allowed 0")
        if not isinstance(self.trunc, (int, np.integer)) or not 0 <= self.trunc <= self.max_trunc:
            raise MBMError(
                f"trunc={self.trunc} is out of range for bits={self.bits}: "
                f"allowed 0..{self.max_trunc} (t <= N-8)"
            )

    @property
    def frac(self) -> int:
        """F = N - 1, the width of the operand fractions."""
        return self.bits - 1

    @property
    def max_trunc(self) -> int:
        """Largest legal TRUNC for this width (0 when N < 8)."""
        return max(0, self.frac - _TRUNC_KEEP)

    @property
    def correction(self) -> int:
        """The bias-correction constant C in units of 2^-F (0 for Mitchell and exact)."""
        if self.mult != "mbm":
            return 0
        one = 1 << self.frac
        return (one >> 4) + (one >> 6)

    @property
    def max_operand(self) -> int:
        """Largest operand magnitude, 2^N - 1."""
        return (1 << self.bits) - 1

    @property
    def product_bits(self) -> int:
        """Unsigned product width: 2N + 1 (2N + 1 + F with frac_out), the RTL port width."""
        return 2 * self.bits + 1 + (self.frac if self.frac_out else 0)

    @property
    def scale(self) -> int:
        """Products are integers in units of 1/scale: 2^F with frac_out, else 1."""
        return 1 << self.frac if self.frac_out else 1

    def describe(self) -> str:
        """Short label such as ``mbm N=8 t=0``, used in tables and file names."""
        extra = " frac" if self.frac_out else ""
        return f"{self.mult} N={self.bits} t={self.trunc}{extra}"


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _as_int64(x: Any) -> Any:
    """numpy int64 array or torch int64 tensor; python ints and lists become numpy."""
    if _is_torch(x):
        if x.dtype.is_floating_point or x.dtype.is_complex:
            raise MBMError(f"operands must be integer tensors, got dtype {x.dtype}")
        return x.long()
    arr = np.asarray(x)
    if arr.dtype.kind not in "iub":
        raise MBMError(f"operands must be integer arrays, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _int(cond: Any) -> Any:
    """Boolean array or tensor as int64 0/1."""
    return cond.long() if _is_torch(cond) else cond.astype(np.int64)


def _where(cond: Any, x: Any, y: Any) -> Any:
    if _is_torch(cond):
        import torch

        return torch.where(cond, x, y)
    return np.where(cond, x, y)


def check_extremes(xmin: int, xmax: int, lo: int, hi: int, name: str, cfg: MulConfig) -> None:
    """Refuse operands whose extremes leave [lo, hi], naming the worst one. Callers that
    find extremes faster (the compiled kernels) share the check and its message."""
    if xmin < lo or xmax > hi:
        bad = xmin if xmin < lo else xmax
        raise MBMError(f"operand {name}={bad} is out of range for bits={cfg.bits}: allowed {lo}..{hi}")


def _check_range(x: Any, lo: int, hi: int, name: str, cfg: MulConfig) -> None:
    if x.numel() == 0 if _is_torch(x) else x.size == 0:
        return
    check_extremes(int(x.min()), int(x.max()), lo, hi, name, cfg)


def leading_one(x: Any, bits: int) -> Any:
    """Index of the leading one of each element of x (0 for x in {0, 1}); x < 2^bits."""
    k = x * 0
    for i in range(1, bits):
        k = k + _int((x >> i) != 0)
    return k


def log_fraction(x: Any, cfg: MulConfig) -> tuple[Any, Any]:
    """(k, f): leading-one index and F-bit fraction of x, after MBM-t truncation.

    This is the logarithmic encoding both approximate multipliers share; the fast kernels
    use it to precompute per-operand terms once instead of once per product.
    """
    k = leading_one(x, cfg.bits)
    f = (x - ((x * 0 + 1) << k)) << (cfg.frac - k)
    f = _where(x == 0, f * 0, f)
    if cfg.trunc:
        t = cfg.trunc
        f = ((f >> t) << t) | (1 << (t - 1))
    return k, f


def _mul_magnitude(a: Any, b: Any, cfg: MulConfig) -> Any:
    """Unsigned product of validated int64 magnitudes."""
    if cfg.mult == "exact":
        return (a * b) << cfg.frac if cfg.frac_out else a * b
    one = 1 << cfg.frac
    c = cfg.correction
    ka, fa = log_fraction(a, cfg)
    kb, fb = log_fraction(b, cfg)
    s = fa + fb
    carry = s >= one
    m = _where(carry, s + (c >> 1), s + (one + c))
    e = ka + kb + _int(carry)
    p = m << e
    if not cfg.frac_out:
        p = p >> cfg.frac
    return _where((a == 0) | (b == 0), p * 0, p)


def mul_unsigned(a: Any, b: Any, cfg: MulConfig = MulConfig()) -> Any:
    """Unsigned product of magnitudes a, b in [0, 2^N - 1]; int64, broadcast like a * b."""
    a, b = _as_int64(a), _as_int64(b)
    _check_range(a, 0, cfg.max_operand, "a", cfg)
    _check_range(b, 0, cfg.max_operand, "b", cfg)
    return _mul_magnitude(a, b, cfg)


def mul_signed(a: Any, b: Any, cfg: MulConfig = MulConfig()) -> Any:
    """Sign-magnitude product of a, b in [-(2^N - 1), 2^N - 1]; int64 two's complement."""
    a, b = _as_int64(a), _as_int64(b)
    hi = cfg.max_operand
    _check_range(a, -hi, hi, "a", cfg)
    _check_range(b, -hi, hi, "b", cfg)
    mag = _mul_magnitude(abs(a), abs(b), cfg)
    return _where((a < 0) != (b < 0), -mag, mag)


def mul(a: Any, b: Any, cfg: MulConfig = MulConfig(), signed: bool = False) -> Any:
    """:func:`mul_signed` or :func:`mul_unsigned`, chosen by ``signed``."""
    return mul_signed(a, b, cfg) if signed else mul_unsigned(a, b, cfg)
