"""Every decoder conv layer of a real forward pass through the MAC-array RTL, in full.

Why: a tile proves the array's dataflow; the network's accuracy numbers are only tied to the
RTL when every approximate MAC of a real forward pass has been through it. ``make
cosim-all`` runs the network once (the user's ``--checkpoint`` and ``--image`` of ``--data``,
else the FULL-WIDTH seed architecture with seeded weights on a synthetic scene of
:mod:`pymodel.nn.scenes`, 480x640), captures each of the 14 decoder convs' inputs with
forward hooks, quantizes each layer (:mod:`pymodel.hw.layers`) and streams every output
pixel of it through ``rtl/mbm_mac_array.v`` (:func:`pymodel.hw.cosim.cosimulate_stream`,
the C++ harness of :mod:`pymodel.hw.stream`), comparing every accumulator and overflow flag.

Any multiplier with a circuit: a built-in one, or an imported ``verilog:`` module in the
array's slot (unsigned in the sign-magnitude array, ``:signed`` in the two's complement one;
:mod:`pymodel.hw.stream`), its golden side the same kernels with the module's table
(:func:`pymodel.core.multiplier.network_table`). A ``lut:`` table has no circuit to
simulate; the command line refuses it before any work (:func:`pymodel.cli.common.rtl_multiplier`).

Golden side: the compiled kernel (:func:`pymodel.core.kernels.approx_conv2d`, held bit-exact
to :func:`pymodel.core.conv.conv2d_int` by the kernel tests) for the whole layer, and the
plain reference :func:`pymodel.core.conv.dot_int` itself on a sample of every layer (the
four corner pixels, where padding enters, the centre and seeded random pixels, about
REFERENCE_MACS per layer); a kernel/reference disagreement counts as a mismatch.

Records: ``reports/cosim-all/<layer>.json`` (:data:`DEFAULT_OUT`), beside the tiles of ``make
cosim`` in ``reports/cosim/`` (the same layer names: one folder would let each overwrite the
other); the sign-off report reads both.

Resume: each finished layer is written at once (whole or not at all) with a fingerprint, the
sha256 of everything its result depends on: the layer's quantized input, weights and bias,
its geometry, the multiplier's record (:func:`pymodel.core.multiplier.to_dict`: for an
imported one its spec and the sha256 of its table and file), LANES, ACC_W, stall and seed,
the harness build key (every RTL file of the array's core, an imported module's slot files,
the harness source, the Verilator options and version) and the Python that turns the
hashed operands into the verdict (:data:`CODE_SOURCES`). A rerun skips a layer whose record
carries the same fingerprint and reruns it when anything in it changed (``--force`` reruns
all), so a Ctrl-C loses only the layers in flight; editing the user's Verilog file makes
every layer it ran stale.

Layers run on ``jobs`` harness processes at once (one per core), the largest first.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, network_table, to_dict
from pymodel.core.paths import REPO_ROOT
from pymodel.hw import stream
from pymodel.hw.array_params import array_parameters
from pymodel.hw.cosim import cosimulate_stream, report_record, write_record
from pymodel.hw.layers import QuantLayer, Tile, data_picture, default_acc_bits, quantize_layer, tile_rows

#: The seed network's input size (the 14 decoder layers of the bench table, 14.4 G MACs).
INPUT_HW = (480, 640)
#: Lanes of the array per layer at most (fewer for a narrower layer). The simulation costs
#: about the same per lane-cycle from 16 lanes up, while the Verilator build grows with
#: LANES; 48 divides every decoder width (768 ... 48), so no lane idles.
MAX_LANES = 48
#: Smallest scene side of the seeded network (see :func:`seeded_model`).
MIN_SEEDED_HW = 64
#: MACs of the plain reference per layer (its sample of pixels); a few seconds each.
REFERENCE_MACS = 1 << 22
#: Pixels of that sample at most (a one-channel layer would otherwise take thousands).
REFERENCE_PIXELS = 1024
#: Where ``pymodel cosim-all`` writes ``<layer>.json`` unless told otherwise (the report reads it).
DEFAULT_OUT = Path("reports/cosim-all")
#: The Python a finished record depends on (part of the fingerprint), by its bytes. The
#: fingerprint hashes the quantized operands themselves, so the code that makes them (the
#: network, the forward pass, the Verilog import: its table's sha256 is in the multiplier's
#: record) needs no entry; what is listed is every file between those operands and the
#: verdict: the golden arithmetic (arith, table, multiplier's network table, conv and the
#: compiled kernels with their saturation recomputation), the quantization (its scale and
#: clamp count are in the record), the layer's im2col and tile (layers), the lane mapping
#: and port packing the harness is fed and read back with (vectors, vecformat, stream) and
#: the comparison and record (cosim, this module). Over-inclusive on purpose: a comment
#: edit reruns the layers, a missed file would keep a stale PASS.
CODE_SOURCES = tuple(f"pymodel/{rel}" for rel in (
    "core/arith.py", "core/table.py", "core/multiplier.py", "core/quant.py", "core/conv.py",
    "core/kernels/__init__.py", "core/kernels/cpu.py", "core/kernels/logcode.py", "core/kernels/lut_cpu.py",
    "hw/layers.py", "hw/vectors.py", "hw/vecformat.py", "hw/stream.py", "hw/cosim.py", "hw/cosim_all.py"))
ENGINE = "stream: rtl/mbm_mac_array.v under Verilator, driven by tb/stream/mbm_mac_array_stream.cpp"


@dataclass
class Options:
    """What ``pymodel cosim-all`` was asked for (the CLI's options, validated)."""

    cfg: Multiplier
    seed: int = 1
    checkpoint: str | None = None
    data: str | None = None
    image: int = 0
    input_hw: tuple[int, int] = INPUT_HW
    layers: Sequence[str] = ("*",)
    lanes: int = MAX_LANES
    stall: int = 20
    calibration: str = "max"
    on_overflow: str = "error"
    jobs: int = 2
    force: bool = False
    out: Path = DEFAULT_OUT
    progress: bool = True
    #: only to prove that a wrong RTL is caught: other parameters, other RTL files, another
    #: imported module in the slot than ``cfg``
    rtl_overrides: dict[str, int] = field(default_factory=dict)
    rtl: Sequence[Path] | None = None
    rtl_mult: Multiplier | None = None

    @property
    def slot(self) -> Multiplier:
        """The multiplier whose circuit the harness holds (its slot files for an imported one)."""
        return self.rtl_mult or self.cfg


@dataclass
class LayerRun:
    """One layer: its quantized operands, array shape, fingerprint and (once known) record."""

    q: QuantLayer
    lanes: int
    acc_bits: int
    fingerprint: str
    record: dict | None = None
    skipped: bool = False

    @property
    def macs(self) -> int:
        oh, ow = self.q.output_hw
        return oh * ow * int(self.q.w_q.shape[0]) * self.q.k


def capture(opts: Options) -> list[tuple[str, torch.nn.Conv2d, torch.Tensor]]:
    """(name, conv, its float input) of the 14 decoder convs from one forward pass."""
    from pymodel.nn import nets
    from pymodel.nn.predict import images_to_tensor
    from pymodel.nn.scenes import render_scene

    if opts.checkpoint is None and min(opts.input_hw) < MIN_SEEDED_HW:
        raise MBMError(f"--input-hw {opts.input_hw[0]}x{opts.input_hw[1]} is too small for the seeded network: allowed "
                       f"at least {MIN_SEEDED_HW}x{MIN_SEEDED_HW} (its BatchNorm statistics need 2x2 pixels at stride 32)")
    if opts.data is None:
        rgb, _ = render_scene(opts.image, *opts.input_hw, seed=opts.seed)
        picture = images_to_tensor(rgb[None])
    else:
        picture = data_picture(opts.data, opts.image)
    if opts.checkpoint is None:
        model = seeded_model(opts.seed, picture)
    else:
        model = nets.load_depth_net(opts.checkpoint)
    seen = nets.layer_inputs(model, nets.DECODER_LAYERS, picture)
    return [(name, conv, x.double()) for name, (conv, x) in seen.items()]


def seeded_model(seed: int, picture: torch.Tensor) -> torch.nn.Module:
    """The full-width seed architecture with seeded weights, its BatchNorm statistics taken
    from ``picture`` (one forward pass in training mode, then eval): with the layers' default
    statistics the activations shrink layer by layer (decoder.conv2 would see inputs below
    2e-8, its bias then 2^42 accumulator units), nothing like a trained network's."""
    from pymodel.nn import nets

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = nets.build_depth_net()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a plain average over the batches seen: here the one picture
    model.train()
    with torch.no_grad():
        model(picture)
    return model.eval()


def select(names: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """The layers matching any of the glob patterns, in forward order; none is an error."""
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) or fnmatch.fnmatchcase(n, f"decoder.{p}")
                                      for p in patterns)]
    if not chosen:
        raise MBMError(f"--layers {','.join(patterns)} matches no decoder layer: allowed globs of "
                       f"{', '.join(names)}")
    return chosen


