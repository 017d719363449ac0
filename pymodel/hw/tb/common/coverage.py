"""Functional coverage on cocotb-coverage, sampled from numpy batches.

A testbench computes one integer feature per transaction and cover point (for instance
the leading-one position of operand a) as numpy arrays; :class:`BatchCoverage` turns each
distinct combination of feature values in a batch into ONE call of a function decorated
with the cocotb-coverage ``CoverPoint``/``CoverCross`` objects, so the coverage database
(and its reports and YAML/XML export) stays cocotb-coverage's while the per-transaction
cost stays numpy's. A feature value outside a point's bins (use -1) is simply not counted,
which is how a point is masked for some rows (no leading one for a zero operand).

Because a combination is sampled once per batch, cocotb-coverage's own hit counters count
batches; the exact number of transactions per bin is kept in :attr:`BatchCoverage.hits`
and is what :meth:`BatchCoverage.report` prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from cocotb_coverage import coverage


@dataclass(frozen=True)
class Point:
    """A cover point: integer ``bins`` and optional display ``labels`` (same length)."""

    bins: Sequence[int]
    labels: Sequence[str] | None = None

    def label(self, value: int) -> str:
        return str(self.labels[list(self.bins).index(value)]) if self.labels else str(value)


def _no_op(_features: dict[str, int]) -> None:
    return None


class BatchCoverage:
    """A cover group ``name`` of cover points and crosses of them, sampled in batches.

    points: feature name -> :class:`Point`. crosses: cross name -> the point names it
    crosses. Names are registered in cocotb-coverage's global database under ``name.``, so
    ``name`` must be unique in the simulation (use the test's name in it).
    """

    def __init__(self, name: str, points: Mapping[str, Point], crosses: Mapping[str, Sequence[str]] = {}) -> None:
        if name in coverage.coverage_db:
            raise ValueError(f"cover group {name!r} exists already: give each test its own name")
        self.name = name
        self.points = dict(points)
        self.crosses = {c: tuple(parts) for c, parts in crosses.items()}
        items: list[Callable] = []
        for p, point in self.points.items():
            items.append(
                coverage.CoverPoint(
                    f"{name}.{p}",
                    xf=lambda f, p=p: f[p],
                    bins=[int(b) for b in point.bins],
                    bins_labels=[str(x) for x in point.labels] if point.labels else None,
                )
            )
        for c, parts in self.crosses.items():
            items.append(coverage.CoverCross(f"{name}.{c}", items=[f"{name}.{p}" for p in parts]))
        sample = _no_op
        for item in reversed(items):  # points sample first, crosses (innermost) last
            sample = item(sample)
        self._sample = sample
        self.hits: dict[str, Counter] = {k: Counter() for k in [*self.points, *self.crosses]}
        self.samples = 0

    def sample(self, features: Mapping[str, np.ndarray]) -> None:
        """Count one batch: ``features`` maps every point name to an int array (one per row)."""
        names = list(self.points)
        table = np.stack([np.asarray(features[p], dtype=np.int64) for p in names], axis=1)
        if not len(table):
            return
        rows, counts = np.unique(table, axis=0, return_counts=True)
        for row, count in zip(rows.tolist(), counts.tolist()):
            values = dict(zip(names, row))
            self._sample(values)
            for p, point in self.points.items():
                if values[p] in point.bins:
                    self.hits[p][values[p]] += count
            for c, parts in self.crosses.items():
                if all(values[p] in self.points[p].bins for p in parts):
                    self.hits[c][tuple(values[p] for p in parts)] += count
        self.samples += len(table)

    # ---- results ----
    @property
    def db(self) -> coverage.CoverItem:
        return coverage.coverage_db[self.name]

    @property
    def percent(self) -> float:
        """Share of all bins (points and crosses) hit at least once, in percent."""
        return float(self.db.cover_percentage)

    def bins(self, item: str) -> list[tuple]:
        """Every bin of a point (value,) or a cross (value, value, ...)."""
        if item in self.points:
            return [(int(b),) for b in self.points[item].bins]
        grids = [[int(b) for b in self.points[p].bins] for p in self.crosses[item]]
        return [tuple(t) for t in np.array(np.meshgrid(*grids, indexing="ij")).reshape(len(grids), -1).T.tolist()]

    def missed(self) -> dict[str, list[str]]:
        """Bins never hit, by item, as labels."""
        out = {}
        for item in self.hits:
            keys = [b if item in self.crosses else b[0] for b in self.bins(item)]
            miss = [self._label(item, k) for k in keys if self.hits[item][k] == 0]
            if miss:
                out[item] = miss
        return out

    def _label(self, item: str, key) -> str:
        if item in self.points:
            return self.points[item].label(key)
        return "x".join(self.points[p].label(v) for p, v in zip(self.crosses[item], key))

    def summary(self) -> dict:
        """Per item: bins hit and total, for the result record."""
        out = {}
        for item in self.hits:
            total = len(self.bins(item))
            out[item] = {"hit": sum(1 for v in self.hits[item].values() if v > 0), "bins": total}
        return {"percent": self.percent, "samples": self.samples, "items": out, "missed": self.missed()}

    def report(self, log: Callable[[str], None], bins: bool = True, max_cross_bins: int = 300) -> None:
        """Print coverage per item, then every bin with its exact transaction count."""
        log(f"coverage {self.name}: {self.percent:.1f}% of bins hit over {self.samples:,} transactions")
        for item in self.hits:
            n_bins = len(self.bins(item))
            hit = sum(1 for v in self.hits[item].values() if v > 0)
            log(f"  {item}: {hit}/{n_bins} bins hit")
            if bins and n_bins <= max_cross_bins:
                keys = [b if item in self.crosses else b[0] for b in self.bins(item)]
                cells = [f"{self._label(item, k)}={self.hits[item][k]}" for k in keys]
                for i in range(0, len(cells), 8):
                    log("    " + "  ".join(cells[i : i + 8]))
        for item, miss in self.missed().items():
            log(f"  MISSED {item}: {', '.join(miss)}")
