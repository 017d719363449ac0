"""The scoreboard of mbm_mac_array: whole dot products against pymodel.core.conv.dot_int.

On the shared :class:`~tb.common.scoreboard.InOrderScoreboard`: input beats become dot
products when their tlast beat arrives (the bias is the first beat's s_axis_tuser, as the DUT
samples it; a reset drops the open one), each is predicted with :func:`dot_int` (a built-in
multiplier's formula, an imported one's own table over the network operands,
:func:`pymodel.core.multiplier.network_table`) and compared
in order with the results (LANES accumulators and overflow flags), whose latency is checked
(:attr:`MacArrayCfg.latency`: no result comes sooner, one whose tlast beat was followed by
m_axis_tready high comes exactly then, some come exactly then). Per epoch the sticky
overflow_o must be high with every result from the first saturated dot product on, and at
the end it must equal the model's.

Deliberately wrong models, installed by pyuvm factory overrides: :class:`ExactProductScoreboard`
(exact products instead of the approximate multiplier; MacArrayWrongModelTest) and
:class:`MacArrayOverrideScoreboard` (``MODEL_OVERRIDE``: MulConfig fields and/or ``acc_bits``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from pymodel.core.arith import MulConfig
from pymodel.core.conv import dot_int
from pymodel.core.multiplier import Multiplier, label, network_table
from pymodel.hw.tb.common.checks import tagged
from pymodel.hw.tb.common.scoreboard import Checked, InOrderScoreboard, ModelOverride
from pymodel.hw.tb.common.sequences import ArrayItem

#: operands of a dot product quoted in a mismatch report
QUOTED = 4
#: the columns of an input beat the scoreboard keeps
BEAT_COLUMNS = ("act", "wgt", "bias", "last", "wait")


@dataclass(frozen=True)
class ArrayModel:
    """The golden model's configuration: multiplier and accumulator width."""

    mul: Multiplier
    acc_bits: int

    def describe(self) -> str:
        return f"pymodel.core.conv.dot_int {label(self.mul)} acc_bits={self.acc_bits}"


