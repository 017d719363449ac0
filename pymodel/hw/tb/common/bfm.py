"""Bus functional model for combinational DUTs: drive a row, settle, read every pin back.

The BFM owns the pins (as in pyuvm's TinyALU). :meth:`CombBfm.drive` applies the rows of
an item one after another in zero-delay steps of :data:`SETTLE_NS` and, after each step,
reads back the input pins AND the output pins; a whole item's readings are queued as one
batch on :attr:`CombBfm.observed` for the monitor. What is checked is therefore what was on
the pins, not what the sequence asked for.

Subclasses translate between transaction values and pin words with :meth:`encode` and
:meth:`decode` (for example sign-magnitude operands, two's-complement products).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from cocotb.handle import LogicArrayObject
from cocotb.queue import Queue
from cocotb.triggers import Timer

from pymodel.hw.tb.common.sequences import ArrayItem

SETTLE_NS = 1


class CombBfm:
    """Drives ``inputs`` (column -> pin handle) and samples them and ``outputs`` per row."""

    def __init__(self, inputs: Mapping[str, LogicArrayObject], outputs: Mapping[str, LogicArrayObject]) -> None:
        self.inputs = dict(inputs)
        self.outputs = dict(outputs)
        self.observed: Queue[ArrayItem] = Queue()
        self.errors: list[str] = []

    def encode(self, item: ArrayItem) -> dict[str, np.ndarray]:
        """Pin words per input column for the rows of ``item`` (default: the values)."""
        return {c: item[c] for c in self.inputs}

    def decode(self, pins: dict[str, np.ndarray]) -> ArrayItem:
        """The observed batch from the pin words read back (default: as they are)."""
        return ArrayItem("observed", **pins)

    async def start(self) -> None:
        """Nothing to reset; present so every BFM starts the same way."""

    async def drive(self, item: ArrayItem) -> None:
        words = self.encode(item)
        rows = zip(*(words[c].tolist() for c in self.inputs))
        drive = list(self.inputs.values())
        sample = [*self.inputs.values(), *self.outputs.values()]
        settle = Timer(SETTLE_NS, "ns")
        read: list[list[int]] = []
        for row in rows:
            for handle, word in zip(drive, row):
                handle.value = word
            await settle
            read.append([handle.value.to_unsigned() for handle in sample])
        columns = np.asarray(read, dtype=np.int64).reshape(len(read), len(sample)).T
        self.observed.put_nowait(self.decode(dict(zip([*self.inputs, *self.outputs], columns))))

    async def drain(self) -> None:
        """Return once the monitor has taken every observed batch."""
        while not self.observed.empty():
            await Timer(SETTLE_NS, "ns")
