"""Any multiplier a flow runs: a built-in :class:`MulConfig` or an imported :class:`TableMultiplier`.

Why: every flow (characterization, tables, kernels, the network sweep, vectors, the RTL
benches, co-simulation, the report) chooses "a multiplier". Built-in ones have a formula
(:mod:`pymodel.core.arith`); imported ones (a Verilog module simulated exhaustively, a
lookup table file) are defined by their products only. This module gives both the few
properties the flows need under the same names, so that a consumer asks the multiplier
instead of testing its type:

* ``bits``: operand width N; ``scale``: products are in units of 1/scale;
* ``encoding``: how signed network operands reach it: ``signmag`` (the built-in MBM's
  sign-magnitude, values in +-(2^N - 1); also an unsigned imported module, wrapped like the
  MBM core: |a| * |b| through the module, sign a XOR b) or ``twos`` (an imported signed
  module: two's complement operands in -2^(N-1)..2^(N-1) - 1, straight into the module);
* :func:`operand_bounds`, :func:`network_table`, :func:`label`, :func:`spec_of`, :func:`to_dict`.

The operand encoding is part of the multiplier: quantization clamps to its bounds, vectors
and benches drive it, the kernels index its table with it.

Resolving a spec string to a multiplier needs the Verilog simulator for ``verilog:`` specs,
so it lives one layer up (:func:`pymodel.hw.multiplier.resolve`); this module resolves what
needs no simulator (built-ins and ``lut:`` tables, :func:`resolve_table`), so that the network
layer (:mod:`pymodel.nn.approx`) takes those spec strings itself and a resolver injected by
its caller for ``verilog:`` ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Union

import numpy as np

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.lut import load_table
from pymodel.core.spec import ImportSpec, parse_any, spec_string
from pymodel.core.table import ProductTable, operand_bounds as encoding_bounds

#: Keys every imported multiplier's :func:`to_dict` records (MulConfig records its own four).
IMPORT_KEYS = ("mult", "spec", "bits", "encoding", "table_sha256", "file_sha256")


@dataclass(frozen=True, eq=False)
class TableMultiplier:
    """An imported multiplier: its own product table and where it came from.

    source: the parsed spec (kind lut/verilog, path, module, signed). table: the module's
    own operands, ``unsigned`` (a, b in 0..2^N - 1) or ``twos``. file_sha256: the source
    file's content hash (a result file records it; a changed file is caught on re-read).
    """

    source: ImportSpec
    table: ProductTable
    file_sha256: str

    def __post_init__(self) -> None:
        if self.table.encoding not in ("unsigned", "twos"):
            raise MBMError(f"imported multiplier {self.source.spec!r} has a {self.table.encoding} table: "
                           f"allowed unsigned or twos (a sign-magnitude table is a built-in multiplier's)")
        if (self.table.encoding == "twos") != self.source.signed:
            want = "add :signed (or --signed)" if self.table.encoding == "twos" else "drop :signed (or --signed)"
            raise MBMError(f"{self.source.spec!r}: the table has {self.table.encoding} operands: {want}")

    @property
    def mult(self) -> str:
        """``lut`` or ``verilog``: where the products come from."""
        return self.source.kind

    @property
    def bits(self) -> int:
        return self.table.bits

    @property
    def scale(self) -> int:
        return self.table.scale

    @property
    def encoding(self) -> str:
        """How signed network operands reach the module: ``twos`` or ``signmag`` (see module doc)."""
        return "twos" if self.table.encoding == "twos" else "signmag"

    @property
    def name(self) -> str:
        """The module name (verilog) or the table file's stem (lut)."""
        return self.table.name

    @cached_property
    def network_table(self) -> ProductTable:
        """The table over signed network operands: the module's own for ``twos``; for an
        unsigned module the sign-magnitude wrap P(a, b) = sign(a) sign(b) T[|a|, |b|]."""
        if self.table.encoding == "twos":
            return self.table
        lo, hi = encoding_bounds("signmag", self.bits)
        ops = np.arange(lo, hi + 1)
        mag = self.table.values[np.abs(ops)[:, None], np.abs(ops)[None, :]]
        sign = np.sign(ops)[:, None] * np.sign(ops)[None, :]
        return ProductTable(sign * mag, "signmag", product_bits=self.table.product_bits + 1,
                            scale=self.table.scale, name=self.name)


