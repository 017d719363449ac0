"""Real-layer co-simulation: a conv layer's tile through the MAC array RTL, bit for bit.

Why: a multiplier that matches the model pair by pair does not prove that a layer comes out
of the array right (operand order, bias, padding, lane mapping, saturation, backpressure).
This takes a real conv layer and its input, quantizes both (:mod:`pymodel.core.quant`), streams
the im2col rows of an output tile through ``rtl/mbm_mac_array.v`` under Verilator (the
compiled replay bench of :mod:`pymodel.hw.replay`, with random input/output stalls) and
compares every output integer with :func:`pymodel.core.conv.conv2d_int` on the same tile.

The layer itself (loading, quantization, tiles, the golden accumulators) is
:mod:`pymodel.hw.layers`, shared with the MAC-array vector sets.

``python -m pymodel cosim --layer decoder.up5.convA --tile 0:0:4:4`` writes
``reports/cosim/<layer>.json``; exit status 1 on any mismatch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, encoding, to_dict
from pymodel.hw import stream, vectors
from pymodel.hw.array_params import array_parameters
from pymodel.hw.layers import QuantLayer, Tile, reference, tile_rows
from pymodel.hw.replay import replay_set
from pymodel.hw.vecformat import Layout, gather, unpack_hex

#: Where ``pymodel cosim`` writes ``<layer>.json`` unless told otherwise (the report reads it).
DEFAULT_OUT = Path("reports/cosim")
#: Beats per bench run: bounds memory and gives the progress bar its steps.
CHUNK_BEATS = 1 << 18
#: Beats per chunk of :func:`cosimulate_stream` (about a second of simulation).
STREAM_CHUNK_BEATS = 1 << 20
#: Mismatches a record lists in full.
MAX_EXAMPLES = 20


@dataclass
class CosimResult:
    """Counts of one co-simulation; ``examples`` are the first mismatches."""

    macs: int
    beats: int
    mismatches: int
    saturated: int
    seconds: float
    sim_seconds: float
    examples: list[dict]
    #: CPU seconds of the simulator process (the stream harness only)
    sim_cpu_seconds: float | None = None


def cosimulate(q: QuantLayer, t: Tile, lanes: int, acc_bits: int, *, stall: int = 20, seed: int = 1,
               progress: bool = True, rtl_overrides: dict[str, int] | None = None,
               rtl_mult: Multiplier | None = None) -> CosimResult:
    """Stream the tile through the RTL in chunks of pixels; compare every output integer.

    rtl_overrides, rtl_mult: build the RTL with other parameters, or another imported module
    in its slot, than the model's (only to prove that a wrong RTL is caught)."""
    from tqdm import tqdm

    start = time.perf_counter()
    rows = tile_rows(q, t)
    w = q.w_q.reshape(q.w_q.shape[0], -1)
    acc, ovf = reference(q, t, acc_bits)
    cout = w.shape[0]
    groups = -(-cout // lanes)
    per_chunk = max(1, CHUNK_BEATS // (groups * q.k))
    mismatches, sim_seconds, beats, examples = 0, 0.0, 0, []
    with tempfile.TemporaryDirectory(prefix="cosim-") as tmp:
        for p0 in tqdm(range(0, rows.shape[0], per_chunk), desc=f"cosim {q.name}", unit="chunk",
                       disable=not progress):
            p1 = min(rows.shape[0], p0 + per_chunk)
            prog = vectors.array_program(rows[p0:p1], w, q.bias_q, lanes)
            want_acc, want_ovf = prog.lane_view(acc[p0:p1]), prog.lane_view(ovf[p0:p1])
            mem = vectors.array_memories(prog, want_acc, want_ovf, q.cfg.bits, acc_bits, encoding(q.cfg))
            params = array_parameters(q.cfg, lanes, acc_bits)
            vs = vectors.VectorSet("mbm_mac_array", "cosim", q.cfg, seed, mem,
                                   {"beats": int(prog.last.size), "dots": int(prog.bias.shape[0])}, params)
            folder = vectors.write_set(vs, Path(tmp) / f"chunk{p0}", commit="cosim")
            out = Path(tmp) / f"out{p0}.hex"
            r = replay_set(folder, stall=stall, seed=seed + p0, out=out, rtl_overrides=rtl_overrides, rtl_mult=rtl_mult)
            sim_seconds += r.seconds
            beats += int(prog.last.size)
            got = _read_results(out, mem["expect"][0], prog.bias.shape[0])
            shutil.rmtree(folder)  # a chunk's memory files are tens of MB
            if got is None:
                raise MBMError(f"the RTL produced no results for pixels {p0}..{p1 - 1}: {r.output.strip()[-300:]}")
            mismatches += _compare(*got, want_acc, want_ovf, t, p0, groups, examples)
    return CosimResult(int(rows.shape[0]) * cout * q.k, beats, mismatches, int(ovf.sum()),
                       time.perf_counter() - start, sim_seconds, examples)


def _compare(got_acc: np.ndarray, got_ovf: np.ndarray, want_acc: np.ndarray, want_ovf: np.ndarray, t: Tile,
             p0: int, groups: int, examples: list[dict]) -> int:
    """Mismatching (dot, lane) results of pixels p0.. of the tile, (dots, lanes) each; the
    first MAX_EXAMPLES of a run go into ``examples``."""
    lanes = want_acc.shape[1]
    bad = np.argwhere((got_acc != want_acc) | (got_ovf != want_ovf))
    for d, lane in bad[: max(0, MAX_EXAMPLES - len(examples))]:
        pix, ch = p0 + int(d) // groups, (int(d) % groups) * lanes + int(lane)
        examples.append({"pixel": [t.i0 + pix // t.w, t.j0 + pix % t.w], "channel": ch,
                         "rtl": int(got_acc[d, lane]), "model": int(want_acc[d, lane]),
                         "rtl_overflow": bool(got_ovf[d, lane]), "model_overflow": bool(want_ovf[d, lane])})
    return len(bad)


def cosimulate_stream(q: QuantLayer, t: Tile, lanes: int, acc_bits: int, want: tuple[np.ndarray, np.ndarray], *,
                      stall: int = 20, seed: int = 1, on_chunk: Callable[[int], None] | None = None,
                      rtl_overrides: dict[str, int] | None = None, rtl: Sequence[Path] | None = None,
                      rtl_mult: Multiplier | None = None) -> CosimResult:
    """Stream the tile through the array's C++ harness (:mod:`pymodel.hw.stream`), a few
    output rows of im2col at a time, and compare every result with ``want``: the
    (pixels, Cout) golden accumulators and overflow flags of the tile, row-major over pixels
    (for an imported multiplier, computed with its table: the harness holds its circuit).

    on_chunk(macs) is called after each compared chunk (the progress bar); rtl_overrides and
    rtl_mult as in :func:`cosimulate`; rtl: other RTL files than the array's core lists (a
    broken copy). The harness's own counts (beats, results, the sticky overflow_o) are
    checked too: a wrong one counts as a mismatch."""
    start = time.perf_counter()
    want_acc, want_ovf = want
    w = q.w_q.reshape(q.w_q.shape[0], -1).numpy()
    s = stream.setup(w, q.bias_q.numpy(), q.cfg.bits, lanes, acc_bits, encoding(q.cfg))
    binary = stream.build({**array_parameters(q.cfg, lanes, acc_bits), **(rtl_overrides or {})}, rtl,
                          rtl_mult or q.cfg)
    rows_per = max(1, STREAM_CHUNK_BEATS // (s.groups * q.k * t.w))
    macs_per_pixel = s.prog.cout * q.k

    def chunks() -> Iterator[np.ndarray]:
        for i in range(t.i0, t.i0 + t.h, rows_per):
            yield tile_rows(q, Tile(i, t.j0, min(rows_per, t.i0 + t.h - i), t.w)).numpy()

    mismatches, p0, examples = 0, 0, []
    sim_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cosim-") as tmp, \
            stream.Stream(binary, s, Path(tmp) / "setup.bin", stall=stall, seed=seed) as run:
        for words in run.run(chunks()):
            got_acc, got_ovf = s.results(words)
            n = words.shape[0] // s.groups
            mismatches += _compare(got_acc, got_ovf, s.prog.lane_view(want_acc[p0 : p0 + n]),
                                   s.prog.lane_view(want_ovf[p0 : p0 + n]), t, p0, s.groups, examples)
            p0 += n
            if on_chunk is not None:
                on_chunk(n * macs_per_pixel)
        trailer = run.trailer
    sim_seconds = time.perf_counter() - sim_start
    pixels = t.h * t.w
    expected = (pixels * s.groups * q.k, pixels * s.groups, bool(want_ovf.any()))
    if trailer is None or (trailer.beats, trailer.dots, trailer.overflow) != expected:
        mismatches += 1
        examples.append({"harness": None if trailer is None else
                         {"beats": trailer.beats, "dots": trailer.dots, "overflow_o": trailer.overflow},
                         "model": dict(zip(("beats", "dots", "overflow_o"), expected))})
    return CosimResult(pixels * macs_per_pixel, pixels * s.groups * q.k, mismatches, int(want_ovf.sum()),
                       time.perf_counter() - start, sim_seconds, examples,
                       trailer.cpu_seconds if trailer is not None else None)


def report_record(q: QuantLayer, t: Tile, r: CosimResult, *, lanes: int, acc_bits: int, calibration: str,
                  stall: int, seed: int, source: dict, **extra: object) -> dict:
    """The ``<layer>.json`` record the sign-off report reads, of a tile (``reports/cosim/``)
    or a whole layer (``reports/cosim-all/``, :mod:`pymodel.hw.cosim_all`); ``extra`` keys
    are added at the end."""
    return {
        "layer": q.name,
        "shape": {"input": list(q.x_q.shape), "weight": list(q.w_q.shape), "output": [1, q.w_q.shape[0], *q.output_hw]},
        "tile": t.as_list(),
        "macs": r.macs,
        "mismatches": r.mismatches,
        "seconds": round(r.seconds, 3),
        "macs_per_s": round(r.macs / r.seconds, 1),
        "sim_seconds": round(r.sim_seconds, 3),
        "sim_macs_per_s": round(r.macs / r.sim_seconds, 1) if r.sim_seconds else None,
        **({} if r.sim_cpu_seconds is None else {
            "sim_cpu_seconds": round(r.sim_cpu_seconds, 3),
            "sim_macs_per_cpu_s": round(r.macs / r.sim_cpu_seconds, 1) if r.sim_cpu_seconds else None}),
        "beats": r.beats,
        "saturated": r.saturated,
        "clamped_operands": q.clamped,
        "config": {**to_dict(q.cfg), "lanes": lanes, "acc_bits": acc_bits, "calibration": calibration,
                   "stall_pct": stall, "s_x": q.s_x},
        "seed": seed,
        "source": source,
        "examples": r.examples,
        **extra,
    }


def write_record(record: dict, out: Path) -> Path:
    """Write ``out/<layer>.json`` whole or not at all (written aside, then renamed), so an
    interrupted run never leaves a half record that a rerun would trust."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{record['layer']}.json"
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    aside.write_text(json.dumps(record, indent=1) + "\n")
    aside.replace(path)
    return path


def _read_results(path: Path, layout: Layout, dots: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The bench's +out file (expect words) as (dots, lanes) accumulators and flags; None if
    incomplete."""
    if not path.is_file():
        return None
    words = path.read_text().split()
    if len(words) != dots:
        return None
    lanes = len(layout.fields) // 2
    cols = unpack_hex(layout, [w.zfill(layout.digits) for w in words])
    return gather("acc", cols, lanes), gather("ovf", cols, lanes).astype(bool)

