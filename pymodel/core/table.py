"""A multiplier given by its product table: any approximate multiplier, not just MBM.

Why: imported multipliers (a Verilog module simulated exhaustively, a peer tool's table,
an EvoApproxLib circuit) have no formula, only their 2^N x 2^N products. One immutable,
validated type holds them so that the reference conv, the kernels, the characterization
and the table formats all see the same checked integers.

Operand encodings (N = ``bits``; index = operand - lo):

* ``unsigned``: a, b in [0, 2^N - 1], indexed ``[a, b]``, shape 2^N x 2^N;
* ``twos``: two's complement a, b in [-2^(N-1), 2^(N-1) - 1] (EvoApproxLib ``mul8s_*``,
  the peers' int8 tables), indexed ``[a + 2^(N-1), b + 2^(N-1)]``, shape 2^N x 2^N;
* ``signmag``: the built-in multipliers' sign-magnitude operands in [-(2^N - 1), 2^N - 1]
  (N magnitude bits, as :class:`pymodel.core.arith.MulConfig`), indexed
  ``[a + 2^N - 1, b + 2^N - 1]``, shape (2^(N+1) - 1) squared (:func:`pymodel.core.lut.build_lut`).

Products are int64 in units of 1/``scale`` (a power of two: 2^F for a frac_out MBM table,
else 1). ``product_bits`` is the declared product port width: every entry must fit it
(unsigned for ``unsigned`` tables, two's complement otherwise) and it is at most
:data:`MAX_PRODUCT_BITS`, so that int64 accumulators hold 2^15 products of any table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pymodel.core.arith import MIN_BITS, mul, tc_decode
from pymodel.core.errors import MBMError

ENCODINGS = ("unsigned", "twos", "signmag")
#: Widest operand a table may have: 2^20 entries (8 MiB of int64).
TABLE_MAX_BITS = 10
#: Widest product: an int64 accumulator then holds 2^15 worst-case products.
MAX_PRODUCT_BITS = 48


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def operand_bounds(encoding: str, bits: int) -> tuple[int, int]:
    """(lo, hi): the operand range of an encoding at width ``bits``."""
    if encoding == "unsigned":
        return 0, (1 << bits) - 1
    if encoding == "twos":
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if encoding == "signmag":
        return -((1 << bits) - 1), (1 << bits) - 1
    raise MBMError(f"unknown operand encoding {encoding!r}: allowed {', '.join(ENCODINGS)}")


def product_bounds(encoding: str, product_bits: int) -> tuple[int, int]:
    """(lo, hi) a product port of ``product_bits`` holds: unsigned, else two's complement."""
    if encoding == "unsigned":
        return 0, (1 << product_bits) - 1
    return -(1 << (product_bits - 1)), (1 << (product_bits - 1)) - 1


def _bits_of_side(side: int, encoding: str) -> int | None:
    """The operand width a table side means, or None if no width gives that side."""
    for bits in range(1, TABLE_MAX_BITS + 1):
        lo, hi = operand_bounds(encoding, bits)
        if hi - lo + 1 == side:
            return bits
    return None


