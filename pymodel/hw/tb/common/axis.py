"""AXI-Stream BFM for a DUT with one input stream (s_axis_*) and one output stream (m_axis_*).

One clocked coroutine plays the source, the sink and both monitors, which keeps Python
work per clock small. Per cycle, at the falling edge it decides what to drive: the next
beat (unless the source stalls; a beat once offered stays on the bus until taken) and
m_axis_tready (random backpressure); in the ReadOnly phase it reads the handshakes and
records every transfer as the DUT saw it (tdata read back from the pins).

Stall probabilities rotate through :data:`STALL_PROFILES` every ``profile_cycles``
cycles, so every run has stretches of full throughput, heavy backpressure, sparse input
and mixed traffic.

Observed batches (:class:`~tb.common.sequences.ArrayItem`):

* ``in_obs``: ``unpack_in(tdata)`` columns plus ``last``, ``wait`` (cycles the beat was
  offered before it was taken) and ``back_to_back`` (taken the cycle after the previous);
* ``out_obs``: ``unpack_out(tdata)`` columns plus ``last``, ``stall`` (cycles it was held
  by backpressure) and ``latency`` (cycles from its input's transfer to its own; beats
  leave in order).

Checks made here, reported through :attr:`AxisBfm.errors`: m_axis_tdata/tlast stable and
tvalid held while stalled (AXI-Stream), more outputs than inputs, and optionally
(``full_throughput``) that s_axis_tready is high in every cycle in which m_axis_tready is.
A DUT that moves no beat for :data:`STUCK_CYCLES` cycles while work is pending, or
:data:`MAX_ERRORS` errors, stops the test at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.triggers import ClockCycles, Event, FallingEdge, ReadOnly

from pymodel.hw.tb.common.coverage import BatchCoverage, Point
from pymodel.hw.tb.common.sequences import ArrayItem

#: (input stall probability, output backpressure probability) per stretch of cycles
STALL_PROFILES: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.3, 0.3), (0.0, 0.7), (0.7, 0.0), (0.5, 0.5))

#: Cycles without any transfer, while beats wait or are in flight, that count as a hang.
STUCK_CYCLES = 2000
#: Protocol errors after which the test stops.
MAX_ERRORS = 20

Unpack = Callable[[np.ndarray], dict[str, np.ndarray]]


class AxisBfm:
    """Source, sink and monitors of an s_axis -> m_axis DUT (see the module docstring).

    pack(item) -> int64 tdata words of the item's rows; unpack_in/unpack_out(words) ->
    columns. The item may hold a ``last`` column (default 0).
    """

    def __init__(
        self,
        dut,
        rng: np.random.Generator,
        pack: Callable[[ArrayItem], np.ndarray],
        unpack_in: Unpack,
        unpack_out: Unpack,
        *,
        period_ns: int = 10,
        batch: int = 1024,
        profile_cycles: int = 400,
        full_throughput: bool = False,
        profiles: tuple[tuple[float, float], ...] = STALL_PROFILES,
    ) -> None:
        self.dut, self.rng = dut, rng
        self.pack, self.unpack_in, self.unpack_out = pack, unpack_in, unpack_out
        self.period_ns, self.batch, self.profile_cycles = period_ns, batch, profile_cycles
        self.full_throughput = full_throughput
        self.profiles = profiles
        self.in_obs: Queue[ArrayItem] = Queue()
        self.out_obs: Queue[ArrayItem] = Queue()
        self.errors: list[str] = []
        self.cycle = 0
        self.beats_in = self.beats_out = 0
        self._pending: deque[tuple[int, int]] = deque()
        self._offered: tuple[int, int] | None = None  # beat on the bus, not yet taken
        self._space = Event()
        self._in_rows: list[tuple[int, int, int, int]] = []
        self._out_rows: list[tuple[int, int, int, int]] = []
        self._in_cycles: deque[int] = deque()

    # ---- life cycle ----
    async def start(self) -> None:
        """Start the clock, reset the DUT for a few cycles, start the bus coroutine."""
        d = self.dut
        cocotb.start_soon(Clock(d.clk, self.period_ns, "ns").start())
        d.rst.value = 1
        d.s_axis_tvalid.value = 0
        d.s_axis_tdata.value = 0
        d.s_axis_tlast.value = 0
        d.m_axis_tready.value = 0
        await ClockCycles(d.clk, 3)
        await FallingEdge(d.clk)
        d.rst.value = 0
        cocotb.start_soon(self._run())

    async def drive(self, item: ArrayItem) -> None:
        """Queue the item's beats; returns when the backlog is short again."""
        words = self.pack(item).tolist()
        lasts = item["last"].tolist() if "last" in item else [0] * len(words)
        self._pending.extend(zip(words, lasts))
        while len(self._pending) > 2 * self.batch:
            self._space.clear()
            await self._space.wait()

    async def drain(self) -> None:
        """Return once every queued beat went in, came out and was handed to the monitors."""
        clk = self.dut.clk
        while self._busy():  # a stuck DUT ends the test from the watchdog in _run
            await ClockCycles(clk, 16)
        self._flush()
        while not (self.in_obs.empty() and self.out_obs.empty()):
            await ClockCycles(clk, 1)

    # ---- the bus ----
    def _busy(self) -> bool:
        return bool(self._pending) or self._offered is not None or self.beats_out < self.beats_in

    async def _run(self) -> None:
        d = self.dut
        s_data, s_valid, s_ready, s_last = d.s_axis_tdata, d.s_axis_tvalid, d.s_axis_tready, d.s_axis_tlast
        m_data, m_valid, m_ready, m_last = d.m_axis_tdata, d.m_axis_tvalid, d.m_axis_tready, d.m_axis_tlast
        fall, read_only = FallingEdge(d.clk), ReadOnly()
        pending, in_cycles, in_rows, out_rows = self._pending, self._in_cycles, self._in_rows, self._out_rows
        waited = stalled = 0
        last_taken = -2
        valid_now = ready_now = 0  # what s_axis_tvalid / m_axis_tready are driven to
        held: tuple[int, int] | None = None  # output beat seen stalled in the previous cycle
        moved = 0  # last cycle a beat went in or out (the watchdog's reference)
        draws = iter(())
        while True:
            await fall
            cycle = self.cycle
            p_in, p_out = self.profiles[(cycle // self.profile_cycles) % len(self.profiles)]
            try:
                r_in, r_out = next(draws)
            except StopIteration:
                draws = iter(self.rng.random((4096, 2)).tolist())
                r_in, r_out = next(draws)
            if self._offered is None and pending and r_in >= p_in:
                self._offered = pending.popleft()
                if len(pending) <= self.batch:
                    self._space.set()
                waited = 0
                s_data.value, s_last.value = self._offered
            offering = int(self._offered is not None)
            if offering != valid_now:
                s_valid.value = valid_now = offering
            sink_ready = int(r_out >= p_out)
            if sink_ready != ready_now:
                m_ready.value = ready_now = sink_ready

            await read_only
            taken = offering and int(s_ready.value)
            if self.full_throughput and sink_ready and not int(s_ready.value):
                self._error(f"cycle {cycle}: s_axis_tready low while m_axis_tready is high (not full throughput)")
            if taken:
                in_rows.append((s_data.value.to_unsigned(), int(s_last.value), waited, int(last_taken == cycle - 1)))
                in_cycles.append(cycle)
                last_taken = moved = cycle
                self.beats_in += 1
                self._offered = None
            elif offering:
                waited += 1
            if int(m_valid.value):
                beat = (m_data.value.to_unsigned(), int(m_last.value))
                if held is not None and beat != held:
                    self._error(f"cycle {cycle}: m_axis_tdata/tlast changed while stalled: {held} -> {beat}")
                if sink_ready:
                    if in_cycles:
                        latency = cycle - in_cycles.popleft()
                    else:
                        self._error(f"cycle {cycle}: output beat {beat} without an input")
                        latency = -1
                    out_rows.append((*beat, stalled, latency))
                    self.beats_out += 1
                    moved = cycle
                    stalled, held = 0, None
                else:
                    stalled += 1
                    held = beat
            elif held is not None:
                self._error(f"cycle {cycle}: m_axis_tvalid dropped while stalled")
                held = None
            self.cycle = cycle + 1
            if len(in_rows) >= self.batch or len(out_rows) >= self.batch:
                self._flush()
            if cycle - moved > STUCK_CYCLES and self._busy():
                self._error(
                    f"cycle {cycle}: no beat moved for {STUCK_CYCLES} cycles with {len(pending)} beats waiting "
                    f"and {self.beats_in - self.beats_out} in flight: the DUT is stuck",
                    fatal=True,
                )

    def _error(self, msg: str, fatal: bool = False) -> None:
        """Record a protocol error; the test fails at its end, or now if fatal or too many."""
        self.errors.append(msg)
        self.dut._log.error(msg)
        if fatal or len(self.errors) >= MAX_ERRORS:
            raise AssertionError(f"AXI-Stream BFM: {msg}" + (f" ({len(self.errors)} errors)" if not fatal else ""))

    def _flush(self) -> None:
        if self._in_rows:
            word, last, wait, b2b = np.asarray(self._in_rows, dtype=np.int64).T
            self.in_obs.put_nowait(ArrayItem("in", **self.unpack_in(word), last=last, wait=wait, back_to_back=b2b))
            self._in_rows.clear()
        if self._out_rows:
            word, last, stall, latency = np.asarray(self._out_rows, dtype=np.int64).T
            self.out_obs.put_nowait(ArrayItem("out", **self.unpack_out(word), last=last, stall=stall, latency=latency))
            self._out_rows.clear()


# ---- handshake coverage ----
def handshake_coverage(name: str) -> tuple[BatchCoverage, BatchCoverage]:
    """Cover groups of the input side (wait, back-to-back, last) and the output side
    (backpressure seen, last)."""
    yes_no = [0, 1]
    inputs = BatchCoverage(
        f"{name}.axis_in",
        {
            "in_wait": Point(yes_no, ["taken_at_once", "waited_for_ready"]),
            "back_to_back": Point(yes_no, ["after_gap", "back_to_back"]),
            "in_last": Point(yes_no, ["not_last", "last"]),
        },
    )
    outputs = BatchCoverage(
        f"{name}.axis_out",
        {
            "backpressure": Point(yes_no, ["taken_at_once", "held_by_backpressure"]),
            "out_last": Point(yes_no, ["not_last", "last"]),
        },
    )
    return inputs, outputs


def in_features(batch: ArrayItem) -> dict[str, np.ndarray]:
    return {"in_wait": (batch["wait"] > 0).astype(np.int64), "back_to_back": batch["back_to_back"], "in_last": batch["last"]}


def out_features(batch: ArrayItem) -> dict[str, np.ndarray]:
    return {"backpressure": (batch["stall"] > 0).astype(np.int64), "out_last": batch["last"]}
