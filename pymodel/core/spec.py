"""Multiplier spec strings: one short text names a multiplier everywhere a user chooses one.

Grammar (built-in multipliers)::

    SPEC  := MULT ":" BITS [":t" TRUNC] [":frac"]
    MULT  := "mbm" | "mitchell" | "exact"
    BITS  := operand magnitude width N, 4..16
    TRUNC := MBM-t operand truncation t, 0..N-8

e.g. ``mbm:8``, ``mbm:12:t3``, ``mbm:8:frac``, ``mitchell:8``, ``exact:8``. The canonical
form (:func:`spec_string`) omits ``:t0`` and writes ``:t`` before ``:frac``, so
``spec_string(parse_spec(s))`` is the one spelling a result file records.
"""

from __future__ import annotations

import re

from pymodel.core.arith import MULTIPLIERS, MulConfig
from pymodel.core.errors import MBMError

GRAMMAR = "MULT:BITS[:tTRUNC][:frac] with MULT in " + "|".join(MULTIPLIERS) + ", e.g. mbm:8, mbm:12:t3, mbm:8:frac"
_SPEC = re.compile(r"(?P<mult>[a-z]+):(?P<bits>\d+)(?::t(?P<trunc>\d+))?(?P<frac>:frac)?")


def parse_spec(text: str) -> MulConfig:
    """The MulConfig a spec string names; one-line MBMError naming the grammar if it does not
    parse, and MulConfig's own range errors if it parses to illegal values."""
    match = _SPEC.fullmatch(text.strip().lower())
    if match is None:
        raise MBMError(f"multiplier spec {text!r} does not parse: allowed {GRAMMAR}")
    return MulConfig(match["mult"], int(match["bits"]), int(match["trunc"] or 0), bool(match["frac"]))


def spec_string(cfg: MulConfig) -> str:
    """The canonical spec string of ``cfg`` (the inverse of :func:`parse_spec`)."""
    return f"{cfg.mult}:{cfg.bits}" + (f":t{cfg.trunc}" if cfg.trunc else "") + (":frac" if cfg.frac_out else "")


def parse_specs(text: str) -> list[MulConfig]:
    """A comma list of spec strings (``mbm:8,mitchell:8,exact:8``), duplicates refused."""
    items = [s for s in (p.strip() for p in text.split(",")) if s]
    if not items:
        raise MBMError(f"no multiplier in {text!r}: allowed a comma list of {GRAMMAR}")
    cfgs = [parse_spec(s) for s in items]
    seen: set[MulConfig] = set()
    for s, cfg in zip(items, cfgs):
        if cfg in seen:
            raise MBMError(f"multiplier {s!r} is listed twice in {text!r}: allowed each once")
        seen.add(cfg)
    return cfgs