def _checked_values(values: Any) -> np.ndarray:
    """The entries as a C-contiguous int64 array, refusing what is not an integer table."""
    arr = values.detach().cpu().numpy() if _is_torch(values) else np.asarray(values)
    if arr.dtype.kind not in "iu":
        what = {"f": "float", "b": "bool", "O": "object", "c": "complex"}.get(arr.dtype.kind, str(arr.dtype))
        if arr.dtype.kind == "f" and arr.size and not np.isfinite(arr).all():
            raise MBMError("product table has non-finite entries: allowed integers only")
        raise MBMError(f"product table has dtype {arr.dtype} ({what}): allowed an integer dtype")
    if arr.ndim != 2:
        raise MBMError(f"product table has shape {arr.shape}: allowed 2 dimensions (a, b)")
    if arr.shape[0] != arr.shape[1]:
        raise MBMError(f"product table has shape {arr.shape}: allowed a square table")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise MBMError(f"product table entry {int(arr.max())} is out of range: allowed |p| < 2^{MAX_PRODUCT_BITS}")
    out = np.array(arr, dtype=np.int64, order="C")  # a copy: the caller keeps a writable array
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class ProductTable:
    """An immutable, validated product table (see the module docstring).

    values: the 2-D integer table (any integer dtype; stored as read-only int64).
    encoding: "unsigned", "twos" or "signmag". product_bits: the declared product width
    (default: the smallest that holds every entry). scale: products are in units of 1/scale.
    name: a label for tables and reports (e.g. the module name).
    Derived: bits (N) and sha256 (of the int64 entries' bytes in row-major order: the
    table's identity for caches and provenance; the encoding is not part of it).
    """

    values: np.ndarray = field(repr=False)
    encoding: str = "unsigned"
    product_bits: int | None = None
    scale: int = 1
    name: str = "lut"
    bits: int = field(init=False)
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise MBMError(f"unknown operand encoding {self.encoding!r}: allowed {', '.join(ENCODINGS)}")
        values = _checked_values(self.values)
        side = values.shape[0]
        bits = _bits_of_side(side, self.encoding)
        if bits is None:
            allowed = "2^N" if self.encoding != "signmag" else "2^(N+1) - 1"
            raise MBMError(f"product table side {side} is not allowed for {self.encoding} operands: "
                           f"allowed {allowed} with N <= {TABLE_MAX_BITS}")
        lo, hi = (int(values.min()), int(values.max())) if values.size else (0, 0)
        if self.encoding == "unsigned" and lo < 0:
            where = tuple(int(i) for i in np.argwhere(values == lo)[0])
            raise MBMError(f"product table entry {lo} at {where} is negative: allowed products >= 0 for "
                           f"unsigned operands (signed operands: encoding twos)")
        width = self.product_bits
        if width is None:
            width = max(1, _width_for(lo, hi, self.encoding))
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or not 1 <= width <= MAX_PRODUCT_BITS:
            raise MBMError(f"product_bits={width} is out of range: allowed 1..{MAX_PRODUCT_BITS}")
        plo, phi = product_bounds(self.encoding, int(width))
        if lo < plo or hi > phi:
            bad = lo if lo < plo else hi
            where = np.argwhere(values == bad)[0]
            raise MBMError(f"product table entry {bad} at {tuple(int(i) for i in where)} does not fit "
                           f"product_bits={width}: allowed {plo}..{phi}")
        if not isinstance(self.scale, (int, np.integer)) or self.scale < 1 or self.scale & (self.scale - 1):
            raise MBMError(f"scale={self.scale} is not allowed: allowed a power of two >= 1")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "product_bits", int(width))
        object.__setattr__(self, "bits", bits)
        object.__setattr__(self, "sha256", hashlib.sha256(values.tobytes()).hexdigest())

    def __reduce__(self):
        """Pickle (process pools, Ray workers) as the constructor call: the copy is validated
        and read-only again, and the per-device caches are not shipped."""
        return (ProductTable, (self.values, self.encoding, self.product_bits, self.scale, self.name))

    @classmethod
    def from_config(cls, cfg: Any, signed: bool = False) -> "ProductTable":
        """A built-in multiplier (:class:`pymodel.core.arith.MulConfig`) as a table:
        unsigned, or sign-magnitude operands when ``signed`` (the built-in MBM's convention)."""
        if cfg.bits > TABLE_MAX_BITS:
            raise MBMError(f"bits={cfg.bits} is too wide for a lookup table: allowed {MIN_BITS}..{TABLE_MAX_BITS}")
        encoding = "signmag" if signed else "unsigned"
        lo, hi = operand_bounds(encoding, cfg.bits)
        ops = np.arange(lo, hi + 1, dtype=np.int64)
        return cls(mul(ops[:, None], ops[None, :], cfg, signed=signed), encoding,
                   product_bits=cfg.product_bits + (1 if signed else 0), scale=cfg.scale,
                   name=cfg.label + (" signed" if signed else ""))

    @property
    def lo(self) -> int:
        """Smallest operand; row (and column) i holds operand lo + i."""
        return operand_bounds(self.encoding, self.bits)[0]

    @property
    def hi(self) -> int:
        """Largest operand."""
        return operand_bounds(self.encoding, self.bits)[1]

    @property
    def signed(self) -> bool:
        """True for signed operands (two's complement or sign-magnitude)."""
        return self.encoding != "unsigned"

    @property
    def max_abs(self) -> int:
        """Largest |product| in the table (sizes accumulators and saturation checks)."""
        return int(np.abs(self.values).max()) if self.values.size else 0

    def operands(self) -> np.ndarray:
        """Operand values in index order, lo..hi."""
        return np.arange(self.lo, self.hi + 1, dtype=np.int64)

    def exact(self) -> np.ndarray:
        """The exact products a*b at the table's positions (units of 1, not 1/scale)."""
        ops = self.operands()
        return ops[:, None] * ops[None, :]

    def swapped(self) -> "ProductTable":
        """The same multiplier with its operands exchanged: P'(a, b) = P(b, a). For tables
        whose row operand is another tool's second input (see :mod:`pymodel.core.lut`, TFApprox)."""
        return ProductTable(self.values.T, self.encoding, self.product_bits, self.scale, f"{self.name} swapped")

    @property
    def label(self) -> str:
        """Short label, as :attr:`pymodel.core.arith.MulConfig.label`: ``NAME (twos N=8, sha256 1a2b3c4d)``."""
        return f"{self.name} ({self.encoding} N={self.bits}, sha256 {self.sha256[:8]})"

    def check_operands(self, x: Any, name: str) -> None:
        """Refuse operands outside [lo, hi], naming the worst one."""
        empty = x.numel() == 0 if _is_torch(x) else np.size(x) == 0
        if empty:
            return
        xmin, xmax = int(x.min()), int(x.max())
        if xmin < self.lo or xmax > self.hi:
            bad = xmin if xmin < self.lo else xmax
            raise MBMError(f"operand {name}={bad} is out of range for the {self.encoding} N={self.bits} "
                           f"table {self.name!r}: allowed {self.lo}..{self.hi}")

    def mul(self, a: Any, b: Any) -> Any:
        """Products of a and b (broadcast like a * b), int64: one gather, no Python loop.

        numpy arrays (or ints) give numpy; torch tensors give torch on their device.
        """
        if _is_torch(a) or _is_torch(b):
            import torch

            dev = a.device if _is_torch(a) else b.device
            a, b = torch.broadcast_tensors(torch.as_tensor(a, device=dev), torch.as_tensor(b, device=dev))
            for t, n in ((a, "a"), (b, "b")):
                if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
                    raise MBMError(f"operand {n} has dtype {t.dtype}: allowed integer tensors")
                self.check_operands(t, n)
            flat = self.torch_values(dev).reshape(-1)
            side = self.values.shape[0]
            return flat[(a.long() - self.lo) * side + (b.long() - self.lo)]
        a, b = np.asarray(a), np.asarray(b)
        for arr, n in ((a, "a"), (b, "b")):
            if arr.dtype.kind not in "iu":
                raise MBMError(f"operand {n} has dtype {arr.dtype}: allowed integer arrays")
            self.check_operands(arr, n)
        return self.values[a.astype(np.int64) - self.lo, b.astype(np.int64) - self.lo]

    def torch_values(self, device: Any = "cpu") -> Any:
        """The table as an int64 torch tensor on ``device`` (cached per device)."""
        import torch

        cache = self.__dict__.setdefault("_torch", {})
        key = str(device)
        if key not in cache:
            cache[key] = torch.from_numpy(self.values.copy()).to(device)
        return cache[key]


