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
  offered before it was taken), ``back_to_back`` (taken the cycle after the previous),
  ``during_stall`` (taken while m_axis_tready was low) and ``wait_full`` (with ``capacity``:
  it waited in a cycle in which the pipeline was full and stalled);
* ``out_obs``: ``unpack_out(ports)`` columns plus ``last`` (if the DUT has m_axis_tlast),
  ``stall`` (cycles it was held by backpressure), ``latency`` (cycles from its input's
  transfer to its own; beats leave in order), ``window`` (see below), ``back_to_back``
  (delivered the cycle after the previous output) and the sideband pins.

Checks made here, each a named check of :mod:`tb.common.checks` (its errors start with
``[name]``), reported through :attr:`AxisBfm.errors`:

* ``axis.stable``: the m_axis beat stable and tvalid held while stalled (AXI-Stream);
* ``axis.valid_indep``: m_axis_tvalid unchanged within a cycle in which m_axis_tready changes
  (read at the falling edge before the new tready and again at the sampling point);
* ``axis.throughput`` (``full_throughput``): s_axis_tready high in every cycle in which
  m_axis_tready is (and, with ``ready_lag`` = n, was in the n cycles before: a DUT whose
  s_axis_tready is registered, such as a skid buffer, follows m_axis_tready that much later);
* ``axis.bubble_fill`` / ``axis.capacity`` (``capacity`` = C, a pipeline of C stages): in a
  cycle whose m_axis_tready is low, s_axis_tready is high exactly while fewer than C beats
  are held (accepted, not yet delivered);
* ``axis.stall_rule`` (``stall_lookback`` = d, the MAC array), in the cycles the throughput
  check leaves (m_axis_tready low now or, with ready_lag, lately): s_axis_tready low at cycle
  c only if, at cycle c - ready_lag, the result register was full (m_axis_tvalid) and not
  taken and more tlast beats had been accepted by cycle c - d than results had entered it;
* ``reset.*``: while rst is high s_axis_tready low (``reset_tready_low``), from its first
  rising edge on m_axis_tvalid low and the ``reset_clears`` sideband pins low, and in the
  first cycle after it m_axis_tvalid low and s_axis_tready high; ``reset.flush``: in every
  epoch m_axis_tvalid stays low until the first beat accepted in it had ``latency`` cycles;
* ``sb.count``: no output beat without an input in flight; ``axis.stuck``: a DUT that moves
  no beat for :data:`STUCK_CYCLES` cycles while work is pending.

The latency itself is the scoreboard's check (``sb.latency``): each output beat carries its
``latency`` and ``window``, 1 when m_axis_tready was high in every cycle from its input's
transfer (ready_lag cycles before it) to ``latency`` cycles after it, so it must have come out
exactly then. :data:`MAX_ERRORS` errors, or a stuck DUT, stop the test at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.triggers import ClockCycles, Event, FallingEdge, ReadOnly

