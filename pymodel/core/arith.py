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

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
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

    @property
    def label(self) -> str:
        """Short label such as ``mbm N=8 t=0`` (`` frac`` appended with frac_out): the one
        way tables, logs, reports and result files name a configuration."""
        extra = " frac" if self.frac_out else ""
        return f"{self.mult} N={self.bits} t={self.trunc}{extra}"

    def to_dict(self) -> dict[str, Any]:
        """``{"mult", "bits", "trunc", "frac_out"}``: how every result file records a
        configuration (writers may put their own keys next to these)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MulConfig:
        """The configuration a :meth:`to_dict` mapping records; keys other than the four are
        ignored (a cosim record adds "lanes"), a missing key or a bad value is an MBMError."""
        keys = ", ".join(CONFIG_KEYS)
        if not isinstance(data, Mapping):
            raise MBMError(f"multiplier config {data!r} is not a mapping: allowed {{{keys}}}")
        missing = [k for k in CONFIG_KEYS if k not in data]
        if missing:
            raise MBMError(f"multiplier config {dict(data)} lacks {', '.join(missing)}: allowed keys {keys}")
        if data["frac_out"] not in (False, True):  # 0/1 and True/False only
            raise MBMError(f"frac_out={data['frac_out']!r} is not allowed: allowed true or false")
        return cls(data["mult"], data["bits"], data["trunc"], bool(data["frac_out"]))

    def rtl_parameters(self) -> dict[str, int]:
        """The HDL parameters of ``mbm_mul`` (and every module built on it) that implement
        this configuration, in the RTL's order: N, TRUNC, FRAC_OUT, MITCHELL."""
        if self.mult == "exact":
            raise MBMError("mult='exact' has no RTL multiplier: allowed mbm, mitchell")
        return {"N": self.bits, "TRUNC": self.trunc, "FRAC_OUT": int(self.frac_out),
                "MITCHELL": int(self.mult == "mitchell")}

    @classmethod
    def from_rtl_parameters(cls, params: Mapping[str, Any]) -> MulConfig:
        """The configuration an RTL build implements (the inverse of :meth:`rtl_parameters`).

        A parameter left out has the RTL's default (N=8, TRUNC=FRAC_OUT=MITCHELL=0, which
        are MulConfig's defaults); others (LANES, ACC_W, SIGNED, LATENCY) are ignored.
        Illegal values are a one-line MBMError worded as the RTL's own $error."""
        values = {**cls().rtl_parameters(), **{k: params[k] for k in RTL_PARAMETERS if k in params}}
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise MBMError(f"RTL parameter {key}={value!r} is not an integer: allowed integers")
        n, trunc = int(values["N"]), int(values["TRUNC"])
        if not MIN_BITS <= n <= MAX_BITS:
            raise MBMError(f"N={n} is out of range: allowed {MIN_BITS}..{MAX_BITS}")
        for key in ("FRAC_OUT", "MITCHELL"):
            if values[key] not in (0, 1):
                raise MBMError(f"{key}={values[key]} is not allowed: allowed 0 or 1")
        cfg = cls("mitchell" if values["MITCHELL"] else "mbm", n, 0, bool(values["FRAC_OUT"]))
        if not 0 <= trunc <= cfg.max_trunc:
            raise MBMError(f"TRUNC={trunc} is out of range for N={n}: allowed 0..N-8 (0 for N < 8)")
        return replace(cfg, trunc=trunc)


#: The keys of :meth:`MulConfig.to_dict`, in order.
CONFIG_KEYS = tuple(f.name for f in fields(MulConfig))
#: The HDL parameters :meth:`MulConfig.rtl_parameters` sets, in order.
RTL_PARAMETERS = ("N", "TRUNC", "FRAC_OUT", "MITCHELL")


# ---- operand and product encodings on the pins ----

def sm_encode(values: Any, bits: int, zero_sign: Any = 0) -> np.ndarray:
    """Sign-magnitude words {sign, magnitude} of values in [-(2^bits - 1), 2^bits - 1]: the
    sign bit at ``bits``, above the magnitude. ``zero_sign`` (0/1, or an array of them) is
    the sign bit a zero gets: 1 writes "negative zero", which the RTL must read as zero."""
    v = np.asarray(values, dtype=np.int64)
    top = (1 << bits) - 1
    if v.size and (int(v.min()) < -top or int(v.max()) > top):
        bad = int(v.min()) if int(v.min()) < -top else int(v.max())
        raise MBMError(f"value {bad} does not fit a {bits}-bit sign-magnitude word: allowed {-top}..{top}")
    sign = (v < 0) | ((v == 0) & (np.asarray(zero_sign) != 0))
    return (sign.astype(np.int64) << bits) | np.abs(v)


def sm_sign(words: Any, bits: int) -> Any:
    """The sign bit of sign-magnitude words (1 also for negative zero)."""
    return (words >> bits) & 1


def sm_decode(words: Any, bits: int) -> Any:
    """Values of (bits + 1)-bit sign-magnitude words (negative zero is 0); works on Python
    ints of any width and on integer arrays alike."""
    mag = words & ((1 << bits) - 1)
    return mag - 2 * sm_sign(words, bits) * mag


def tc_decode(words: Any, width: int) -> Any:
    """Values of ``width``-bit two's-complement words (Python ints of any width, int64
    arrays up to 63 bits)."""
    half = ((words >> (width - 1)) & 1) << (width - 1)  # 2^(width-1) for negative words
    return words - half - half


def tc_encode(values: Any, width: int) -> Any:
    """``width``-bit two's-complement words of values (Python ints or int64 arrays, width <= 63)."""
    return values & ((1 << width) - 1)


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
