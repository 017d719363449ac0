"""The sign-off configuration file (signoff.toml): what is signed off and the thresholds.

One TOML file names the multiplier configuration under review and every limit the verdict
applies, so a review can see (and diff) what "PASS" meant. Unknown keys are errors: a typo in
a threshold must not silently fall back to a default.

A per-layer assignment (written by ``pymodel explore`` as its ``signoff.toml``) signs off a
mixed network instead of one multiplier: an ``[assignment]`` table ``"layer" = "spec"``
replaces ``[multiplier]``; ``[accuracy] budget = "a1=-1,rel=+2"`` (the exploration's budget,
signed limits) replaces the ``max_abs`` limits, and ``check_layer_rows = false`` judges the
mixed network (the sweep's "all" row) only, since a layer may miss the budget alone and the
combination still meet it.

Any multiplier: ``[multiplier] spec = "verilog:my_mul.v"`` (any spec string of
:mod:`pymodel.core.spec`, instead of the mult/bits/trunc/frac_out keys) and ``[assignment]``
values name imported multipliers too; their paths are relative to the directory the report
runs in, as on the command line, and they are imported when the file is read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymodel.core import multiplier as mm
from pymodel.core.arith import CONFIG_KEYS, MAX_BITS, MIN_BITS, MulConfig
from pymodel.core.errors import MBMError
from pymodel.hw.multiplier import resolve
from pymodel.explore.budget import Budget, describe, parse_budget

_SECTIONS = {
    "multiplier": {*CONFIG_KEYS, "spec"},
    "rtl": {"require_all_pass", "min_coverage_pct"},
    "cosim": {"max_mismatches"},
    "accuracy": {"default_max_abs_deviation_pct", "max_abs_deviation_pct", "check_all_row", "check_layer_rows",
                 "budget"},
    "assignment": None,  # any layer name
    "synthesis": {"bits"},
    "testplan": {"require_all"},
}


@dataclass(frozen=True)
class SignoffConfig:
    """Parsed signoff.toml. Percentages are in percent (100.0 = all)."""

    multiplier: mm.Multiplier = MulConfig()
    require_all_pass: bool = True
    min_coverage_pct: float = 100.0
    max_mismatches: int = 0
    default_max_abs_deviation_pct: float = 2.0
    max_abs_deviation_pct: dict[str, float] = field(default_factory=dict)
    check_all_row: bool = True
    synth_bits: tuple[int, ...] = (8, 16)
    testplan_require_all: bool = True
    check_layer_rows: bool = True
    budget: Budget | None = None
    assignment: dict[str, mm.Multiplier] = field(default_factory=dict)
    source: str = "built-in defaults"

    def signed_off(self) -> list[mm.Multiplier]:
        """Every multiplier under review: the assignment's (in layer order, once each) or the one."""
        if not self.assignment:
            return [self.multiplier]
        return list({mm.spec_of(m): m for m in self.assignment.values()}.values())

    def deviation_limit(self, metric: str) -> float:
        """Largest allowed |deviation| (percent) for one accuracy metric."""
        return self.max_abs_deviation_pct.get(metric, self.default_max_abs_deviation_pct)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy for the report's configuration section."""
        m = self.multiplier
        return {
            "source": self.source,
            "multiplier": mm.to_dict(m),
            "assignment": {layer: mm.spec_of(c) for layer, c in self.assignment.items()},
            "assignment_labels": {layer: mm.label(c) for layer, c in self.assignment.items()},
            "rtl": {"require_all_pass": self.require_all_pass, "min_coverage_pct": self.min_coverage_pct},
            "cosim": {"max_mismatches": self.max_mismatches},
            "accuracy": {
                "default_max_abs_deviation_pct": self.default_max_abs_deviation_pct,
                "max_abs_deviation_pct": dict(self.max_abs_deviation_pct),
                "check_all_row": self.check_all_row,
                "check_layer_rows": self.check_layer_rows,
                "budget": describe(self.budget) if self.budget else None,
            },
            "synthesis": {"bits": list(self.synth_bits)},
            "testplan": {"require_all": self.testplan_require_all},
        }