#: What a flow accepts as "a multiplier".
Multiplier = Union[MulConfig, TableMultiplier]


def encoding(m: Multiplier) -> str:
    """Signed network operand encoding: ``signmag`` for built-ins, see :class:`TableMultiplier`."""
    return m.encoding if isinstance(m, TableMultiplier) else "signmag"


def operand_bounds(m: Multiplier) -> tuple[int, int]:
    """(lo, hi) of a signed network operand: +-(2^N - 1) sign-magnitude, or two's complement."""
    return encoding_bounds(encoding(m), m.bits)


def network_table(m: Multiplier) -> ProductTable | MulConfig:
    """What the kernels run: a built-in config as is (its formula kernels), an imported
    multiplier as its table over signed network operands."""
    return m.network_table if isinstance(m, TableMultiplier) else m


def own_table(m: Multiplier, signed: bool = False) -> ProductTable:
    """The multiplier's table over its own operands (characterization, table export): a
    built-in's unsigned table (sign-magnitude when ``signed``); an imported one's as imported."""
    return m.table if isinstance(m, TableMultiplier) else ProductTable.from_config(m, signed)


def spec_of(m: Multiplier) -> str:
    """The canonical spec string: what result files and assignments record."""
    return m.source.spec if isinstance(m, TableMultiplier) else spec_string(m)


def label(m: Multiplier) -> str:
    """Short label for tables, logs and figures: ``mbm N=8 t=0``; an imported one with its own
    operand encoding, ``trunc_mul N=8 unsigned``, ``trunc_mul_s N=8 twos``."""
    if isinstance(m, TableMultiplier):
        return f"{m.name} N={m.bits} {m.table.encoding}"
    return m.label


def to_dict(m: Multiplier) -> dict[str, Any]:
    """How a result file records the multiplier: MulConfig's four keys, or :data:`IMPORT_KEYS`
    (the spec to re-import it and the hashes that prove it is the same)."""
    if isinstance(m, MulConfig):
        return m.to_dict()
    return {"mult": m.mult, "spec": m.source.spec, "bits": m.bits, "encoding": m.encoding,
            "table_sha256": m.table.sha256, "file_sha256": m.file_sha256}


#: Spec string -> multiplier: :func:`pymodel.hw.multiplier.resolve` (any spec) or :func:`resolve_table`.
Resolver = Callable[[str], "Multiplier"]


def source_sha256(spec: ImportSpec) -> str:
    """The sha256 of an imported multiplier's source file (one-line MBMError if it is missing)."""
    path = Path(spec.path)
    if not path.is_file():
        raise MBMError(f"multiplier spec {spec.spec!r}: {spec.path!r} does not exist")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def import_table(spec: ImportSpec) -> TableMultiplier:
    """The multiplier a ``lut:`` spec names: the table file read and checked."""
    file_sha256 = source_sha256(spec)
    table = load_table(Path(spec.path), signed=spec.signed)
    if table.encoding == "signmag":
        raise MBMError(f"{spec.spec!r}: a sign-magnitude table (odd side {table.values.shape[0]}) is a "
                       f"built-in multiplier's: allowed unsigned or two's-complement tables (side 2^N)")
    if table.encoding == "twos" and not spec.signed:  # AdaPT headers are always signed
        spec = replace(spec, signed=True)
    return TableMultiplier(spec, table, file_sha256)


def resolve_table(text: str) -> Multiplier:
    """A built-in or ``lut:`` spec string's multiplier; a ``verilog:`` spec needs the simulator,
    so it is refused here with the resolver to use (:func:`pymodel.hw.multiplier.resolve`)."""
    m = parse_any(text)
    if isinstance(m, MulConfig):
        return m
    if m.kind == "lut":
        return import_table(m)
    raise MBMError(f"multiplier spec {text!r} is simulated by pymodel.hw.multiplier.resolve: pass its "
                   f"result, or resolve=pymodel.hw.multiplier.resolve (allowed here: built-in and lut: specs)")


def is_imported(data: Any) -> bool:
    """True when a :func:`to_dict` mapping records an imported multiplier."""
    return isinstance(data, Mapping) and data.get("mult") in ImportSpec.KINDS