from pymodel.hw.tb.common.checks import tagged
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
        latency: int,
        period_ns: int = 10,
        batch: int = 1024,
        profile_cycles: int = 400,
        full_throughput: bool = False,
        ready_lag: int = 0,
        capacity: int | None = None,
        stall_lookback: int | None = None,
        reset_tready_low: bool = False,
        packets: bool = False,
        sideband: tuple[str, ...] = (),
        reset_clears: tuple[str, ...] = (),
        profiles: tuple[tuple[float, float], ...] = STALL_PROFILES,
    ) -> None:
        self.dut, self.rng = dut, rng
        self.pack, self.unpack_in, self.unpack_out = pack, unpack_in, unpack_out
        self.latency, self.period_ns, self.batch, self.profile_cycles = latency, period_ns, batch, profile_cycles
        self.full_throughput, self.ready_lag, self.packets = full_throughput, ready_lag, packets
        self.capacity, self.stall_lookback, self.reset_tready_low = capacity, stall_lookback, reset_tready_low
        self.profiles = profiles
        self.s_user = hasattr(dut, "s_axis_tuser")
        self.m_user, self.m_last = hasattr(dut, "m_axis_tuser"), hasattr(dut, "m_axis_tlast")
        self.sideband = {name: getattr(dut, name) for name in sideband}
        self.reset_clears = {name: getattr(dut, name) for name in reset_clears}
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
        # outputs in flight, oldest first: [transfer cycle of the input, window]; and those
        # whose window (see the module docstring) is still to be decided
        self._in_flight: deque[list[int]] = deque()
        self._deadlines: deque[list[int]] = deque()
        # per cycle of this epoch, the newest last: (m_axis_tvalid, m_axis_tready, outputs
        # delivered before the cycle, outputs asked for by the end of it), for the stall rule
        self._history: deque[tuple[int, int, int, int]] = deque(maxlen=8)
        self._reset_cycles = 0
        self._into_packet = 0  # beats of the open packet taken so far
        self._epoch_out = 0  # outputs delivered in this epoch
        self._flush_reported = False

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
        """Queue the item's beats (and a reset after ``item.reset_after`` of them, if > 0: it
        may equal the item's length, a reset with its last output in flight); returns when
        the backlog is short again."""
        beats = self.pack(item)
        data = list(beats["tdata"])
        user = list(beats.get("tuser", [0] * len(data)))
        last = list(beats.get("tlast", [0] * len(data)))
        reset_after = getattr(item, "reset_after", 0)
        stop = reset_after or len(data)
        self._pending.extend(zip(data[:stop], user[:stop], last[:stop]))
        if reset_after:
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
        pending, in_flight, deadlines = self._pending, self._in_flight, self._deadlines
        in_rows, out_rows, history = self._in_rows, self._out_rows, self._history
        latency, lag, capacity, lookback = self.latency, self.ready_lag, self.capacity, self.stall_lookback
        window_run = latency + lag  # cycles of m_axis_tready high that make a beat's window
        waited = stalled = wait_full = 0
        ready_run = 0  # consecutive cycles m_axis_tready has been high, this one included
        last_taken = last_out = -2
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
            if self._reset_cycles:  # a cycle after a rising edge with rst high
                self._reset_cycles -= 1
                d.rst.value = int(self._reset_cycles > 0)
                await read_only
                self._check_reset(cycle, after_edge=True, rst_high=self._reset_cycles > 0)
                moved = cycle
                continue
            if self._offered is None and pending and pending[0] is _RESET:
                pending.popleft()
                self._start_reset()
                valid_now = ready_now = ready_run = 0
                held, stalled, moved, last_out = None, 0, cycle, -2
                await read_only
                self._check_reset(cycle, after_edge=False, rst_high=True)
                continue
            valid_before = int(m_valid.value)  # before this cycle's m_axis_tready (axis.valid_indep)
            if self._offered is None and pending and r_in >= p_in:
                self._offered = pending.popleft()
                if len(pending) <= self.batch:
                    self._space.set()
                waited = wait_full = 0
                s_data.value, user, s_last.value = self._offered
                if s_user is not None:
                    s_user.value = user
            offering = int(self._offered is not None)
            if offering != valid_now:
                s_valid.value = valid_now = offering
            sink_ready = int(r_out >= p_out)
            ready_changed = sink_ready != ready_now
            if ready_changed:
                m_ready.value = ready_now = sink_ready

            await read_only
            ready_in, valid_out = int(s_ready.value), int(m_valid.value)
            if ready_changed and valid_out != valid_before:
                self._error("axis.valid_indep", f"cycle {cycle}: m_axis_tvalid went {valid_before} -> {valid_out} "
                            f"when m_axis_tready went {1 - sink_ready} -> {sink_ready}")
            ready_run = ready_run + 1 if sink_ready else 0
            held_beats = self.expected_out - self.beats_out
            sink_ran = ready_run > lag  # the throughput check applies; the stall checks where it does not
            if sink_ran:
                if self.full_throughput and not ready_in:
                    self._error("axis.throughput",
                                f"cycle {cycle}: s_axis_tready low while m_axis_tready is high (not full throughput)")
            elif capacity is not None and not sink_ready:
                if held_beats < capacity and not ready_in:
                    self._error("axis.bubble_fill", f"cycle {cycle}: s_axis_tready low with the output stalled and "
                                f"{held_beats} of {capacity} stages full: an empty stage must take a beat")
                elif held_beats >= capacity and ready_in:
                    self._error("axis.capacity", f"cycle {cycle}: s_axis_tready high with the output stalled and "
                                f"{held_beats} beats held, {capacity} stages")
            if lookback is not None and not ready_in and not sink_ran:
                valid_then, ready_then, out_then = ((valid_out, sink_ready, self.beats_out) if lag == 0 else
                                                    history[-lag][:3] if len(history) >= lag else (0, 1, 0))
                asked = history[-lookback][3] if len(history) >= lookback else 0
                if not (valid_then and not ready_then and asked > out_then + valid_then):
                    self._error("axis.stall_rule", f"cycle {cycle}: s_axis_tready low, but "
                                + ("no tlast beat waits on a full, stalled result register"
                                   + (" in the cycle before" if lag else "")))
            if valid_out and not self._epoch_out and not self._flush_reported and (
                    not in_flight or cycle - in_flight[0][0] < latency):
                self._flush_reported = True
                self._error("reset.flush", f"cycle {cycle}: m_axis_tvalid high in epoch {self.epoch} before any beat "
                            f"accepted in it had {latency} cycles: a beat from before the reset came out")
            while deadlines and deadlines[0][0] + latency <= cycle:
                entry = deadlines.popleft()
                entry[1] = int(entry[0] + latency == cycle and ready_run >= window_run)
            taken = offering and ready_in
            if taken:
                last = int(s_last.value)
                user = int(s_user.value) if s_user is not None else 0
                in_rows.append((s_data.value.to_unsigned(), user, last, waited, int(last_taken == cycle - 1),
                                1 - sink_ready, wait_full))
                if last or not self.packets:
                    entry = [cycle, 0]
                    in_flight.append(entry)
                    deadlines.append(entry)
                    self.expected_out += 1
                self._into_packet = 0 if last else self._into_packet + 1
                last_taken = moved = cycle
                self.beats_in += 1
                self._offered = None
            elif offering:
                waited += 1
                if capacity is not None and not sink_ready and held_beats >= capacity:
                    wait_full = 1
            out_before = self.beats_out
            if valid_out:
                beat = (m_data.value.to_unsigned(), *(int(pin.value) for pin in m_extra))
                if held is not None and beat != held:
                    self._error("axis.stable",
                                f"cycle {cycle}: m_axis beat (tdata, tuser/tlast) changed while stalled: {held} -> {beat}")
                if sink_ready:
                    if in_flight:
                        start, window = in_flight.popleft()
                    else:
                        self._error("sb.count", f"cycle {cycle}: output beat {beat} without an input in flight")
                        start, window = cycle + 1, 0
                    out_rows.append((*beat, stalled, cycle - start, window, int(last_out == cycle - 1),
                                     *(int(pin.value) for pin in sideband)))
                    self.beats_out += 1
                    self._epoch_out += 1
                    last_out = moved = cycle
                    stalled, held = 0, None
                else:
                    stalled += 1
                    held = beat
            elif held is not None:
                self._error("axis.stable", f"cycle {cycle}: m_axis_tvalid dropped while stalled")
                held = None
            if lookback is not None:
                history.append((valid_out, sink_ready, out_before, self.expected_out))
            if len(in_rows) >= self.batch or len(out_rows) >= self.batch:
                self._flush()
            if cycle - moved > STUCK_CYCLES and self._busy():
                self._error(
                    "axis.stuck",
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
        self._in_flight.clear()
        self._deadlines.clear()
        self._history.clear()
        self._into_packet = self._epoch_out = 0
        self._flush_reported = False

    def _check_reset(self, cycle: int, after_edge: bool, rst_high: bool) -> None:
        """The reset.* checks of one cycle of a reset: rst high (before or after its first
        rising edge), or the first cycle after it."""
        d = self.dut
        if rst_high and self.reset_tready_low and int(d.s_axis_tready.value):
            self._error("reset.tready", f"cycle {cycle}: s_axis_tready high while rst is high")
        if not after_edge:
            return
        if int(d.m_axis_tvalid.value):
            when = "while rst is high" if rst_high else "in the first cycle after the reset"
            self._error("reset.tvalid", f"cycle {cycle}: m_axis_tvalid high {when}")
        if rst_high:
            for name, pin in self.reset_clears.items():
                if int(pin.value):
                    self._error("reset.clears", f"cycle {cycle}: {name} high while rst is high")
        elif not int(d.s_axis_tready.value):
            self._error("reset.ready_after", f"cycle {cycle}: s_axis_tready low in the first cycle after the reset")

    def _error(self, check: str, msg: str, fatal: bool = False) -> None:
        """Record an error of a named check; the test fails at its end, or now if fatal or too many."""
        msg = tagged(check, msg)
        self.errors.append(msg)
        self.dut._log.error(msg)
        if fatal or len(self.errors) >= MAX_ERRORS:
            raise AssertionError(f"AXI-Stream BFM: {msg}" + (f" ({len(self.errors)} errors)" if not fatal else ""))

    def _flush(self) -> None:
        if self._in_rows:
            data, user, last, wait, b2b, during_stall, wait_full = zip(*self._in_rows)
            ports = {"tdata": list(data), **({"tuser": list(user)} if self.s_user else {})}
            item = ArrayItem("in", **self.unpack_in(ports), last=last, wait=wait, back_to_back=b2b,
                             during_stall=during_stall, wait_full=wait_full)
            item.epoch = self.epoch
            self.in_obs.put_nowait(item)
            self._in_rows.clear()
        if self._out_rows:
            cols = list(zip(*self._out_rows))
            names = ["tdata", *(["tuser"] if self.m_user else []), *(["last"] if self.m_last else [])]
            ports = {n: list(c) for n, c in zip(names, cols) if n != "last"}
            extra = dict(zip(["stall", "latency", "window", "back_to_back", *self.sideband], cols[len(names):]))
            if self.m_last:
                extra["last"] = cols[names.index("last")]
            item = ArrayItem("out", **self.unpack_out(ports), **extra)
            item.epoch = self.epoch
            self.out_obs.put_nowait(item)
            self._out_rows.clear()


# ---- handshake coverage ----
def handshake_coverage(name: str, capacity: bool = False, out_last: bool = True) -> tuple[BatchCoverage, ...]:
    """Cover groups of the input side (wait, back-to-back, last, taken while the output was
    stalled, with ``capacity`` waited on a full pipeline), the output side (backpressure,
    back-to-back, a ready window that fixes the latency, with ``out_last`` last) and the
    resets (one with outputs in flight)."""
    yes_no = [0, 1]
    inputs = BatchCoverage(
        f"{name}.axis_in",
        {
            "in_wait": Point(yes_no, ["taken_at_once", "waited_for_ready"]),
            "back_to_back": Point(yes_no, ["after_gap", "back_to_back"]),
            "in_last": Point(yes_no, ["not_last", "last"]),
            "during_stall": Point(yes_no, ["output_ready", "taken_while_output_stalled"]),
            **({"wait_full": Point(yes_no, ["not_full", "waited_on_full_stalled_pipeline"])} if capacity else {}),
        },
    )
    outputs = BatchCoverage(
        f"{name}.axis_out",
        {
            "backpressure": Point(yes_no, ["taken_at_once", "held_by_backpressure"]),
            "out_back_to_back": Point(yes_no, ["after_gap", "back_to_back"]),
            "ready_window": Point(yes_no, ["backpressure_in_window", "ready_throughout"]),
            **({"out_last": Point(yes_no, ["not_last", "last"])} if out_last else {}),
        },
    )
    # the BFM resets right after the beat before it is taken, so a stream with latency always
    # has it in flight: the one bin says a reset had something to flush
    resets = BatchCoverage(f"{name}.axis_reset", {"in_flight": Point([1], ["outputs_in_flight"])})
    return inputs, outputs, resets


def in_features(batch: ArrayItem) -> dict[str, np.ndarray]:
    return {"in_wait": (batch["wait"] > 0).astype(np.int64), "back_to_back": batch["back_to_back"],
            "in_last": batch["last"], "during_stall": batch["during_stall"], "wait_full": batch["wait_full"]}


def out_features(batch: ArrayItem) -> dict[str, np.ndarray]:
    return {"backpressure": (batch["stall"] > 0).astype(np.int64), "out_back_to_back": batch["back_to_back"],
            "ready_window": batch["window"], **({"out_last": batch["last"]} if "last" in batch else {})}


def reset_features(batch: ArrayItem) -> dict[str, np.ndarray]:
    return {"in_flight": (batch["in_flight"] > 0).astype(np.int64)}  # 0 is not a bin: not counted
