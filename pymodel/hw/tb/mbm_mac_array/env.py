"""pyuvm environment of mbm_mac_array (LANES approximate MAC lanes, AXI-Stream in and out).

Transactions are whole dot products (:class:`DotItem`): K activations, a (K, LANES) weight
block and LANES biases, optionally with a reset asserted after ``reset_at`` of its beats.
The BFM (:class:`MacArrayBfm`) owns the pins: one clocked coroutine drives the beats with
random input stalls and output backpressure (the rotating profiles of tb/common/axis.py),
asserts reset in the middle of a dot product when told, and reads back what the DUT really
took (act, weights, and the bias on a dot product's first beat) and produced (LANES
accumulators, their overflow flags, the sticky overflow_o). Observations go to the
monitor in order: :class:`DotObs`, :class:`ResultObs`, :class:`ResetObs`, :class:`EndObs`.

The scoreboard predicts each dot product with :func:`pymodel.core.conv.dot_int` (configuration
from the HDL parameters; ``MODEL_OVERRIDE``, JSON of MulConfig fields and/or ``acc_bits``,
or a test's ``wrong_model`` makes it deliberately wrong to prove the bench fails), compares results in order, drops
the expectations a reset destroyed (checked against the BFM's count of results in flight)
and checks overflow_o. Coverage is taken on checked results: dot-product length class,
per-lane saturation (none / high / low / flagged but recovered), bias class, input waits,
output backpressure, and resets (early / late in a dot product).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import deque
from dataclasses import dataclass

import cocotb
import numpy as np
import torch
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.triggers import ClockCycles, Event, FallingEdge, ReadOnly
from pyuvm import (
    ConfigDB,
    uvm_analysis_port,
    uvm_component,
    uvm_env,
    uvm_sequence,
    uvm_sequence_item,
    uvm_sequencer,
    uvm_subscriber,
)

from pymodel.core.arith import MulConfig, mul_signed, sm_decode, sm_encode, tc_decode
from pymodel.core.conv import acc_range, dot_int
from pymodel.hw.tb.common.axis import STALL_PROFILES
from pymodel.hw.tb.common.base_test import BaseTest
from pymodel.hw.tb.common.components import MAX_REPORTED, BfmDriver, QueueMonitor
from pymodel.hw.tb.common.coverage import BatchCoverage, Point

#: The seed network's longest dot product (decoder.conv2: 1280 channels x 3x3).
MAX_K = 11520
#: Length classes of the coverage point "length" (lower bounds).
LENGTH_BINS = (1, 2, 10, 100, 1000, 10000)


# ---- transactions ----
class DotItem(uvm_sequence_item):
    """One dot product per lane: act (K,), wgt (K, LANES), bias (LANES,) as values;
    reset_at > 0: assert reset after that many of its beats were taken (the rest is dropped)."""

    def __init__(self, name: str, act: np.ndarray, wgt: np.ndarray, bias: np.ndarray, reset_at: int = 0) -> None:
        super().__init__(name)
        self.act, self.wgt, self.bias, self.reset_at = act, wgt, bias, reset_at

    def __str__(self) -> str:
        return f"{self.get_name()}: K={len(self.act)} bias={self.bias.tolist()} reset_at={self.reset_at}"


@dataclass
class DotObs:
    """A dot product the DUT took completely (values read back from the pins)."""

    act: np.ndarray
    wgt: np.ndarray
    bias: np.ndarray
    waited: bool


@dataclass
class ResultObs:
    acc: np.ndarray
    ovf: np.ndarray
    overflow_pin: int
    stalled: bool


@dataclass
class ResetObs:
    beats_into_dot: int
    in_flight: int


@dataclass
class EndObs:
    overflow_pin: int


# ---- the pins ----
def sm_words(values: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """Sign-magnitude pin words; a zero gets a random sign bit (negative zero exercised)."""
    return sm_encode(values, bits, zero_sign=rng.random(np.shape(values)) < 0.5)


def join_fields(fields: np.ndarray, width: int) -> list[int]:
    """Rows of non-negative field words (lane 0 first) as one Python int per row."""
    out = []
    for row in fields.tolist():
        word = 0
        for v in reversed(row):
            word = (word << width) | v
        out.append(word)
    return out


def split_fields(word: int, width: int, count: int) -> list[int]:
    mask = (1 << width) - 1
    return [(word >> (i * width)) & mask for i in range(count)]


class MacArrayBfm:
    """Source, sink, reset and monitors of mbm_mac_array (see the module docstring)."""

    def __init__(self, dut, cfg: MulConfig, lanes: int, acc_w: int, rng: np.random.Generator,
                 profile_cycles: int = 400, backlog: int = 4096) -> None:
        self.dut, self.cfg, self.lanes, self.acc_w, self.rng = dut, cfg, lanes, acc_w, rng
        self.profile_cycles, self.backlog = profile_cycles, backlog
        self.observed: Queue = Queue()
        self.errors: list[str] = []
        self.cycle = 0
        self.beats_in = self.results = self.in_flight = 0
        self._pending: deque = deque()
        self._offered: tuple | None = None
        self._space = Event()
        self._dot: list[tuple[int, int]] = []  # (act word, wgt word) taken for the open dot product
        self._dot_bias = 0
        self._dot_waited = False
        self._reset_cycles = 0
        self._check_widths()

    def _check_widths(self) -> None:
        d, n1 = self.dut, self.cfg.bits + 1
        want = (n1, self.lanes * n1, self.lanes * self.acc_w, self.lanes * self.acc_w, self.lanes)
        got = (len(d.s_axis_act), len(d.s_axis_wgt), len(d.s_axis_bias), len(d.m_axis_tdata), len(d.m_axis_tuser))
        if got != want:
            raise RuntimeError(f"mbm_mac_array port widths {got}, parameters need {want}: stale build?")

    # ---- life cycle ----
    async def start(self) -> None:
        d = self.dut
        cocotb.start_soon(Clock(d.clk, 10, "ns").start())
        d.rst.value = 1
        for sig in (d.s_axis_tvalid, d.s_axis_tlast, d.s_axis_act, d.s_axis_wgt, d.s_axis_bias, d.m_axis_tready):
            sig.value = 0
        await ClockCycles(d.clk, 3)
        await FallingEdge(d.clk)
        d.rst.value = 0
        cocotb.start_soon(self._run())

    async def drive(self, item: DotItem) -> None:
        """Queue the item's beats (and reset marker); returns when the backlog is short."""
        n = self.cfg.bits
        k = len(item.act)
        acts = sm_words(item.act, n, self.rng).tolist()
        wgts = join_fields(sm_words(item.wgt, n, self.rng), n + 1)
        bias = join_fields((item.bias & ((1 << self.acc_w) - 1))[None, :], self.acc_w)[0]
        stop = item.reset_at if item.reset_at > 0 else k
        for i in range(stop):
            self._pending.append((acts[i], wgts[i], bias, int(i == k - 1)))
        if item.reset_at > 0:
            self._pending.append(None)
        while len(self._pending) > self.backlog:
            self._space.clear()
            await self._space.wait()

    async def drain(self) -> None:
        """Return once every beat went in and every finished dot product came out."""
        clk = self.dut.clk
        limit = self.cycle + 50 * (len(self._pending) + 10) + 10_000
        while self._pending or self._offered or self.in_flight or self._reset_cycles:
            if self.cycle > limit:
                self.errors.append(f"timeout: {self.in_flight} results never came out, {len(self._pending)} beats unsent")
                break
            await ClockCycles(clk, 8)
        await ClockCycles(clk, 4)
        self.observed.put_nowait(EndObs(int(self.dut.overflow_o.value)))
        while not self.observed.empty():
            await ClockCycles(clk, 1)

    # ---- the bus ----
    async def _run(self) -> None:
        d = self.dut
        fall, read_only = FallingEdge(d.clk), ReadOnly()
        waited = stalled = False
        draws = iter(())
        while True:
            await fall
            p_in, p_out = STALL_PROFILES[(self.cycle // self.profile_cycles) % len(STALL_PROFILES)]
            try:
                r_in, r_out = next(draws)
            except StopIteration:
                draws = iter(self.rng.random((4096, 2)).tolist())
                r_in, r_out = next(draws)
            self.cycle += 1
            if self._reset_cycles:
                self._reset_cycles -= 1
                d.rst.value = int(self._reset_cycles > 0)
                continue
            if self._offered is None and self._pending and self._pending[0] is None:
                self._pending.popleft()
                self._start_reset()
                continue
            if self._offered is None and self._pending and r_in >= p_in:
                self._offered = self._pending.popleft()
                if len(self._pending) <= self.backlog // 2:
                    self._space.set()
            if self._offered is not None:
                act, wgt, bias, last = self._offered
                d.s_axis_act.value, d.s_axis_wgt.value, d.s_axis_bias.value = act, wgt, bias
                d.s_axis_tlast.value = last
                d.s_axis_tvalid.value = 1
            else:
                d.s_axis_tvalid.value = 0
            sink_ready = int(r_out >= p_out)
            d.m_axis_tready.value = sink_ready

            await read_only
            s_ready = int(d.s_axis_tready.value)
            if sink_ready and not s_ready:
                self._error(f"cycle {self.cycle}: s_axis_tready low while m_axis_tready is high (not full throughput)")
            if self._offered is not None:
                if s_ready:
                    self._take_beat()
                else:
                    waited = True
            if int(d.m_axis_tvalid.value):
                if sink_ready:
                    self._take_result(stalled)
                    stalled = False
                else:
                    stalled = True
            self._dot_waited |= waited
            waited = False

    def _start_reset(self) -> None:
        d = self.dut
        d.rst.value = 1
        d.s_axis_tvalid.value = 0
        d.m_axis_tready.value = 0
        self._reset_cycles = 3  # rst high for two rising edges
        self.observed.put_nowait(ResetObs(len(self._dot), self.in_flight))
        self._dot, self.in_flight = [], 0

    def _take_beat(self) -> None:
        d = self.dut
        if not self._dot:
            self._dot_bias = d.s_axis_bias.value.to_unsigned()
        self._dot.append((d.s_axis_act.value.to_unsigned(), d.s_axis_wgt.value.to_unsigned()))
        self.beats_in += 1
        last = int(d.s_axis_tlast.value)
        self._offered = None
        if last:
            self._publish_dot()

    def _publish_dot(self) -> None:
        n, lanes = self.cfg.bits, self.lanes
        act = np.array([sm_decode(a, n) for a, _ in self._dot], dtype=np.int64)
        wgt = np.array([[sm_decode(w, n) for w in split_fields(ww, n + 1, lanes)] for _, ww in self._dot],
                       dtype=np.int64).reshape(len(self._dot), lanes)
        bias = np.array([tc_decode(b, self.acc_w) for b in split_fields(self._dot_bias, self.acc_w, lanes)])
        self.observed.put_nowait(DotObs(act, wgt, bias, self._dot_waited))
        self._dot, self._dot_waited = [], False
        self.in_flight += 1

    def _take_result(self, stalled: bool) -> None:
        d = self.dut
        acc = [tc_decode(v, self.acc_w) for v in split_fields(d.m_axis_tdata.value.to_unsigned(), self.acc_w, self.lanes)]
        ovf = split_fields(d.m_axis_tuser.value.to_unsigned(), 1, self.lanes)
        if self.in_flight == 0:
            self._error(f"cycle {self.cycle}: a result came out with no finished dot product in flight")
        self.in_flight -= 1
        self.results += 1
        self.observed.put_nowait(ResultObs(np.array(acc), np.array(ovf), int(d.overflow_o.value), stalled))

    def _error(self, msg: str) -> None:
        if len(self.errors) < 20:
            self.errors.append(msg)
            self.dut._log.error(msg)


# ---- model, scoreboard, coverage ----
def model_config(params: dict[str, int], wrong_mult: bool = False) -> tuple[MulConfig, int]:
    """(MulConfig, acc_bits) of the scoreboard: the RTL's unless MODEL_OVERRIDE changes them
    (or ``wrong_mult`` scores the approximate RTL against exact products: a test that must
    fail; not Mitchell, which equals MBM at N=4 where the correction C is 0)."""
    cfg, acc = MulConfig.from_rtl_parameters(params), params["ACC_W"]
    override = json.loads(os.environ.get("MODEL_OVERRIDE") or "{}")
    if wrong_mult:
        override.update(mult="exact", trunc=0)
    acc = override.pop("acc_bits", acc)
    return dataclasses.replace(cfg, **override), acc


@dataclass
class Checked:
    """A dot product and its result, as the coverage sees it."""

    dot: DotObs
    result: ResultObs


class MacArrayScoreboard(uvm_component):
    """In-order check of every result against dot_int; resets drop what they destroyed."""

    def build_phase(self) -> None:
        self.export = uvm_subscriber.uvm_AnalysisImp("export", self, self.write)
        self.ap = uvm_analysis_port("ap", self)
        self.cfg, self.acc_bits = ConfigDB().get(self, "", "MODEL")
        self.expected: deque[tuple[DotObs, np.ndarray, np.ndarray]] = deque()
        self.checked = self.mismatches = self.dropped = self.resets = 0
        self.reports: list[str] = []
        self.errors: list[str] = []
        self.sticky = 0

    def describe(self) -> str:
        return f"pymodel.core.conv.dot_int {self.cfg.label} acc_bits={self.acc_bits}"

    def write(self, obs) -> None:
        if isinstance(obs, DotObs):
            acc, ovf = dot_int(torch.from_numpy(obs.act)[None], torch.from_numpy(obs.wgt.T.copy()),
                               torch.from_numpy(obs.bias), self.cfg, self.acc_bits)
            self.expected.append((obs, acc[0].numpy(), ovf[0].numpy().astype(np.int64)))
        elif isinstance(obs, ResultObs):
            self._check(obs)
        elif isinstance(obs, ResetObs):
            if obs.in_flight != len(self.expected):
                self.errors.append(f"reset: the BFM had {obs.in_flight} results in flight, the scoreboard "
                                   f"{len(self.expected)}")
            self.dropped += len(self.expected)
            self.expected.clear()
            self.resets += 1
            self.sticky = 0
            self.ap.write(obs)
        elif isinstance(obs, EndObs) and obs.overflow_pin != self.sticky:
            self.errors.append(f"overflow_o={obs.overflow_pin} at the end, model says {self.sticky}")

    def _check(self, res: ResultObs) -> None:
        if not self.expected:
            self.errors.append("a result arrived with no expected dot product")
            return
        dot, acc, ovf = self.expected.popleft()
        self.sticky |= int(ovf.any())
        bad = (acc != res.acc) | (ovf != res.ovf)
        if self.sticky and not res.overflow_pin:
            self.errors.append(f"result #{self.checked}: overflow_o low after a saturated dot product")
        if bad.any():
            self.mismatches += 1
            if len(self.reports) < MAX_REPORTED:
                lane = int(np.flatnonzero(bad)[0])
                msg = (f"MISMATCH dot #{self.checked} K={len(dot.act)} lane {lane}: bias {int(dot.bias[lane])}, "
                       f"act[:4] {dot.act[:4].tolist()}, w[:4] {dot.wgt[:4, lane].tolist()}: rtl acc "
                       f"{int(res.acc[lane])} ovf {int(res.ovf[lane])}, model acc {int(acc[lane])} ovf "
                       f"{int(ovf[lane])} ({self.describe()})")
                self.reports.append(msg)
                self.logger.error(msg)
        self.checked += 1
        self.ap.write(Checked(dot, res))

    def check_phase(self) -> None:
        if self.expected:
            self.errors.append(f"{len(self.expected)} finished dot products never produced a result")
        if self.checked == 0:
            self.errors.append("no dot product was checked")
        if self.mismatches:
            self.errors.append(f"{self.mismatches} of {self.checked} dot products MISMATCH the model ({self.describe()})")
        for err in self.errors:
            self.logger.error(err)
        if not self.errors:
            self.logger.info(f"{self.checked} dot products bit-exact to {self.describe()}; "
                             f"{self.resets} resets dropped {self.dropped} results")


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


class MacArrayCoverage(uvm_subscriber):
    """Samples the three cover groups from the scoreboard's checked results and resets."""

    def build_phase(self) -> None:
        self.acc_w = ConfigDB().get(self, "", "ACC_W")
        self.dots, self.lanes, self.resets = array_coverage(ConfigDB().get(self, "", "COVER_NAME"))

    def write(self, obs) -> None:
        if isinstance(obs, ResetObs):
            self.resets.sample({"reset": np.array([int(obs.beats_into_dot >= 4)])})
            return
        lo, hi = acc_range(self.acc_w)
        k = len(obs.dot.act)
        self.dots.sample({
            "length": np.array([np.searchsorted(LENGTH_BINS, k, side="right") - 1]),
            "in_wait": np.array([int(obs.dot.waited)]),
            "backpressure": np.array([int(obs.result.stalled)]),
        })
        acc, ovf, bias = obs.result.acc, obs.result.ovf, obs.dot.bias
        sat = np.where(ovf == 0, 0, np.where(acc == hi, 1, np.where(acc == lo, 2, 3)))
        bias_class = np.where((bias == lo) | (bias == hi), 3, np.where(bias == 0, 0, np.where(bias > 0, 1, 2)))
        self.lanes.sample({"saturation": sat, "bias": bias_class})

    @property
    def groups(self) -> list[BatchCoverage]:
        return [self.dots, self.lanes, self.resets]


class MacArrayEnv(uvm_env):
    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = BfmDriver("driver", self)
        self.monitor = QueueMonitor("monitor", self)
        self.scoreboard = MacArrayScoreboard("scoreboard", self)
        self.cover = MacArrayCoverage("coverage", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.monitor.ap.connect(self.scoreboard.export)
        self.scoreboard.ap.connect(self.cover.analysis_export)

    @property
    def coverages(self) -> list[BatchCoverage]:
        return self.cover.groups


# ---- sequences ----
class DotSeq(uvm_sequence):
    """Base: sends the DotItems of :meth:`items` (operands within range, bias within ACC_W)."""

    def __init__(self, name: str, cfg: MulConfig, lanes: int, acc_w: int, rng: np.random.Generator) -> None:
        super().__init__(name)
        self.cfg, self.lanes, self.acc_w, self.rng = cfg, lanes, acc_w, rng
        self.m = cfg.max_operand
        self.lo, self.hi = acc_range(acc_w)

    def items(self):
        raise NotImplementedError

    def random_dot(self, k: int, bias_scale: int | None = None, reset_at: int = 0) -> DotItem:
        act = self.rng.integers(-self.m, self.m, k, endpoint=True)
        wgt = self.rng.integers(-self.m, self.m, (k, self.lanes), endpoint=True)
        scale = bias_scale if bias_scale is not None else min(self.hi, 1 << 20)
        bias = self.rng.integers(-scale, scale, self.lanes, endpoint=True)
        return DotItem(f"k{k}", act, wgt, bias, reset_at)

    async def body(self) -> None:
        for item in self.items():
            await self.start_item(item)
            await self.finish_item(item)


class LengthSweepSeq(DotSeq):
    """Lengths 1, 2, 3, 9, 10, 99, 100, 1008 (up5.convA), 9999 and 11520 (the longest)."""

    def items(self):
        for k in (1, 2, 3, 9, 10, 99, 100, 1008, 9999, MAX_K):
            yield self.random_dot(k)


class RandomDotSeq(DotSeq):
    """Dot products of log-uniform length 1..max_k until ``beats`` beats were sent."""

    def __init__(self, name, cfg, lanes, acc_w, rng, beats: int, max_k: int = 2000) -> None:
        super().__init__(name, cfg, lanes, acc_w, rng)
        self.beats, self.max_k = beats, max_k

    def items(self):
        sent = 0
        while sent < self.beats:
            k = int(np.exp(self.rng.uniform(0, np.log(self.max_k + 1))))
            k = max(1, min(k, self.max_k))
            yield self.random_dot(k, bias_scale=int(self.rng.choice([0, 1000, self.hi])))
            sent += k


class SaturationSeq(DotSeq):
    """Per lane: saturate high, saturate low, hit the bound exactly without overflow,
    overflow by one, saturate then come back (sticky flag, value in range), bias at the
    bounds; lengths 1 and longer."""

    def items(self):
        m, lanes, hi, lo = self.m, self.lanes, self.hi, self.lo
        p = int(mul_signed(m, m, self.cfg))  # the largest product magnitude at full scale
        ones = np.ones(lanes, dtype=np.int64)
        full = np.full((1, lanes), m)

        def dot(name, act, wgt, bias):
            return DotItem(name, np.asarray(act, dtype=np.int64), np.asarray(wgt, dtype=np.int64),
                           np.asarray(bias, dtype=np.int64))

        yield dot("exact_max", [m], full, ones * (hi - p))  # lands exactly on the bound: no overflow
        yield dot("one_over_max", [m], full, ones * (hi - p + 1))
        yield dot("exact_min", [m], -full, ones * (lo + p))
        yield dot("one_under_min", [m], -full, ones * (lo + p - 1))
        yield dot("bias_at_max", [0], full, ones * hi)
        yield dot("bias_at_min", [1], -full, ones * lo)
        k = 8
        up = np.full((k, lanes), m)
        yield dot("high_then_back", [m] * k, np.concatenate([up[:4], -up[:4]]), ones * (hi - p))
        yield dot("low_then_back", [m] * k, np.concatenate([-up[:4], up[:4]]), ones * (lo + p))
        # mixed lanes: alternate lanes saturate high and low
        sign = np.where(np.arange(lanes) % 2 == 0, 1, -1)
        yield dot("mixed_lanes", [m] * 40, np.tile(sign * m, (40, 1)), np.where(sign > 0, hi - 10 * p, lo + 10 * p))
        # long run into saturation from a random start
        item = self.random_dot(3000, bias_scale=hi)
        item.act[:] = m
        item.wgt[:] = np.where(self.rng.random(lanes) < 0.5, m, -m)
        yield item


class BurstSeq(DotSeq):
    """``count`` back-to-back dot products of 1..3 beats: results leave as fast as beats
    arrive, so output backpressure reaches the input (s_axis_tready drops)."""

    def __init__(self, name, cfg, lanes, acc_w, rng, count: int = 1200) -> None:
        super().__init__(name, cfg, lanes, acc_w, rng)
        self.count = count

    def items(self):
        for _ in range(self.count):
            yield self.random_dot(int(self.rng.integers(1, 3, endpoint=True)))


class ResetSeq(DotSeq):
    """Dot products interrupted by reset early (beat 1..3) and late (beat >= 4), each
    followed by complete dot products that must come out right."""

    def items(self):
        for k, at in ((9, 1), (5, 3), (200, 150), (1008, 1007), (40, 4)):
            yield self.random_dot(k, reset_at=at)
            yield self.random_dot(int(self.rng.integers(1, 50)))
            yield self.random_dot(3)


# ---- tests ----
class MacArrayTestBase(BaseTest):
    """Configuration from the HDL parameters, the BFM and the env of mbm_mac_array."""

    default_samples = 20_000  # random beats after the directed sequences
    #: score against the other approximate multiplier (a test that must fail)
    wrong_model = False

    def make_bfm(self, dut) -> MacArrayBfm:
        self.cfg = MulConfig.from_rtl_parameters(self.params)
        self.lanes, self.acc_w = self.params["LANES"], self.params["ACC_W"]
        model = model_config(self.params, self.wrong_model)
        if model != (self.cfg, self.acc_w):
            self.logger.warning(f"MODEL_OVERRIDE: model {model[0].label} acc_bits={model[1]} differs from "
                                f"the RTL {self.cfg.label} ACC_W={self.acc_w}: this run is expected to FAIL")
        db = ConfigDB()
        db.set(None, "*", "MODEL", model)
        db.set(None, "*", "ACC_W", self.acc_w)
        db.set(None, "*", "COVER_NAME", self.test_name)
        return MacArrayBfm(dut, self.cfg, self.lanes, self.acc_w, self.rng)

    def make_env(self) -> MacArrayEnv:
        return MacArrayEnv("env", self)

    def seq(self, cls, name: str, *args) -> DotSeq:
        return cls(name, self.cfg, self.lanes, self.acc_w, self.rng, *args)