def fingerprint(q: QuantLayer, lanes: int, acc_bits: int, opts: Options) -> str:
    """sha256 of everything the layer's co-simulation result depends on (module docstring)."""
    params = {**array_parameters(q.cfg, lanes, acc_bits), **opts.rtl_overrides}
    h = hashlib.sha256(json.dumps({
        "layer": q.name, "config": to_dict(q.cfg), "lanes": lanes, "acc_bits": acc_bits, "stall": opts.stall,
        "seed": opts.seed, "geometry": [q.stride, q.padding, q.dilation],
        "shapes": [list(t.shape) for t in (q.x_q, q.w_q, q.bias_q)],
        "build": stream.build_key(params, opts.rtl, opts.slot),
    }, sort_keys=True).encode())
    for t in (q.x_q, q.w_q, q.bias_q):
        h.update(t.contiguous().numpy().tobytes())
    for rel in CODE_SOURCES:
        h.update(rel.encode() + b"\0" + (REPO_ROOT / rel).read_bytes())
    return h.hexdigest()


def finished(path: Path, fp: str) -> dict | None:
    """The record at ``path`` if it is a finished run with fingerprint ``fp`` (else None:
    missing, unreadable or stale)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("fingerprint") == fp else None


def plan(opts: Options) -> list[LayerRun]:
    """The selected layers, quantized, with their fingerprints. One ACC_W for all 14 layers
    (the widest any of them needs, so none can overflow): one harness build per LANES."""
    from pymodel.nn.nets import DECODER_LAYERS

    chosen = set(select(DECODER_LAYERS, opts.layers))
    quantized = [quantize_layer(conv, x, name, opts.cfg, opts.calibration, on_overflow=opts.on_overflow)
                 for name, conv, x in capture(opts)]
    acc_bits = max(default_acc_bits(q) for q in quantized)
    runs = []
    for q in quantized:
        if q.name in chosen:
            lanes = min(opts.lanes, int(q.w_q.shape[0]))
            runs.append(LayerRun(q, lanes, acc_bits, fingerprint(q, lanes, acc_bits, opts)))
    return runs


def golden(q: QuantLayer, acc_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The whole layer's accumulators (pixels, Cout) from the compiled kernel, and the
    overflow flags (none: ACC_W is wide enough for every output; the kernel's count proves it)."""
    from pymodel.core.kernels import approx_conv2d

    acc, saturated = approx_conv2d(q.x_q, q.w_q, q.bias_q, network_table(q.cfg), stride=q.stride, padding=q.padding,
                                   dilation=q.dilation, acc_bits=acc_bits)
    if saturated:
        raise MBMError(f"layer {q.name}: {saturated} outputs saturate at ACC_W={acc_bits}: allowed a width "
                       "that never overflows")
    acc = acc[0].permute(1, 2, 0).reshape(-1, q.w_q.shape[0]).numpy()
    return acc, np.zeros(acc.shape, dtype=bool)


