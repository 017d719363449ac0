"""Choosing a multiplier per layer: greedy with verification and repair, exhaustive, Pareto front.

Pure functions over tables; the caller supplies ``evaluate(assignments) -> deviations`` (one
network evaluation per assignment, run in parallel by :mod:`pymodel.explore.execute`), so the
search logic is tested here on hand-made tables.

An assignment maps every explored layer to a candidate spec string. Its cost is the sum of
``cost[layer][spec]``; the baseline puts the exact multiplier everywhere.

Greedy (the default for large spaces): every move "layer L takes candidate c" that saves cost
is ranked by cost saved per unit of deviation, where the deviation of a move is how much
worse than the baseline's the single-layer run of L with c is (worst budgeted metric,
relative to its limit). Moves are taken in that order (a later move may replace a layer's
earlier choice by a cheaper one) while the estimate of the combined deviation (the
baseline's plus the sum of each layer's single-layer change, per metric) stays within the
budget; then the combined assignment is evaluated for real (interactions between layers are
not additive), and while it misses the budget the most recently taken move (the least
efficient) is undone and the result evaluated again.

Exhaustive (when candidates^layers is at most ``exhaustive_limit``): every assignment is
evaluated and the cheapest within budget wins.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pymodel.explore.budget import Budget, excess, worst_deviation

Assignment = dict[str, str]
Deviation = Mapping[str, float | None]
Evaluate = Callable[[list[Assignment]], list[Deviation]]


@dataclass
class Evaluated:
    """Every full assignment evaluated so far, in order, with its cost and deviation."""

    points: list[tuple[Assignment, float, Deviation]] = field(default_factory=list)

    def add(self, assignment: Assignment, cost: float, deviation: Deviation) -> None:
        self.points.append((dict(assignment), cost, dict(deviation)))


def total_cost(assignment: Mapping[str, str], cost: Mapping[str, Mapping[str, float]]) -> float:
    return sum(cost[layer][spec] for layer, spec in assignment.items())


def _step(deviation: Deviation, base: Deviation, budget: Budget) -> float:
    """How much worse than ``base`` a deviation is, in units of each metric's budget width."""
    worst = 0.0
    for metric, limit in budget.items():
        d, b = deviation.get(metric), base.get(metric)
        if d is None or b is None or not math.isfinite(d) or not math.isfinite(b):
            return math.inf
        scale = min(abs(x) for x in (limit.lower, limit.upper) if math.isfinite(x)) or 1e-9
        worst = max(worst, abs(d - b) / scale)
    return worst


def greedy(layers: Sequence[str], candidates: Sequence[str], baseline: str, cost: Mapping[str, Mapping[str, float]],
           single: Mapping[str, Mapping[str, Deviation]], budget: Budget, evaluate: Evaluate,
           log: Evaluated) -> tuple[Assignment, Deviation, list[str]]:
    """The greedy assignment (see the module docstring), its measured deviation and a log of
    the steps taken (moves, verifications, repairs) in words."""
    base = {layer: baseline for layer in layers}
    moves = []
    for layer in layers:
        for spec in candidates:
            saved = cost[layer][baseline] - cost[layer][spec]
            if spec != baseline and saved > 0:
                step = _step(single[layer][spec], single[layer][baseline], budget)
                moves.append((saved / max(step, 1e-9), saved, layer, spec))
    moves.sort(key=lambda m: (-m[0], -m[1], m[2], m[3]))
    current = dict(base)
    estimate = {m: sum(single[layer][baseline].get(m) or 0.0 for layer in layers) for m in budget}
    taken: list[tuple[str, str, str]] = []  # (layer, spec before, spec after), in order taken
    steps = []
    for ratio, _, layer, spec in moves:
        before = current[layer]
        saved = cost[layer][before] - cost[layer][spec]
        if saved <= 0:  # the layer already has a cheaper candidate
            continue
        trial = {m: estimate[m] + (single[layer][spec].get(m) or 0.0) - (single[layer][before].get(m) or 0.0)
                 for m in budget}
        if excess(trial, budget) == 0:
            estimate, current[layer] = trial, spec
            taken.append((layer, before, spec))
            steps.append(f"take {layer} <- {spec} (saves {saved:g}, ratio {ratio:.3g})")
    while True:
        (deviation,) = evaluate([dict(current)])
        log.add(current, total_cost(current, cost), deviation)
        if excess(deviation, budget) == 0 or not taken:
            verdict = "within" if excess(deviation, budget) == 0 else "over"
            steps.append(f"verified {len(taken)} moves: {verdict} budget")
            return dict(current), deviation, steps
        layer, before, spec = taken.pop()
        current[layer] = before
        steps.append(f"over budget by {excess(deviation, budget):.3g} pp: undo {layer} <- {spec}")


def exhaustive(layers: Sequence[str], candidates: Sequence[str], cost: Mapping[str, Mapping[str, float]],
               budget: Budget, evaluate: Evaluate, log: Evaluated) -> tuple[Assignment | None, Deviation | None]:
    """The cheapest assignment within budget over all candidates^layers (None if none is)."""
    every = [dict(zip(layers, combo)) for combo in itertools.product(candidates, repeat=len(layers))]
    best: tuple[float, Assignment, Deviation] | None = None
    for assignment, deviation in zip(every, evaluate(every)):
        c = total_cost(assignment, cost)
        log.add(assignment, c, deviation)
        if excess(deviation, budget) == 0 and (best is None or c < best[0]):
            best = (c, assignment, deviation)
    return (best[1], best[2]) if best else (None, None)


def pareto(log: Evaluated, budget: Budget) -> list[dict]:
    """Non-dominated (cost, worst deviation) points over every evaluated assignment, by cost."""
    points = sorted(((cost, worst_deviation(dev, budget), a) for a, cost, dev in log.points),
                    key=lambda p: (p[0], p[1]))
    front, best = [], math.inf
    for cost, worst, assignment in points:
        if worst < best:
            front.append({"cost": cost, "worst_deviation_pct": worst, "assignment": assignment})
            best = worst
    return front
