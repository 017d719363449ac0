"""The accuracy budget: how far each metric may move from the exact float network, in %.

``--budget a1=-1,rel=+2`` reads: a1 may fall by at most 1 % (deviation >= -1), rel may rise by
at most 2 % (deviation <= +2). An unsigned value bounds both sides (``rms=2``: |deviation| <= 2),
which is how signoff.toml's ``[accuracy] max_abs_deviation_pct`` reads, the default budget.
Metrics not named are not constrained. A deviation that is not defined (the exact value is 0)
cannot be judged and counts as over budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pymodel.core.errors import MBMError
from pymodel.nn.metrics import METRICS

_ITEM = re.compile(r"(?P<metric>[a-z0-9]+)=(?P<value>[+-]?\d+(\.\d*)?|[+-]?\.\d+)")
GRAMMAR = f"METRIC=[+|-]PCT[,...] with METRIC in {', '.join(METRICS)}, e.g. a1=-1,rel=+2"


@dataclass(frozen=True)
class Limit:
    """Allowed deviation of one metric, in %: lower <= deviation <= upper."""

    lower: float
    upper: float

    def text(self) -> str:
        if self.lower == -self.upper:
            return f"|dev| <= {self.upper:g} %"
        return f">= {self.lower:g} %" if math.isinf(self.upper) else f"<= +{self.upper:g} %"


Budget = dict[str, Limit]


def parse_budget(text: str) -> Budget:
    """``a1=-1,rel=+2,rms=2`` -> {metric: Limit}; one-line MBMError naming the grammar otherwise."""
    budget: Budget = {}
    for item in (p.strip() for p in text.split(",")):
        match = _ITEM.fullmatch(item.lower()) if item else None
        if match is None or match["metric"] not in METRICS or match["metric"] in budget:
            raise MBMError(f"budget {text!r} does not parse at {item!r}: allowed {GRAMMAR}, each metric once")
        raw, value = match["value"], float(match["value"])
        if raw.startswith("-"):
            budget[match["metric"]] = Limit(value, math.inf)
        elif raw.startswith("+"):
            budget[match["metric"]] = Limit(-math.inf, value)
        else:
            budget[match["metric"]] = Limit(-value, value)
    return budget


def from_max_abs(limits: Mapping[str, float]) -> Budget:
    """signoff.toml's max |deviation| per metric as a budget."""
    return {m: Limit(-float(v), float(v)) for m, v in limits.items()}


def excess(deviation: Mapping[str, float | None], budget: Budget) -> float:
    """How far past the budget a deviation is: 0 within it, else the largest overshoot in
    percentage points (inf for an undefined deviation of a budgeted metric)."""
    worst = 0.0
    for metric, limit in budget.items():
        d = deviation.get(metric)
        if d is None or not math.isfinite(d):
            return math.inf
        worst = max(worst, limit.lower - d, d - limit.upper)
    return worst


def worst_deviation(deviation: Mapping[str, float | None], metrics: Iterable[str]) -> float:
    """The largest |deviation| over ``metrics`` (a budget's, or any names; inf if one is
    undefined): the x axis of the Pareto front and the figure of the tables and heat map."""
    values = [deviation.get(m) for m in metrics]
    if any(v is None or not math.isfinite(v) for v in values):
        return math.inf
    return max((abs(v) for v in values), default=0.0)


def budget_text(budget: Budget) -> str:
    """The --budget string of ``budget`` (the inverse of :func:`parse_budget`)."""
    items = []
    for metric, limit in budget.items():
        if limit.lower == -limit.upper:
            items.append(f"{metric}={limit.upper:g}")
        else:
            items.append(f"{metric}={limit.lower:g}" if math.isinf(limit.upper) else f"{metric}=+{limit.upper:g}")
    return ",".join(items)


def describe(budget: Budget) -> str:
    return ", ".join(f"{m} {limit.text()}" for m, limit in budget.items())