class MacArrayScoreboard(InOrderScoreboard):
    """In-order check of every result against dot_int (see the module docstring)."""

    input_columns = ("k", "bias")
    output_columns = ("acc", "ovf")

    def build_phase(self) -> None:
        super().build_phase()
        self._open: dict[str, np.ndarray] = {}  # beats of the dot product not finished yet
        self._open_epoch = 0
        self._sticky: dict[int, int] = {}

    def rtl_model(self) -> ArrayModel:
        return ArrayModel(self.cfg.rtl, self.cfg.acc_w)

    def expected_latency(self) -> int:
        return self.cfg.latency

    def with_fields(self, model: ArrayModel, fields: dict) -> ArrayModel:
        fields = dict(fields)
        acc_bits = fields.pop("acc_bits", model.acc_bits)
        return ArrayModel(dataclasses.replace(model.mul, **fields), acc_bits)

    def describe(self) -> str:
        return self.model.describe()

    def expect(self, batch: ArrayItem) -> ArrayItem | None:
        if batch.epoch != self._open_epoch:  # a reset cut the open dot product
            self._open, self._open_epoch = {}, batch.epoch
        beats = {c: np.concatenate([self._open[c], batch[c]]) if self._open else batch[c] for c in BEAT_COLUMNS}
        ends = np.flatnonzero(beats["last"]) + 1
        done = int(ends[-1]) if len(ends) else 0
        self._open = {c: v[done:] for c, v in beats.items()} if done < len(beats["last"]) else {}
        return self._dots(beats, np.concatenate([[0], ends])) if done else None

    def _dots(self, beats: dict[str, np.ndarray], bounds: np.ndarray) -> ArrayItem:
        lanes, m = self.cfg.lanes, len(bounds) - 1
        mult = network_table(self.model.mul)
        rows = {c: [] for c in ("k", "waited", "bias", "act4", "wgt4", "acc", "ovf")}
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            act, wgt, bias = beats["act"][lo:hi], beats["wgt"][lo:hi], beats["bias"][lo]
            acc, ovf = dot_int(torch.from_numpy(act)[None], torch.from_numpy(wgt.T.copy()), torch.from_numpy(bias),
                               mult, self.model.acc_bits)
            quoted = min(QUOTED, hi - lo)
            act4, wgt4 = np.zeros(QUOTED, dtype=np.int64), np.zeros((QUOTED, lanes), dtype=np.int64)
            act4[:quoted], wgt4[:quoted] = act[:quoted], wgt[:quoted]
            for c, v in (("k", hi - lo), ("waited", int((beats["wait"][lo:hi] > 0).any())), ("bias", bias),
                         ("act4", act4), ("wgt4", wgt4), ("acc", acc[0].numpy()),
                         ("ovf", ovf[0].numpy().astype(np.int64))):
                rows[c].append(v)
        return ArrayItem("dots", **{c: np.asarray(v, dtype=np.int64).reshape(m, *np.shape(v[0])) for c, v in rows.items()})

    def results(self, batch: ArrayItem) -> ArrayItem:
        return ArrayItem("results", **{c: batch[c] for c in ("acc", "ovf", "stall", "overflow_o")})

    def mismatch_message(self, number: int, expected: dict, observed: dict) -> str:
        bad = [lane for lane in range(self.cfg.lanes)
               if (expected["acc"][lane], expected["ovf"][lane]) != (observed["acc"][lane], observed["ovf"][lane])]
        lane, quoted = bad[0], min(QUOTED, expected["k"])
        return (f"MISMATCH dot #{number} K={expected['k']} lane {lane}: bias {expected['bias'][lane]}, "
                f"act[:4] {expected['act4'][:quoted]}, w[:4] {[w[lane] for w in expected['wgt4'][:quoted]]}: rtl acc "
                f"{observed['acc'][lane]} ovf {observed['ovf'][lane]}, model acc {expected['acc'][lane]} ovf "
                f"{expected['ovf'][lane]} ({self.describe()})")

    def on_checked(self, checked: Checked) -> None:
        """overflow_o with every result: high from the epoch's first saturated dot product on."""
        flagged = checked.expected["ovf"].any(axis=1).astype(np.int64)
        sticky = np.maximum.accumulate(np.concatenate([[self._sticky.get(checked.epoch, 0)], flagged]))[1:]
        self._sticky[checked.epoch] = int(sticky[-1])
        low = np.flatnonzero(sticky & (checked.observed["overflow_o"] == 0))
        if len(low):
            self.errors.append(tagged("sb.sticky", f"result #{self.checked - len(flagged) + int(low[0])}: overflow_o "
                                      "low after a saturated dot product"))

    def check_phase(self) -> None:
        final = self.cfg.bfm.final.get("overflow_o")
        model = self._sticky.get(self.cfg.bfm.epoch, 0)
        if final is not None and final != model:
            self.errors.append(tagged("sb.sticky", f"overflow_o={final} at the end, model says {model}"))
        super().check_phase()


class ExactProductScoreboard(MacArrayScoreboard):
    """Scores the approximate RTL (an imported module's included) against exact products,
    and the exact RTL (EXACT=1) against MBM: a model that must fail (not Mitchell, which
    equals MBM at N=4 where the correction C is 0)."""

    def make_model(self) -> ArrayModel:
        rtl = self.rtl_model()
        if not isinstance(rtl.mul, MulConfig):
            return ArrayModel(MulConfig("exact", rtl.mul.bits), rtl.acc_bits)
        wrong = "mbm" if rtl.mul.mult == "exact" else "exact"
        return ArrayModel(dataclasses.replace(rtl.mul, mult=wrong, trunc=0), rtl.acc_bits)


class MacArrayOverrideScoreboard(ModelOverride, MacArrayScoreboard):
    """MacArrayScoreboard with the model fields of MODEL_OVERRIDE (a run that must fail)."""
