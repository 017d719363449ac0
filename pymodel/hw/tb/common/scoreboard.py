"""The scoreboard base of every DUT (multipliers and MAC array): in order, per reset epoch.

:class:`InOrderScoreboard` takes batches of accepted input beats on ``in_export``, batches of
produced output beats on ``out_export`` and one row per reset on ``reset_export`` (see
:class:`~tb.common.axis.AxisBfm`). A DUT's scoreboard supplies:

* :meth:`~InOrderScoreboard.expect`: input beats -> the finished transactions, with the
  columns to report and the expected output columns (default: ``input_columns`` of every beat
  plus :meth:`~InOrderScoreboard.predict` of them, one vectorized model call per batch; the
  MAC array turns beats into whole dot products);
* :meth:`~InOrderScoreboard.results`: output beats -> the compared ``output_columns``;
* :meth:`~InOrderScoreboard.make_model`: the model's configuration (the RTL's, from
  :meth:`~InOrderScoreboard.rtl_model`, unless a subclass makes it deliberately wrong);
* :meth:`~InOrderScoreboard.expected_latency`: for a stream DUT, the cycles from an input's
  transfer to its output's: no beat may come out sooner, a beat whose ``window`` the BFM
  marked (m_axis_tready high from its input's transfer on) must come out exactly then, and
  the shortest latency seen must be exactly that.

Its errors are those of the named checks ``sb.data``, ``sb.count``, ``sb.latency`` (and the
MAC array's ``sb.sticky``) of :mod:`tb.common.checks`.

The n-th transaction of an epoch (the stretch between two resets, ``batch.epoch``) is compared
with the n-th output of the same epoch. Keying by epoch makes the check independent of the
order in which the monitors deliver, and a reset simply ends an epoch: what it left without
an output was dropped (counted, and checked against the BFM's count of beats in flight), and
an output can never pair with an input of another epoch.

A deliberately wrong model (the runs that prove a bench can fail) is a subclass installed by
a pyuvm factory override: :class:`ModelOverride` (fields from ``MODEL_OVERRIDE``) or a
DUT-specific one such as the MAC array's exact-product scoreboard.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyuvm import uvm_analysis_port, uvm_component, uvm_subscriber

from pymodel.hw.tb.common.cfg import get_cfg
from pymodel.hw.tb.common.checks import tagged
from pymodel.hw.tb.common.sequences import ArrayItem, concat

#: Mismatches printed in full (all are counted).
MAX_REPORTED = 10


@dataclass
class Checked:
    """Compared rows, as published on the scoreboard's ``ap`` (for coverage of checked
    results): the expected transactions and the DUT's outputs, row for row."""

    epoch: int
    expected: ArrayItem
    observed: ArrayItem