def reference_pixels(q: QuantLayer, seed: int) -> np.ndarray:
    """Pixel indices the plain reference checks: corners, centre, then seeded random ones."""
    oh, ow = q.output_hw
    want = min(REFERENCE_PIXELS, max(5, REFERENCE_MACS // (int(q.w_q.shape[0]) * q.k)))
    fixed = [0, ow - 1, (oh - 1) * ow, oh * ow - 1, (oh // 2) * ow + ow // 2]
    shuffled = np.random.default_rng([seed, oh, ow, q.k]).permutation(oh * ow).tolist()
    return np.array(sorted(list(dict.fromkeys([*fixed, *shuffled]))[:want]))


def check_reference(q: QuantLayer, acc_bits: int, acc: np.ndarray, seed: int) -> dict:
    """The kernel's accumulators against :func:`pymodel.core.conv.dot_int` on the sample."""
    from pymodel.core.conv import dot_int

    _, ow = q.output_hw
    pixels = reference_pixels(q, seed)
    # one im2col per output row that holds sample pixels (a 1x1 tile each would pad the
    # whole input once per pixel)
    rows = torch.cat([tile_rows(q, Tile(int(i), 0, 1, ow))[torch.as_tensor(pixels[pixels // ow == i] % ow)].clone()
                      for i in np.unique(pixels // ow)])
    ref, _ = dot_int(rows, q.w_q.reshape(q.w_q.shape[0], -1), q.bias_q, network_table(q.cfg), acc_bits)
    bad = int((ref.numpy() != acc[pixels]).sum())
    return {"pixels": int(len(pixels)), "macs": int(len(pixels)) * int(q.w_q.shape[0]) * q.k, "mismatches": bad}


def run_layer(run: LayerRun, opts: Options, on_chunk: Callable[[int], None], golden_lock: threading.Lock) -> dict:
    """Co-simulate one layer in full and write its record."""
    q = run.q
    start = time.perf_counter()
    with golden_lock:  # the kernels' thread pool takes one layer at a time
        want = golden(q, run.acc_bits)
        reference = check_reference(q, run.acc_bits, want[0], opts.seed)
    t = Tile(0, 0, *q.output_hw)
    r = cosimulate_stream(q, t, run.lanes, run.acc_bits, want, stall=opts.stall, seed=opts.seed,
                          on_chunk=on_chunk, rtl_overrides=opts.rtl_overrides or None, rtl=opts.rtl,
                          rtl_mult=opts.rtl_mult)
    r = replace(r, mismatches=r.mismatches + reference["mismatches"], seconds=time.perf_counter() - start)
    source = {"checkpoint": opts.checkpoint or f"seeded full-width seed architecture (seed {opts.seed})",
              "data": opts.data or f"synthetic scene {opts.image} of pymodel.nn.scenes (seed {opts.seed})",
              "image": opts.image, "input_hw": list(opts.input_hw)}
    record = report_record(q, t, r, lanes=run.lanes, acc_bits=run.acc_bits, calibration=opts.calibration,
                           stall=opts.stall, seed=opts.seed, source=source, engine=ENGINE,
                           golden="pymodel.core.kernels.approx_conv2d", reference_sample=reference,
                           fingerprint=run.fingerprint)
    write_record(record, opts.out)
    return record


class Interrupted(Exception):
    """Raised inside a layer's stream when the run is being stopped (Ctrl-C)."""


def run_all(opts: Options) -> list[LayerRun]:
    """Plan, skip the finished layers, run the rest (largest first, ``jobs`` at a time)."""
    from tqdm import tqdm

    runs = plan(opts)
    todo = []
    for run in runs:
        record = None if opts.force else finished(opts.out / f"{run.q.name}.json", run.fingerprint)
        if record is not None:
            run.record, run.skipped = record, True
        else:
            todo.append(run)
    todo.sort(key=lambda r: r.macs, reverse=True)
    # every build first, one at a time (each Verilator build uses both cores)
    for lanes in sorted({r.lanes for r in todo}):
        stream.build({**array_parameters(opts.cfg, lanes, todo[0].acc_bits), **opts.rtl_overrides}, opts.rtl,
                     opts.slot)
    stop = threading.Event()
    golden_lock = threading.Lock()
    bar = tqdm(total=sum(r.macs for r in todo), unit="MAC", unit_scale=True, desc="cosim-all",
               disable=not opts.progress or not todo, smoothing=0.05)

    def on_chunk(macs: int) -> None:
        if stop.is_set():
            raise Interrupted
        bar.update(macs)

    def job(run: LayerRun) -> None:
        if stop.is_set():
            return
        run.record = run_layer(run, opts, on_chunk, golden_lock)

    pool = ThreadPoolExecutor(max_workers=max(1, opts.jobs))
    try:
        futures = [pool.submit(job, run) for run in todo]
        for fut in as_completed(futures):
            fut.result()
    except BaseException:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        raise
    pool.shutdown()
    bar.close()
    return runs