def _number(table: dict[str, Any], key: str, default: float, where: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise MBMError(f"{where}.{key}={value!r} is invalid: allowed a number >= 0")
    return float(value)


def load_config(path: str | Path) -> SignoffConfig:
    """Read and validate ``path``; raises MBMError naming the bad key or value."""
    path = Path(path)
    if not path.is_file():
        raise MBMError(
            f"sign-off config {path} does not exist: allowed an existing TOML file (e.g. signoff.toml)"
        )
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise MBMError(f"sign-off config {path} is not valid TOML: {err}") from None
    for section, table in data.items():
        if section not in _SECTIONS or not isinstance(table, dict):
            raise MBMError(f"unknown section [{section}] in {path}: allowed {', '.join(_SECTIONS)}")
        unknown = set() if _SECTIONS[section] is None else set(table) - _SECTIONS[section]
        if unknown:
            allowed = ", ".join(sorted(_SECTIONS[section]))
            raise MBMError(f"unknown key {section}.{sorted(unknown)[0]} in {path}: allowed {allowed}")
    mult = data.get("multiplier", {})
    rtl, cosim, acc = data.get("rtl", {}), data.get("cosim", {}), data.get("accuracy", {})
    limits = acc.get("max_abs_deviation_pct", {})
    if not isinstance(limits, dict):
        raise MBMError(
            f"accuracy.max_abs_deviation_pct={limits!r} is invalid: allowed a table metric = percent"
        )
    assignment = data.get("assignment", {})
    if not all(isinstance(v, str) for v in assignment.values()):
        raise MBMError(f"[assignment] in {path}: allowed \"layer\" = \"spec\" strings, e.g. \"decoder.up1.convA\" = \"mbm:8\"")
    if assignment and "multiplier" in data:
        raise MBMError(f"{path} has [multiplier] and [assignment]: allowed one of the two")
    budget = acc.get("budget")
    if budget is not None and not isinstance(budget, str):
        raise MBMError(f"accuracy.budget={budget!r} is invalid: allowed a string like \"a1=-1,rel=+2\"")
    bits = data.get("synthesis", {}).get("bits", [8, 16])
    if not isinstance(bits, list) or not all(isinstance(b, int) and MIN_BITS <= b <= MAX_BITS for b in bits):
        raise MBMError(f"synthesis.bits={bits!r} is invalid: allowed a list of widths {MIN_BITS}..{MAX_BITS}")
    if "spec" in mult and set(mult) != {"spec"}:
        raise MBMError(f"[multiplier] in {path} has spec and {', '.join(sorted(set(mult) - {'spec'}))}: "
                       f"allowed spec alone or the keys {', '.join(CONFIG_KEYS)}")
    resolved: dict[str, mm.Multiplier] = {}
    for spec in [*assignment.values(), *([mult["spec"]] if "spec" in mult else [])]:
        if not isinstance(spec, str):
            raise MBMError(f"multiplier.spec={spec!r} in {path}: allowed a spec string, e.g. \"verilog:my_mul.v\"")
        resolved.setdefault(spec, resolve(spec))
    return SignoffConfig(
        multiplier=resolved[mult["spec"]] if "spec" in mult else MulConfig.from_dict({**MulConfig().to_dict(), **mult}),
        require_all_pass=bool(rtl.get("require_all_pass", True)),
        min_coverage_pct=_number(rtl, "min_coverage_pct", 100.0, "rtl"),
        max_mismatches=int(_number(cosim, "max_mismatches", 0, "cosim")),
        default_max_abs_deviation_pct=_number(acc, "default_max_abs_deviation_pct", 2.0, "accuracy"),
        max_abs_deviation_pct={k: _number(limits, k, 0, "accuracy.max_abs_deviation_pct") for k in limits},
        check_all_row=bool(acc.get("check_all_row", True)),
        synth_bits=tuple(bits),
        testplan_require_all=bool(data.get("testplan", {}).get("require_all", True)),
        check_layer_rows=bool(acc.get("check_layer_rows", True)),
        budget=parse_budget(budget) if budget is not None else None,
        assignment={layer: resolved[spec] for layer, spec in assignment.items()},
        source=str(path),
    )
