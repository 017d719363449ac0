"""Generic pyuvm components shared by every DUT's environment (TinyALU shape).

* :class:`BfmDriver` pulls items from its sequencer and hands each to the BFM.
* :class:`QueueMonitor` publishes, on an analysis port, the batches the BFM read back
  from the pins (one of the BFM's cocotb queues).
* :class:`CoverageSubscriber` turns each observed batch into features and samples a
  :class:`~tb.common.coverage.BatchCoverage`.
* :class:`StreamAgent` is the sequencer, driver and monitors of a stream BFM, and
  :class:`StreamEnv` the env around it and a scoreboard.

(The scoreboard base is :mod:`tb.common.scoreboard`.) A BFM is any object with ``async
drive(item)`` and cocotb ``Queue`` attributes of observed
:class:`~tb.common.sequences.ArrayItem` batches; it is the ``bfm`` of the env's
configuration (:mod:`tb.common.cfg`).
"""

from __future__ import annotations

import numpy as np
from pyuvm import (
    uvm_agent,
    uvm_analysis_port,
    uvm_driver,
    uvm_env,
    uvm_monitor,
    uvm_sequencer,
    uvm_subscriber,
)

from pymodel.hw.tb.common.cfg import get_cfg
from pymodel.hw.tb.common.coverage import BatchCoverage
from pymodel.hw.tb.common.sequences import ArrayItem


class BfmDriver(uvm_driver):
    """Puts every item of the sequencer on the pins through ``bfm.drive(item)``."""

    def build_phase(self) -> None:
        self.bfm = get_cfg(self).bfm

    async def run_phase(self) -> None:
        while True:
            item = await self.seq_item_port.get_next_item()
            await self.bfm.drive(item)
            self.seq_item_port.item_done()


class QueueMonitor(uvm_monitor):
    """Publishes on ``ap`` every batch the BFM puts in its queue ``queue_name``."""

    queue_name = "observed"

    def build_phase(self) -> None:
        self.ap = uvm_analysis_port("ap", self)
        self.bfm = get_cfg(self).bfm

    async def run_phase(self) -> None:
        queue = getattr(self.bfm, self.queue_name)
        while True:
            batch = await queue.get()
            self.ap.write(batch)


class CoverageSubscriber(uvm_subscriber):
    """Samples :attr:`coverage` with :meth:`features` of every batch written to it.

    Subclasses set ``self.coverage`` (a :class:`BatchCoverage`) in ``build_phase`` and
    implement :meth:`features`.
    """

    coverage: BatchCoverage

    def features(self, batch: ArrayItem) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def write(self, batch: ArrayItem) -> None:
        self.coverage.sample(self.features(batch))


class FeatureCoverage(CoverageSubscriber):
    """A coverage subscriber given its cover group and feature function directly."""

    def __init__(self, name: str, parent, coverage: BatchCoverage, features) -> None:
        super().__init__(name, parent)
        self.coverage = coverage
        self._features = features

    def features(self, batch: ArrayItem) -> dict[str, np.ndarray]:
        return self._features(batch)


class StreamAgent(uvm_agent):
    """The active agent of a stream BFM (:class:`~tb.common.axis.AxisBfm`): sequencer,
    driver, and one monitor per observation queue, whose ports are ``in_ap`` (accepted input
    beats), ``out_ap`` (output beats) and ``reset_ap`` (resets)."""

    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = BfmDriver("driver", self)
        self.monitors = {}
        for side in ("in", "out", "reset"):
            monitor = QueueMonitor(f"{side}_monitor", self)
            monitor.queue_name = f"{side}_obs"
            self.monitors[side] = monitor

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)

    @property
    def in_ap(self) -> uvm_analysis_port:
        return self.monitors["in"].ap

    @property
    def out_ap(self) -> uvm_analysis_port:
        return self.monitors["out"].ap

    @property
    def reset_ap(self) -> uvm_analysis_port:
        return self.monitors["reset"].ap


class StreamEnv(uvm_env):
    """The env of a stream DUT: a :class:`StreamAgent` and the scoreboard on its input,
    output and reset streams. The scoreboard (:attr:`scoreboard_type`) is made by the pyuvm
    factory, so a test can override it; subclasses add their coverage."""

    scoreboard_type: type

    def build_phase(self) -> None:
        self.agent = StreamAgent("agent", self)
        self.scoreboard = self.scoreboard_type.create("scoreboard", self)

    def connect_phase(self) -> None:
        self.agent.in_ap.connect(self.scoreboard.in_export)
        self.agent.out_ap.connect(self.scoreboard.out_export)
        self.agent.reset_ap.connect(self.scoreboard.reset_export)

    @property
    def seqr(self) -> uvm_sequencer:
        return self.agent.seqr
