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

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, encoding
from pymodel.hw import vectors
from pymodel.hw.array_params import array_parameters
from pymodel.hw.layers import QuantLayer, Tile, reference, tile_rows
from pymodel.hw.replay import replay_set
from pymodel.hw.vecformat import Layout, gather, unpack_hex

#: Where ``pymodel cosim`` writes ``<layer>.json`` unless told otherwise (the report reads it).
DEFAULT_OUT = Path("reports/cosim")
#: Beats per bench run: bounds memory and gives the progress bar its steps.
CHUNK_BEATS = 1 << 18


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
            got_acc, got_ovf = got
            bad = np.argwhere((got_acc != want_acc) | (got_ovf != want_ovf))
            mismatches += len(bad)
            for d, lane in bad[: max(0, 20 - len(examples))]:
                pix, ch = p0 + d // groups, (d % groups) * lanes + lane
                examples.append({"pixel": [t.i0 + pix // t.w, t.j0 + pix % t.w], "channel": int(ch),
                                 "rtl": int(got_acc[d, lane]), "model": int(want_acc[d, lane]),
                                 "rtl_overflow": bool(got_ovf[d, lane]), "model_overflow": bool(want_ovf[d, lane])})
    return CosimResult(int(rows.shape[0]) * cout * q.k, beats, mismatches, int(ovf.sum()),
                       time.perf_counter() - start, sim_seconds, examples)


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

