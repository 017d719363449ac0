"""Generic pyuvm components shared by every DUT's environment (TinyALU shape).

* :class:`BfmDriver` pulls items from its sequencer and hands each to the BFM.
* :class:`QueueMonitor` publishes, on an analysis port, the batches the BFM read back
  from the pins (one of the BFM's cocotb queues).
* :class:`InOrderScoreboard` pairs accepted inputs with produced outputs in order, asks
  :meth:`~InOrderScoreboard.predict` (the golden model, vectorized) for the expected
  outputs, and reports the first mismatches with their inputs and both results.
* :class:`CoverageSubscriber` turns each observed batch into features and samples a
  :class:`~tb.common.coverage.BatchCoverage`.

A BFM is any object with ``async drive(item)`` and cocotb ``Queue`` attributes of
observed :class:`~tb.common.sequences.ArrayItem` batches; it is shared through the
ConfigDB under the key ``"BFM"``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pyuvm import ConfigDB, uvm_analysis_port, uvm_component, uvm_driver, uvm_monitor, uvm_subscriber

from pymodel.hw.tb.common.coverage import BatchCoverage
from pymodel.hw.tb.common.sequences import ArrayItem, concat

#: Mismatches printed in full (all are counted).
MAX_REPORTED = 10


class BfmDriver(uvm_driver):
    """Puts every item of the sequencer on the pins through ``bfm.drive(item)``."""

    def build_phase(self) -> None:
        self.bfm = ConfigDB().get(self, "", "BFM")

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
        self.bfm = ConfigDB().get(self, "", "BFM")

    async def run_phase(self) -> None:
        queue = getattr(self.bfm, self.queue_name)
        while True:
            batch = await queue.get()
            self.ap.write(batch)


class InOrderScoreboard(uvm_component):
    """Compares outputs with ``predict(inputs)`` in arrival order, batch by batch.

    ``in_export`` takes batches holding the :attr:`input_columns`, ``out_export`` batches
    holding the :attr:`output_columns`; one monitor that sees both (a combinational DUT)
    is simply connected to both. Checking happens as data arrives, so memory stays bounded
    in a long soak; :meth:`check_phase` adds what is left unmatched and logs the verdict.
    """

    input_columns: tuple[str, ...] = ()
    output_columns: tuple[str, ...] = ()

    def build_phase(self) -> None:
        self.in_export = uvm_subscriber.uvm_AnalysisImp("in_export", self, self._write_inputs)
        self.out_export = uvm_subscriber.uvm_AnalysisImp("out_export", self, self._write_outputs)
        self._inputs: list[ArrayItem] = []
        self._outputs: list[ArrayItem] = []
        self.checked = 0
        self.mismatches = 0
        self.reports: list[str] = []
        self.errors: list[str] = []

    def predict(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Expected output columns for a batch of inputs (override: call the model)."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the model is, for messages (override)."""
        return type(self).__name__

    def _write_inputs(self, batch: ArrayItem) -> None:
        self._inputs.append(ArrayItem("in", **{c: batch[c] for c in self.input_columns}))
        self._compare()

    def _write_outputs(self, batch: ArrayItem) -> None:
        self._outputs.append(ArrayItem("out", **{c: batch[c] for c in self.output_columns}))
        self._compare()

    def _compare(self) -> None:
        n_in = sum(map(len, self._inputs))
        n_out = sum(map(len, self._outputs))
        n = min(n_in, n_out)
        if n == 0:
            return
        inputs, self._inputs = _split(self._inputs, n)
        outputs, self._outputs = _split(self._outputs, n)
        expected = self.predict(inputs.cols)
        bad = np.zeros(n, dtype=bool)
        for c in self.output_columns:
            bad |= np.asarray(expected[c]) != outputs[c]
        for i in np.flatnonzero(bad)[: max(0, MAX_REPORTED - self.mismatches)]:
            row = inputs.row(int(i))
            got = outputs.row(int(i))
            want = {c: int(expected[c][i]) for c in self.output_columns}
            msg = (
                f"MISMATCH #{self.checked + int(i)}: inputs {row}: rtl {got}, model {want} "
                f"({self.describe()})"
            )
            self.reports.append(msg)
            self.logger.error(msg)
        self.mismatches += int(bad.sum())
        self.checked += n

    def check_phase(self) -> None:
        left_in = sum(map(len, self._inputs))
        left_out = sum(map(len, self._outputs))
        if left_in:
            self.errors.append(f"{left_in} accepted inputs never produced an output")
        if left_out:
            self.errors.append(f"{left_out} outputs arrived without an input")
        if self.checked == 0:
            self.errors.append("no transaction was checked")
        if self.mismatches:
            self.errors.append(f"{self.mismatches:,} of {self.checked:,} transactions MISMATCH the model ({self.describe()})")
        for err in self.errors:
            self.logger.error(err)
        if self.passed:
            self.logger.info(f"{self.checked:,} transactions bit-exact to the model ({self.describe()})")

    @property
    def passed(self) -> bool:
        return not self.errors and not self.mismatches and self.checked > 0


def _split(items: list[ArrayItem], n: int) -> tuple[ArrayItem, list[ArrayItem]]:
    """The first ``n`` rows of a list of batches, and the batches left over."""
    whole = concat(items)
    head = ArrayItem("head", **{k: v[:n] for k, v in whole.cols.items()})
    rest = [ArrayItem("rest", **{k: v[n:] for k, v in whole.cols.items()})] if len(whole) > n else []
    return head, rest


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
