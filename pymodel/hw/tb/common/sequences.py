"""Sequence items and the random, corner and exhaustive sequences, batched.

A transaction is one row of named integer columns (for a multiplier: ``a`` and ``b``).
Items carry a batch of rows as numpy arrays (:class:`ArrayItem`) so that the sequencer
handshake, the scoreboard's model call and the coverage sampling happen once per batch,
not once per pair; the BFM still puts every row on the pins on its own.

An :class:`OperandSpace` says which values each column may take (an inclusive range) and
which are corners. The three sequences walk it:

* :class:`RandomSeq`: ``count`` rows, each column uniform over its range (seeded generator);
* :class:`CornerSeq`: every combination of the columns' corner values;
* :class:`ExhaustiveSeq`: every combination of every value, in row-major order;
* :class:`ResetSeq`: short random bursts, each cut by a reset (stream DUTs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from pyuvm import uvm_sequence, uvm_sequence_item

#: Rows per item unless a sequence is told otherwise.
DEFAULT_BATCH = 4096


class ArrayItem(uvm_sequence_item):
    """A batch of transactions: named integer columns of equal length (int64 arrays; a
    column may have more axes, e.g. (rows, lanes)). ``epoch``: the number of resets before
    these rows were observed (set by the BFM; see tb/common/scoreboard.py)."""

    epoch = 0

    def __init__(self, name: str = "item", **columns: Sequence[int] | np.ndarray) -> None:
        super().__init__(name)
        self.cols = {k: np.asarray(v, dtype=np.int64) for k, v in columns.items()}
        lengths = {len(v) for v in self.cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"{name}: columns of different lengths {sorted(lengths)}")

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0

    def __getitem__(self, column: str) -> np.ndarray:
        return self.cols[column]

    def __contains__(self, column: str) -> bool:
        return column in self.cols

    def row(self, i: int) -> dict[str, int | list]:
        """Row ``i`` as plain ints (lists for a column with more axes), for messages."""
        return {k: v[i].tolist() for k, v in self.cols.items()}

    def __str__(self) -> str:
        first = self.row(0) if len(self) else {}
        return f"{self.get_name()}: {len(self)} rows, first {first}"


def concat(items: Sequence[ArrayItem], name: str = "batch") -> ArrayItem:
    """One item holding the rows of ``items`` in order (columns common to all of them)."""
    if not items:
        return ArrayItem(name)
    keys = [k for k in items[0].cols if all(k in it for it in items)]
    return ArrayItem(name, **{k: np.concatenate([it[k] for it in items]) for k in keys})


@dataclass(frozen=True)
class OperandSpace:
    """Legal values per column: inclusive ``ranges`` and the ``corners`` worth crossing."""

    ranges: Mapping[str, tuple[int, int]]
    corners: Mapping[str, Sequence[int]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.ranges)

    @property
    def size(self) -> int:
        """Number of distinct rows (the length of the exhaustive sequence)."""
        return math.prod(hi - lo + 1 for lo, hi in self.ranges.values())

    def corner_rows(self) -> int:
        """Number of rows of the corner sequence."""
        return math.prod(
            len(self.corners[c]) if c in self.corners else hi - lo + 1 for c, (lo, hi) in self.ranges.items()
        )


Extra = Callable[[int], Mapping[str, np.ndarray]]


class BatchSequence(uvm_sequence):
    """Base: sends the batches of :meth:`batches` as :class:`ArrayItem` items.

    extra: called with a batch's row count, returns more columns for it (for example a
    random ``last`` flag of a stream), so the same sequences serve every DUT.
    """

    def __init__(self, name: str, space: OperandSpace, batch: int = DEFAULT_BATCH, extra: Extra | None = None) -> None:
        super().__init__(name)
        self.space = space
        self.batch = batch
        self.extra = extra

    def batches(self) -> Iterator[dict[str, np.ndarray]]:
        raise NotImplementedError

    def make_item(self, name: str, cols: dict[str, np.ndarray]) -> ArrayItem:
        """The item of one batch (override to set more than its columns)."""
        return ArrayItem(name, **cols)

    async def body(self) -> None:
        for i, cols in enumerate(self.batches()):
            if self.extra is not None:
                cols = {**cols, **self.extra(len(next(iter(cols.values()))))}
            item = self.make_item(f"{self.get_name()}[{i}]", cols)
            await self.start_item(item)
            await self.finish_item(item)


class RandomSeq(BatchSequence):
    """``count`` rows, each column uniform over its range, from the generator ``rng``."""

    def __init__(
        self,
        name: str,
        space: OperandSpace,
        count: int,
        rng: np.random.Generator,
        batch: int = DEFAULT_BATCH,
        extra: Extra | None = None,
    ) -> None:
        super().__init__(name, space, batch, extra)
        self.count = count
        self.rng = rng

    def batches(self) -> Iterator[dict[str, np.ndarray]]:
        for start in range(0, self.count, self.batch):
            n = min(self.batch, self.count - start)
            yield {c: self.rng.integers(lo, hi, n, endpoint=True) for c, (lo, hi) in self.space.ranges.items()}


class ResetSeq(BatchSequence):
    """``count`` random bursts of 1..``max_len`` rows, each cut by a reset after a random
    number of its rows (all of them included, so outputs are in flight): an item's
    ``reset_after`` (see :class:`~tb.common.axis.AxisBfm`)."""

    def __init__(
        self,
        name: str,
        space: OperandSpace,
        count: int,
        max_len: int,
        rng: np.random.Generator,
        extra: Extra | None = None,
    ) -> None:
        super().__init__(name, space, max_len, extra)
        self.count, self.rng = count, rng

    def batches(self) -> Iterator[dict[str, np.ndarray]]:
        for _ in range(self.count):
            n = int(self.rng.integers(1, self.batch, endpoint=True))
            yield {c: self.rng.integers(lo, hi, n, endpoint=True) for c, (lo, hi) in self.space.ranges.items()}

    def make_item(self, name: str, cols: dict[str, np.ndarray]) -> ArrayItem:
        item = super().make_item(name, cols)
        item.reset_after = int(self.rng.integers(1, len(item), endpoint=True))
        return item


class CornerSeq(BatchSequence):
    """Every combination of the corner values (a column without corners uses its range)."""

    def batches(self) -> Iterator[dict[str, np.ndarray]]:
        values = [
            np.asarray(self.space.corners.get(c, range(lo, hi + 1)), dtype=np.int64)
            for c, (lo, hi) in self.space.ranges.items()
        ]
        yield from _product_batches(self.space.columns, values, self.batch)


class ExhaustiveSeq(BatchSequence):
    """Every row of the space, in row-major order (the first column changes slowest)."""

    def batches(self) -> Iterator[dict[str, np.ndarray]]:
        values = [np.arange(lo, hi + 1, dtype=np.int64) for lo, hi in self.space.ranges.values()]
        yield from _product_batches(self.space.columns, values, self.batch)


def _product_batches(
    columns: list[str], values: list[np.ndarray], batch: int
) -> Iterator[dict[str, np.ndarray]]:
    shape = tuple(len(v) for v in values)
    total = math.prod(shape)
    for start in range(0, total, batch):
        idx = np.unravel_index(np.arange(start, min(start + batch, total)), shape)
        yield {c: v[i] for c, v, i in zip(columns, values, idx)}


__all__ = [
    "ArrayItem",
    "BatchSequence",
    "CornerSeq",
    "DEFAULT_BATCH",
    "ExhaustiveSeq",
    "OperandSpace",
    "RandomSeq",
    "ResetSeq",
    "concat",
]