def pattern_order(values: np.ndarray) -> np.ndarray:
    """Swap a two's-complement table between offset order [a + 2^(N-1)] and the operands'
    bit-pattern order [a mod 2^N] (a roll by half the side; its own inverse). Hardware and
    C tools index by bit pattern (AdaPT's lut[(uint8_t)a], a Verilog module's input bits)."""
    half = values.shape[0] // 2
    return np.roll(values, (half, half), axis=(0, 1))


def from_bit_patterns(raw: np.ndarray, bits: int, product_bits: int, signed: bool, name: str) -> ProductTable:
    """The table of a circuit simulated over all input bit patterns: raw[a, b] holds the
    ``product_bits``-wide output for inputs a, b in 0..2^N - 1. Signed: two's-complement
    operands and product (sign-extended from the output width), else all unsigned."""
    raw = np.asarray(raw, dtype=np.uint64) & np.uint64((1 << product_bits) - 1)
    values = raw.astype(np.int64)
    if not signed:
        return ProductTable(values, "unsigned", product_bits=product_bits, name=name)
    return ProductTable(pattern_order(tc_decode(values, product_bits)), "twos", product_bits=product_bits, name=name)


def _width_for(lo: int, hi: int, encoding: str) -> int:
    """Smallest product width holding [lo, hi] (unsigned, else two's complement)."""
    if encoding == "unsigned" and lo >= 0:
        return max(hi.bit_length(), 1)
    return max(lo.bit_length() if lo >= 0 else (-lo - 1).bit_length(), hi.bit_length()) + 1
