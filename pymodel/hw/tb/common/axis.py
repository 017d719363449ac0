"""AXI-Stream BFM for a DUT with one input stream (s_axis_*) and one output stream (m_axis_*).

One clocked coroutine plays the source, the sink, the reset driver and the monitors, which
keeps Python work per clock small. Per cycle, at the falling edge it decides what to drive:
the next beat (unless the source stalls; a beat once offered stays on the bus until taken)
and m_axis_tready (random backpressure); in the ReadOnly phase it reads the handshakes and
records every transfer as the DUT saw it (everything read back from the pins).

Ports: tdata, tvalid, tready on both sides; tlast and tuser where the DUT has them (the
MAC array carries its bias in s_axis_tuser, its overflow flags in m_axis_tuser and has no
m_axis_tlast); ``sideband`` output pins (e.g. a sticky flag) are sampled with every output
beat and once more at the end (:attr:`AxisBfm.final`).

Output beats per input: one per input beat, or with ``packets`` one per input packet (a
tlast beat ends it: a reduction such as a dot product); an output's latency is counted from
that beat. An item with ``reset_after = n > 0`` sends its first n beats and then resets
the DUT for :data:`RESET_CYCLES` rising edges: what was in flight is dropped, the
observations of the next stretch carry ``epoch`` + 1, and one row (epoch, in_flight,
beats_into_packet) goes to ``reset_obs``.

Stall probabilities rotate through :data:`STALL_PROFILES` every ``profile_cycles``
cycles, so every run has stretches of full throughput, heavy backpressure, sparse input
and mixed traffic.

Observed batches (:class:`~tb.common.sequences.ArrayItem`; ``pack`` and the unpack
functions see the port values by name, ``tdata`` and ``tuser``, as Python ints, so words
may be wider than 64 bits):

* ``in_obs``: ``unpack_in(ports)`` columns plus ``last``, ``wait`` (cycles the beat was
  offered before it was taken) and ``back_to_back`` (taken the cycle after the previous);
* ``out_obs``: ``unpack_out(ports)`` columns plus ``last`` (if the DUT has m_axis_tlast),
  ``stall`` (cycles it was held by backpressure), ``latency`` (cycles from its input's
  transfer to its own; beats leave in order) and the sideband pins.

Checks made here, reported through :attr:`AxisBfm.errors`: the m_axis beat stable and
tvalid held while stalled (AXI-Stream), more outputs than inputs, and optionally
(``full_throughput``) that s_axis_tready is high in every cycle in which m_axis_tready is
(and, with ``ready_lag`` = n, was in the n cycles before: a DUT whose s_axis_tready is
registered, such as a skid buffer, follows m_axis_tready that much later).
A DUT that moves no beat for :data:`STUCK_CYCLES` cycles while work is pending, or
:data:`MAX_ERRORS` errors, stops the test at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

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
#: Rising edges a reset asked for by an item holds rst high.
RESET_CYCLES = 3

#: port values by name ("tdata", "tuser"), one Python int per beat -> named columns
Unpack = Callable[[dict[str, list[int]]], dict[str, np.ndarray]]
#: an item -> its beats: "tdata" (and "tuser", "tlast" where used) as sequences of ints
Pack = Callable[[object], dict[str, Sequence[int]]]

_RESET = None  # a reset marker in the queue of pending beats


class AxisBfm:
    """Source, sink, reset and monitors of an s_axis -> m_axis DUT (see the module docstring)."""

    def __init__(
        self,
        dut,
        rng: np.random.Generator,
        pack: Pack,
        unpack_in: Unpack,
        unpack_out: Unpack,
        *,
        period_ns: int = 10,
        batch: int = 1024,
        profile_cycles: int = 400,
        full_throughput: bool = False,
        ready_lag: int = 0,
        packets: bool = False,
        sideband: tuple[str, ...] = (),
        profiles: tuple[tuple[float, float], ...] = STALL_PROFILES,
    ) -> None:
        self.dut, self.rng = dut, rng
        self.pack, self.unpack_in, self.unpack_out = pack, unpack_in, unpack_out
        self.period_ns, self.batch, self.profile_cycles = period_ns, batch, profile_cycles
        self.full_throughput, self.ready_lag, self.packets = full_throughput, ready_lag, packets
        self.profiles = profiles
        self.s_user = hasattr(dut, "s_axis_tuser")
        self.m_user, self.m_last = hasattr(dut, "m_axis_tuser"), hasattr(dut, "m_axis_tlast")
        self.sideband = {name: getattr(dut, name) for name in sideband}
        self.in_obs: Queue[ArrayItem] = Queue()
        self.out_obs: Queue[ArrayItem] = Queue()
        self.reset_obs: Queue[ArrayItem] = Queue()
        self.errors: list[str] = []
        self.final: dict[str, int] = {}
        self.cycle = 0
        self.epoch = 0
        self.beats_in = self.beats_out = 0
        self.expected_out = 0  # output beats the inputs taken so far (this epoch included) ask for
        self._pending: deque[tuple[int, int, int] | None] = deque()
        self._offered: tuple[int, int, int] | None = None  # (tdata, tuser, tlast) on the bus, not yet taken
        self._space = Event()
        self._in_rows: list[tuple] = []
        self._out_rows: list[tuple] = []
        self._in_cycles: deque[int] = deque()
        self._reset_cycles = 0
        self._into_packet = 0  # beats of the open packet taken so far

    # ---- life cycle ----
    async def start(self) -> None:
        """Start the clock, reset the DUT for a few cycles, start the bus coroutine."""
        d = self.dut
        cocotb.start_soon(Clock(d.clk, self.period_ns, "ns").start())
        d.rst.value = 1
        d.s_axis_tvalid.value = 0
        d.s_axis_tdata.value = 0
        if self.s_user:
            d.s_axis_tuser.value = 0
        d.s_axis_tlast.value = 0
        d.m_axis_tready.value = 0
        await ClockCycles(d.clk, 3)
        await FallingEdge(d.clk)
        d.rst.value = 0
        cocotb.start_soon(self._run())

    async def drive(self, item) -> None:
        """Queue the item's beats (and a reset after ``item.reset_after`` of them, if > 0);
        returns when the backlog is short again."""
        beats = self.pack(item)
        data = list(beats["tdata"])
        user = list(beats.get("tuser", [0] * len(data)))
        last = list(beats.get("tlast", [0] * len(data)))
        stop = getattr(item, "reset_after", 0) or len(data)
        self._pending.extend(zip(data[:stop], user[:stop], last[:stop]))
        if stop < len(data):
            self._pending.append(_RESET)
        while len(self._pending) > 2 * self.batch:
            self._space.clear()
            await self._space.wait()

    async def drain(self) -> None:
        """Return once every queued beat went in, came out and was handed to the monitors."""
        clk = self.dut.clk
        while self._busy():  # a stuck DUT ends the test from the watchdog in _run
            await ClockCycles(clk, 16)
        self._flush()
        while not (self.in_obs.empty() and self.out_obs.empty() and self.reset_obs.empty()):
            await ClockCycles(clk, 1)
        self.final = {name: int(pin.value) for name, pin in self.sideband.items()}

    # ---- the bus ----
    def _busy(self) -> bool:
        return (bool(self._pending) or self._offered is not None or self.beats_out < self.expected_out
                or self._reset_cycles > 0)

    async def _run(self) -> None:
        d = self.dut
        s_data, s_valid, s_ready, s_last = d.s_axis_tdata, d.s_axis_tvalid, d.s_axis_tready, d.s_axis_tlast
        m_data, m_valid, m_ready = d.m_axis_tdata, d.m_axis_tvalid, d.m_axis_tready
        s_user = d.s_axis_tuser if self.s_user else None
        m_extra = [pin for pin, on in ((getattr(d, "m_axis_tuser", None), self.m_user),
                                       (getattr(d, "m_axis_tlast", None), self.m_last)) if on]
        sideband = list(self.sideband.values())
        fall, read_only = FallingEdge(d.clk), ReadOnly()
        pending, in_cycles, in_rows, out_rows = self._pending, self._in_cycles, self._in_rows, self._out_rows
        waited = stalled = 0
        ready_run = 0  # consecutive cycles m_axis_tready has been high, this one included
        last_taken = -2
        valid_now = ready_now = 0  # what s_axis_tvalid / m_axis_tready are driven to
        held: tuple | None = None  # output beat seen stalled in the previous cycle
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
            self.cycle = cycle + 1
            if self._reset_cycles:
                self._reset_cycles -= 1
                d.rst.value = int(self._reset_cycles > 0)
                moved = cycle
                continue
            if self._offered is None and pending and pending[0] is _RESET:
                pending.popleft()
                self._start_reset()
                valid_now = ready_now = 0
                held, stalled, moved = None, 0, cycle
                continue
            if self._offered is None and pending and r_in >= p_in:
                self._offered = pending.popleft()
                if len(pending) <= self.batch:
                    self._space.set()
                waited = 0
                s_data.value, user, s_last.value = self._offered
                if s_user is not None:
                    s_user.value = user
            offering = int(self._offered is not None)
            if offering != valid_now:
                s_valid.value = valid_now = offering
            sink_ready = int(r_out >= p_out)
            if sink_ready != ready_now:
                m_ready.value = ready_now = sink_ready

            await read_only
            taken = offering and int(s_ready.value)
            ready_run = ready_run + 1 if sink_ready else 0
            if self.full_throughput and ready_run > self.ready_lag and not int(s_ready.value):
                self._error(f"cycle {cycle}: s_axis_tready low while m_axis_tready is high (not full throughput)")
            if taken:
                last = int(s_last.value)
                user = int(s_user.value) if s_user is not None else 0
                in_rows.append((s_data.value.to_unsigned(), user, last, waited, int(last_taken == cycle - 1)))
                if last or not self.packets:
                    in_cycles.append(cycle)
                    self.expected_out += 1
                self._into_packet = 0 if last else self._into_packet + 1
                last_taken = moved = cycle
                self.beats_in += 1
                self._offered = None
            elif offering:
                waited += 1
            if int(m_valid.value):
                beat = (m_data.value.to_unsigned(), *(int(pin.value) for pin in m_extra))
                if held is not None and beat != held:
                    self._error(f"cycle {cycle}: m_axis beat (tdata, tuser/tlast) changed while stalled: {held} -> {beat}")
                if sink_ready:
                    if in_cycles:
                        latency = cycle - in_cycles.popleft()
                    else:
                        self._error(f"cycle {cycle}: output beat {beat} without an input in flight")
                        latency = -1
                    out_rows.append((*beat, stalled, latency, *(int(pin.value) for pin in sideband)))
                    self.beats_out += 1
                    moved = cycle
                    stalled, held = 0, None
                else:
                    stalled += 1
                    held = beat
            elif held is not None:
                self._error(f"cycle {cycle}: m_axis_tvalid dropped while stalled")
                held = None
            if len(in_rows) >= self.batch or len(out_rows) >= self.batch:
                self._flush()
            if cycle - moved > STUCK_CYCLES and self._busy():
                self._error(
                    f"cycle {cycle}: no beat moved for {STUCK_CYCLES} cycles with {len(pending)} beats waiting "
                    f"and {self.expected_out - self.beats_out} outputs in flight: the DUT is stuck",
                    fatal=True,
                )

    def _start_reset(self) -> None:
        """Assert rst (bus idle) and end the epoch: what is in flight is dropped."""
        d = self.dut
        d.rst.value = 1
        d.s_axis_tvalid.value = 0
        d.m_axis_tready.value = 0
        self._reset_cycles = RESET_CYCLES
        self._flush()
        in_flight = self.expected_out - self.beats_out
        self.reset_obs.put_nowait(ArrayItem("reset", epoch=[self.epoch], in_flight=[in_flight],
                                            beats_into_packet=[self._into_packet]))
        self.epoch += 1
        self.expected_out = self.beats_out
        self._in_cycles.clear()
        self._into_packet = 0

    def _error(self, msg: str, fatal: bool = False) -> None:
        """Record a protocol error; the test fails at its end, or now if fatal or too many."""
        self.errors.append(msg)
        self.dut._log.error(msg)
        if fatal or len(self.errors) >= MAX_ERRORS:
            raise AssertionError(f"AXI-Stream BFM: {msg}" + (f" ({len(self.errors)} errors)" if not fatal else ""))

    def _flush(self) -> None:
        if self._in_rows:
            data, user, last, wait, b2b = zip(*self._in_rows)
            ports = {"tdata": list(data), **({"tuser": list(user)} if self.s_user else {})}
            item = ArrayItem("in", **self.unpack_in(ports), last=last, wait=wait, back_to_back=b2b)
            item.epoch = self.epoch
            self.in_obs.put_nowait(item)
            self._in_rows.clear()
        if self._out_rows:
            cols = list(zip(*self._out_rows))
            names = ["tdata", *(["tuser"] if self.m_user else []), *(["last"] if self.m_last else [])]
            ports = {n: list(c) for n, c in zip(names, cols) if n != "last"}
            extra = dict(zip(["stall", "latency", *self.sideband], cols[len(names):]))
            if self.m_last:
                extra["last"] = cols[names.index("last")]
            item = ArrayItem("out", **self.unpack_out(ports), **extra)
            item.epoch = self.epoch
            self.out_obs.put_nowait(item)
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
