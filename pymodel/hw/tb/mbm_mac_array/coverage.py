"""Functional coverage of mbm_mac_array (its ``<ip>_env_cov``), taken on checked results.

Cover groups (one set per test): ``dot`` (dot-product length class, input waits, output
backpressure), ``lane`` (per-lane saturation: none / high / low / flagged but recovered, and
bias class: zero / positive / negative / at a bound) and ``reset`` (early: fewer than four
beats into a dot product, late).
"""

from __future__ import annotations

import numpy as np
from pyuvm import uvm_component, uvm_subscriber

from pymodel.core.conv import acc_range
from pymodel.hw.tb.common.cfg import get_cfg
from pymodel.hw.tb.common.coverage import BatchCoverage, Point
from pymodel.hw.tb.common.scoreboard import Checked
from pymodel.hw.tb.common.sequences import ArrayItem

#: Length classes of the cover point "length" (lower bounds).
LENGTH_BINS = (1, 2, 10, 100, 1000, 10000)
#: A reset this many beats or more into a dot product is "late".
LATE_RESET = 4


def array_coverage(name: str) -> tuple[BatchCoverage, BatchCoverage, BatchCoverage]:
    """Cover groups: per dot product, per lane, and resets."""
    yes_no = [0, 1]
    dots = BatchCoverage(f"{name}.dot", {
        "length": Point(range(len(LENGTH_BINS)), ["1", "2-9", "10-99", "100-999", "1000-9999", "10000+"]),
        "in_wait": Point(yes_no, ["no_input_stall", "input_stalled"]),
        "backpressure": Point(yes_no, ["taken_at_once", "held_by_backpressure"]),
    })
    lanes = BatchCoverage(f"{name}.lane", {
        "saturation": Point([0, 1, 2, 3], ["none", "high", "low", "flagged_recovered"]),
        "bias": Point([0, 1, 2, 3], ["zero", "positive", "negative", "at_bound"]),
    })
    resets = BatchCoverage(f"{name}.reset", {"reset": Point(yes_no, ["early_in_dot", "late_in_dot"])})
    return dots, lanes, resets


class MacArrayCoverage(uvm_component):
    """Samples the cover groups from the scoreboard's checked rows (``checked_export``) and
    the BFM's resets (``reset_export``)."""

    def build_phase(self) -> None:
        cfg = get_cfg(self)
        self.lo, self.hi = acc_range(cfg.acc_w)
        self.dots, self.lanes, self.resets = array_coverage(cfg.cover_name)
        self.checked_export = uvm_subscriber.uvm_AnalysisImp("checked_export", self, self._write_checked)
        self.reset_export = uvm_subscriber.uvm_AnalysisImp("reset_export", self, self._write_reset)

    def _write_reset(self, batch: ArrayItem) -> None:
        self.resets.sample({"reset": (batch["beats_into_packet"] >= LATE_RESET).astype(np.int64)})

    def _write_checked(self, checked: Checked) -> None:
        exp, obs = checked.expected, checked.observed
        self.dots.sample({
            "length": np.searchsorted(LENGTH_BINS, exp["k"], side="right") - 1,
            "in_wait": exp["waited"],
            "backpressure": (obs["stall"] > 0).astype(np.int64),
        })
        lo, hi = self.lo, self.hi
        acc, ovf, bias = obs["acc"], obs["ovf"], exp["bias"]
        sat = np.where(ovf == 0, 0, np.where(acc == hi, 1, np.where(acc == lo, 2, 3)))
        bias_class = np.where((bias == lo) | (bias == hi), 3, np.where(bias == 0, 0, np.where(bias > 0, 1, 2)))
        self.lanes.sample({"saturation": sat.ravel(), "bias": bias_class.ravel()})

    @property
    def groups(self) -> list[BatchCoverage]:
        return [self.dots, self.lanes, self.resets]
