"""Multiplier spec strings: one short text names a multiplier everywhere a user chooses one.

Grammar::

    SPEC    := BUILTIN | IMPORT
    BUILTIN := MULT ":" BITS [":t" TRUNC] [":frac"]
    MULT    := "mbm" | "mitchell" | "exact"
    BITS    := operand magnitude width N, 4..16
    TRUNC   := MBM-t operand truncation t, 0..N-8
    IMPORT  := "lut:" PATH [":signed"] | "verilog:" PATH.v [":" MODULE] [":signed"]

e.g. ``mbm:8``, ``mbm:12:t3``, ``mbm:8:frac``, ``mitchell:8``, ``exact:8``,
``lut:mul8u_2v0.npy``, ``verilog:my_mul.v`` (module = the file's stem),
``verilog:lib/mul8s.v:mul8s_1kv8:signed``. ``:signed`` (or a command's ``--signed``) means
two's-complement operands in -2^(N-1)..2^(N-1)-1 (EvoApproxLib's mul8s_*, the peers' int8
tables); without it an imported multiplier is unsigned and signed network operands reach it
in sign-magnitude, as the built-in MBM's. The canonical form (:func:`spec_string`,
:attr:`ImportSpec.spec`) omits ``:t0`` and a module equal to the file's stem, and writes
``:t`` before ``:frac``, so the canonical string is the one spelling a result file records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pymodel.core.arith import MULTIPLIERS, MulConfig
from pymodel.core.errors import MBMError

GRAMMAR = ("MULT:BITS[:tTRUNC][:frac] with MULT in " + "|".join(MULTIPLIERS)
           + ", lut:PATH[:signed] or verilog:PATH.v[:MODULE][:signed], e.g. mbm:8, mbm:12:t3, mbm:8:frac, "
           "lut:mul8u.npy, verilog:my_mul.v")
_SPEC = re.compile(r"(?P<mult>[a-z]+):(?P<bits>\d+)(?::t(?P<trunc>\d+))?(?P<frac>:frac)?")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class ImportSpec:
    """A parsed ``lut:`` or ``verilog:`` spec: where an imported multiplier's products come
    from. ``module`` is None for tables; for Verilog it defaults to the file's stem.
    Resolved to a multiplier by :func:`pymodel.hw.multiplier.resolve`."""

    KINDS: ClassVar[tuple[str, ...]] = ("lut", "verilog")

    kind: str
    path: str
    module: str | None = None
    signed: bool = False

    @property
    def spec(self) -> str:
        """The canonical spec string."""
        module = f":{self.module}" if self.module and self.module != Path(self.path).stem else ""
        return f"{self.kind}:{self.path}{module}" + (":signed" if self.signed else "")


def _parse_import(text: str) -> ImportSpec:
    kind, _, rest = text.partition(":")
    kind = kind.lower()
    signed = rest.endswith(":signed")
    if signed:
        rest = rest[: -len(":signed")]
    if not rest:
        raise MBMError(f"multiplier spec {text!r} names no file: allowed {GRAMMAR}")
    if kind == "lut":
        return ImportSpec("lut", rest, None, signed)
    path, module = rest, None
    head, sep, tail = rest.rpartition(":")
    if sep and Path(head).suffix in (".v", ".sv"):
        path, module = head, tail
        if not _MODULE.fullmatch(module):
            raise MBMError(f"multiplier spec {text!r}: {module!r} is not a Verilog module name: allowed {GRAMMAR}")
    if Path(path).suffix not in (".v", ".sv"):
        raise MBMError(f"multiplier spec {text!r}: {path!r} is not a Verilog file (.v or .sv): allowed {GRAMMAR}")
    return ImportSpec("verilog", path, module or Path(path).stem, signed)


def parse_any(text: str) -> MulConfig | ImportSpec:
    """A built-in MulConfig or an :class:`ImportSpec`; one-line MBMError naming the grammar."""
    stripped = text.strip()
    if stripped.split(":", 1)[0].lower() in ImportSpec.KINDS:
        return _parse_import(stripped)
    return parse_spec(stripped)


def parse_spec(text: str) -> MulConfig:
    """The MulConfig a spec string names; one-line MBMError naming the grammar if it does not
    parse, and MulConfig's own range errors if it parses to illegal values."""
    match = _SPEC.fullmatch(text.strip().lower())
    if match is None:
        raise MBMError(f"multiplier spec {text!r} does not parse: allowed {GRAMMAR}")
    if match["mult"] not in MULTIPLIERS:
        raise MBMError(f"unknown multiplier {match['mult']!r}: allowed {', '.join(MULTIPLIERS)} "
                       f"(multiplier spec {text!r}: allowed {GRAMMAR})")
    return MulConfig(match["mult"], int(match["bits"]), int(match["trunc"] or 0), bool(match["frac"]))


def spec_string(cfg: MulConfig) -> str:
    """The canonical spec string of ``cfg`` (the inverse of :func:`parse_spec`)."""
    return f"{cfg.mult}:{cfg.bits}" + (f":t{cfg.trunc}" if cfg.trunc else "") + (":frac" if cfg.frac_out else "")


def parse_specs(text: str) -> list[MulConfig | ImportSpec]:
    """A comma list of spec strings (``mbm:8,mitchell:8,lut:t.npy``), duplicates refused."""
    items = [s for s in (p.strip() for p in text.split(",")) if s]
    if not items:
        raise MBMError(f"no multiplier in {text!r}: allowed a comma list of {GRAMMAR}")
    cfgs = [parse_any(s) for s in items]
    seen: set[MulConfig | ImportSpec] = set()
    for s, cfg in zip(items, cfgs):
        if cfg in seen:
            raise MBMError(f"multiplier {s!r} is listed twice in {text!r}: allowed each once")
        seen.add(cfg)
    return cfgs