class InOrderScoreboard(uvm_component):
    """Compares outputs with the expected transactions in arrival order (see the module)."""

    input_columns: tuple[str, ...] = ()
    output_columns: tuple[str, ...] = ()

    def build_phase(self) -> None:
        self.cfg = get_cfg(self)
        self.in_export = uvm_subscriber.uvm_AnalysisImp("in_export", self, self._write_inputs)
        self.out_export = uvm_subscriber.uvm_AnalysisImp("out_export", self, self._write_outputs)
        self.reset_export = uvm_subscriber.uvm_AnalysisImp("reset_export", self, self._write_reset)
        self.ap = uvm_analysis_port("ap", self)
        self.model = self.make_model()
        if self.model != self.rtl_model():
            self.logger.warning(f"the model ({self.describe()}) is not the RTL's: this run is expected to FAIL")
        self._expected: dict[int, list[ArrayItem]] = defaultdict(list)
        self._observed: dict[int, list[ArrayItem]] = defaultdict(list)
        self._resets: dict[int, int] = {}  # epoch -> beats the BFM had in flight when it ended
        self.checked = self.mismatches = self.dropped = 0
        self.latency = self.expected_latency()
        self.min_latency: int | None = None
        self.reports: list[str] = []
        self.errors: list[str] = []

    # ---- hooks ----
    def rtl_model(self) -> Any:
        """The model configuration that matches the RTL (override)."""
        return None

    def make_model(self) -> Any:
        """The model configuration the scoreboard uses: the RTL's unless overridden."""
        return self.rtl_model()

    def expected_latency(self) -> int | None:
        """In-to-out cycles of a stream DUT (None: not checked; override)."""
        return None

    def with_fields(self, model: Any, fields: dict[str, Any]) -> Any:
        """``model`` with some fields replaced (for :class:`ModelOverride`; override)."""
        raise NotImplementedError(f"{type(self).__name__} has no model fields to override")

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Expected output columns for a batch of inputs (override: call the model)."""
        raise NotImplementedError

    def expect(self, batch: ArrayItem) -> ArrayItem | None:
        """The finished transactions of a batch of input beats, with their expected outputs."""
        inputs = {c: batch[c] for c in self.input_columns}
        return ArrayItem("expected", **{**inputs, **self.predict(inputs)})

    def results(self, batch: ArrayItem) -> ArrayItem:
        """The compared columns (and what coverage needs) of a batch of output beats."""
        return ArrayItem("observed", **{c: batch[c] for c in self.output_columns})

    def on_checked(self, checked: Checked) -> None:
        """Further checks of compared rows, in order within their epoch (override)."""

    def describe(self) -> str:
        """What the model is, for messages (override)."""
        return type(self).__name__

    def mismatch_message(self, number: int, expected: dict, observed: dict) -> str:
        """The report of one mismatching row (rows as dicts of plain values)."""
        inputs = {c: expected[c] for c in self.input_columns}
        got = {c: observed[c] for c in self.output_columns}
        want = {c: expected[c] for c in self.output_columns}
        return f"MISMATCH #{number}: inputs {inputs}: rtl {got}, model {want} ({self.describe()})"

    # ---- the streams ----
    def _write_inputs(self, batch: ArrayItem) -> None:
        expected = self.expect(batch)
        if expected is not None and len(expected):
            self._expected[batch.epoch].append(expected)
            self._compare(batch.epoch)

    def _write_outputs(self, batch: ArrayItem) -> None:
        if self.latency is not None:
            lat = batch["latency"]
            self.min_latency = int(lat.min()) if self.min_latency is None else min(self.min_latency, int(lat.min()))
            if int(lat.min()) < self.latency:
                self.errors.append(tagged("sb.latency", f"a beat came out after {int(lat.min())} cycles, "
                                          f"LATENCY={self.latency}"))
            if "window" in batch:
                late = lat[(batch["window"] == 1) & (lat != self.latency)]
                if late.size:
                    self.errors.append(tagged("sb.latency", f"a beat came out after {int(late[0])} cycles with "
                                              f"m_axis_tready high since its input, LATENCY={self.latency}"))
        self._observed[batch.epoch].append(self.results(batch))
        self._compare(batch.epoch)

    def _write_reset(self, batch: ArrayItem) -> None:
        for epoch, in_flight in zip(batch["epoch"].tolist(), batch["in_flight"].tolist()):
            self._resets[epoch] = in_flight

    def _compare(self, epoch: int) -> None:
        n = min(sum(map(len, self._expected[epoch])), sum(map(len, self._observed[epoch])))
        if n == 0:
            return
        expected, self._expected[epoch] = _split(self._expected[epoch], n)
        observed, self._observed[epoch] = _split(self._observed[epoch], n)
        bad = np.zeros(n, dtype=bool)
        for c in self.output_columns:
            diff = np.asarray(expected[c]) != observed[c]
            bad |= diff.reshape(n, -1).any(axis=1)
        for i in np.flatnonzero(bad)[: max(0, MAX_REPORTED - self.mismatches)]:
            msg = self.mismatch_message(self.checked + int(i), expected.row(int(i)), observed.row(int(i)))
            self.reports.append(msg)
            self.logger.error(msg)
        self.mismatches += int(bad.sum())
        self.checked += n
        checked = Checked(epoch, expected, observed)
        self.on_checked(checked)
        self.ap.write(checked)

    # ---- verdict ----
    def check_phase(self) -> None:
        for epoch in sorted(set(self._expected) | set(self._observed)):
            left_in = sum(map(len, self._expected[epoch]))
            left_out = sum(map(len, self._observed[epoch]))
            if left_out:
                self.errors.append(tagged("sb.count", f"{left_out} outputs arrived without an input"))
            if epoch in self._resets:
                if left_in != self._resets[epoch]:
                    self.errors.append(tagged("sb.count", f"reset after epoch {epoch}: the BFM had "
                                              f"{self._resets[epoch]} results in flight, the scoreboard {left_in}"))
                self.dropped += left_in
            elif left_in:
                self.errors.append(tagged("sb.count", f"{left_in} accepted inputs never produced an output"))
        if self.checked == 0:
            self.errors.append(tagged("sb.count", "no transaction was checked"))
        if self.min_latency is not None and self.min_latency != self.latency:
            self.errors.append(tagged("sb.latency", f"shortest in-to-out latency {self.min_latency} cycles, "
                                      f"LATENCY={self.latency}"))
        if self.mismatches:
            self.errors.append(tagged("sb.data", f"{self.mismatches:,} of {self.checked:,} transactions MISMATCH "
                                      f"the model ({self.describe()})"))
        for err in self.errors:
            self.logger.error(err)
        if self.passed:
            resets = f"; {len(self._resets)} resets dropped {self.dropped} in flight" if self._resets else ""
            self.logger.info(f"{self.checked:,} transactions bit-exact to the model ({self.describe()}){resets}")

    @property
    def passed(self) -> bool:
        return not self.errors and not self.mismatches and self.checked > 0


class ModelOverride:
    """Mixin for a scoreboard class: its model with the fields of ``MODEL_OVERRIDE`` (JSON)
    replaced. A test installs ``class X(ModelOverride, DutScoreboard)`` with a factory
    override when MODEL_OVERRIDE is set (the ``fails-*`` runs of sim/regressions.py)."""

    def make_model(self) -> Any:
        fields = json.loads(os.environ.get("MODEL_OVERRIDE") or "{}")
        return self.with_fields(super().make_model(), fields)


def _split(items: list[ArrayItem], n: int) -> tuple[ArrayItem, list[ArrayItem]]:
    """The first ``n`` rows of a list of batches, and the batches left over."""
    whole = concat(items)
    head = ArrayItem("head", **{k: v[:n] for k, v in whole.cols.items()})
    rest = [ArrayItem("rest", **{k: v[n:] for k, v in whole.cols.items()})] if len(whole) > n else []
    return head, rest
