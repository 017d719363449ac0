"""The search on hand-made tables: greedy order, verification and repair, exhaustive, Pareto.

Two layers L1, L2; candidates exact (baseline), a (cheap, small error), b (cheapest, large
error). Single-layer deviations of rel in %; the budget is rel <= +2."""

import pytest

from pymodel.explore import search
from pymodel.explore.budget import parse_budget

LAYERS = ["L1", "L2"]
CANDS = ["a", "b", "exact"]
COST = {"L1": {"exact": 100.0, "a": 70.0, "b": 40.0}, "L2": {"exact": 10.0, "a": 7.0, "b": 4.0}}
SINGLE = {
    "L1": {"exact": {"rel": 0.1}, "a": {"rel": 0.6}, "b": {"rel": 5.0}},
    "L2": {"exact": {"rel": 0.1}, "a": {"rel": 0.3}, "b": {"rel": 0.9}},
}
BUDGET = parse_budget("rel=+2")


def additive(assignments):
    """The 'network': deviations add up exactly (so the estimate is right)."""
    return [{"rel": sum(SINGLE[layer][spec]["rel"] for layer, spec in a.items())} for a in assignments]


def test_greedy_takes_moves_by_saving_per_deviation_and_verifies():
    log = search.Evaluated()
    chosen, dev, steps = search.greedy(LAYERS, CANDS, "exact", COST, SINGLE, BUDGET, additive, log)
    # ratios (saved / step in budget units of 2 %): L1<-a 30/0.25=120, L2<-a 3/0.1=30,
    # L1<-b 60/2.45=24.5, L2<-b 6/0.4=15. Take L1<-a (est 0.7), L2<-a (est 0.9); L1<-b would
    # estimate 5.3: refused; L2<-b replaces L2's a (est 1.5). That is the optimum (exhaustive below).
    assert chosen == {"L1": "a", "L2": "b"}
    assert dev == {"rel": pytest.approx(1.5)}
    assert [s.split(" (")[0] for s in steps] == ["take L1 <- a", "take L2 <- a", "take L2 <- b",
                                                 "verified 3 moves: within budget"]
    assert len(log.points) == 1  # one verification, within budget


def test_greedy_repairs_when_the_real_network_is_worse_than_the_estimate():
    calls = []

    def interacting(assignments):
        calls.append(assignments[0])
        a = assignments[0]
        return [{"rel": 3.0 if a["L2"] != "exact" else additive([a])[0]["rel"]}]

    log = search.Evaluated()
    chosen, dev, steps = search.greedy(LAYERS, CANDS, "exact", COST, SINGLE, BUDGET, interacting, log)
    # undo the last move (L2 back to a), verify, undo the one before (L2 back to exact), verify
    assert calls == [{"L1": "a", "L2": "b"}, {"L1": "a", "L2": "a"}, {"L1": "a", "L2": "exact"}]
    assert chosen == {"L1": "a", "L2": "exact"} and dev == {"rel": pytest.approx(0.7)}
    assert [s for s in steps if "undo" in s][-1].endswith("undo L2 <- a")


def test_exhaustive_finds_the_cheapest_within_budget():
    log = search.Evaluated()
    chosen, dev = search.exhaustive(LAYERS, CANDS, COST, BUDGET, additive, log)
    assert chosen == {"L1": "a", "L2": "b"}  # 74, rel 1.5; L1<-b is never within 2 %
    assert len(log.points) == 9


def test_exhaustive_reports_none_when_nothing_fits():
    chosen, dev = search.exhaustive(LAYERS, CANDS, COST, parse_budget("rel=+0.1"), additive, search.Evaluated())
    assert chosen is None and dev is None


def test_pareto_front_is_non_dominated_and_sorted_by_cost():
    log = search.Evaluated()
    search.exhaustive(LAYERS, CANDS, COST, BUDGET, additive, log)
    front = search.pareto(log, BUDGET)
    costs = [p["cost"] for p in front]
    worst = [p["worst_deviation_pct"] for p in front]
    assert costs == sorted(costs) and worst == sorted(worst, reverse=True)
    assert front[0]["assignment"] == {"L1": "b", "L2": "b"} and front[-1]["assignment"] == {"L1": "exact", "L2": "exact"}
    for p in front:  # nothing evaluated is both cheaper and more accurate
        assert not any(c < p["cost"] and d["rel"] < p["worst_deviation_pct"] for _, c, d in log.points)
