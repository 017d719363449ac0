"""Benchmark the approximate conv backends against exact float conv (``make bench``).

Why: speed decides whether the tool is used for sweeps (14 layers x multipliers x
calibrations x hundreds of images); the workflow it replaces needed hours per layer. For each
of the 14 decoder conv layers of the seed network at 480x640 input (random integer operands
with the layer's shapes, batch 1, stride 1, padding 1) this times every selected backend and
the exact ``torch.nn.functional.conv2d`` (float32) in the same run, one right after the
other on the same operands, and reports medians after a warm-up. Timings of wrong results
are worthless, so every layer's output is also compared between backends and, on a corner
crop, with the reference model (:func:`spot_check`); a mismatch is an error.

Output: a printed table and ``reports/bench.json``::

    {"rows": [{layer, backend, shape, gmac, seconds, exact_seconds, gmac_per_s, ratio,
               device, threads}, ...],
     "summary": {backend: {geomean_ratio, sweep_seconds, layers}}, "config", "versions"}

``ratio`` is approx / exact time; ``sweep_seconds`` estimates the kernel time of a per-layer
sweep over 5 images (5 x the sum of the layers' approx times; the exact rest of the network
is not counted). Targets (issue 5, measured, never asserted): geometric-mean ratio <= 10 on a
2-core CPU (<= 5 on an H100-class GPU) and a 5-image sweep under 60 s on the CPU.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import math
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, label, network_table, operand_bounds, spec_of
from pymodel.core.table import ProductTable

#: Where ``pymodel bench`` writes its document unless told otherwise (the report reads it).
DEFAULT_OUT = Path("reports/bench.json")
#: Images of the per-layer sweep the time estimate is for.
SWEEP_IMAGES = 5
TARGET_RATIO_CPU, TARGET_RATIO_GPU, TARGET_SWEEP_S = 10.0, 5.0, 60.0


@dataclass(frozen=True)
class LayerShape:
    """One decoder conv at 480x640 network input: input H x W, channels, square kernel."""

    name: str
    height: int
    width: int
    cin: int
    cout: int
    kernel: int
    padding: int = 1

    @property
    def out_hw(self) -> tuple[int, int]:
        grow = 2 * self.padding - self.kernel + 1
        return self.height + grow, self.width + grow

    @property
    def gmac(self) -> float:
        """Multiply-accumulates of one image, in units of 1e9."""
        oh, ow = self.out_hw
        return oh * ow * self.cin * self.cout * self.kernel**2 / 1e9

    @property
    def shape(self) -> str:
        return f"{self.height}x{self.width} {self.cin}->{self.cout} {self.kernel}x{self.kernel}"


#: The 14 decoder layers of the seed network (names as in pymodel.nn.nets.depth.DECODER_LAYERS).
SEED_LAYERS: tuple[LayerShape, ...] = (
    LayerShape("decoder.conv2", 15, 20, 1280, 768, 1),
    LayerShape("decoder.up0.convA", 15, 20, 1088, 384, 3),
    LayerShape("decoder.up0.convB", 15, 20, 384, 384, 3),
    LayerShape("decoder.up1.convA", 15, 20, 544, 384, 3),
    LayerShape("decoder.up1.convB", 15, 20, 384, 384, 3),
    LayerShape("decoder.up2.convA", 30, 40, 448, 192, 3),
    LayerShape("decoder.up2.convB", 30, 40, 192, 192, 3),
    LayerShape("decoder.up3.convA", 60, 80, 224, 96, 3),
    LayerShape("decoder.up3.convB", 60, 80, 96, 96, 3),
    LayerShape("decoder.up4.convA", 120, 160, 120, 96, 3),
    LayerShape("decoder.up4.convB", 120, 160, 96, 96, 3),
    LayerShape("decoder.up5.convA", 240, 320, 112, 48, 3),
    LayerShape("decoder.up5.convB", 240, 320, 48, 48, 3),
    LayerShape("decoder.conv3", 240, 320, 48, 1, 3),
)


def select_layers(patterns: Sequence[str] | None) -> list[LayerShape]:
    """Layers whose name matches any glob (``up5*`` works without the ``decoder.`` prefix)."""
    if not patterns:
        return list(SEED_LAYERS)
    chosen = [
        layer for layer in SEED_LAYERS
        if any(fnmatch.fnmatch(layer.name, p) or fnmatch.fnmatch(layer.name, f"decoder.{p}") for p in patterns)
    ]
    if not chosen:
        names = ", ".join(layer.name for layer in SEED_LAYERS)
        raise MBMError(f"--layers {','.join(patterns)} matches no layer: allowed {names} (globs ok)")
    return chosen


def median_seconds(fn: Callable[[], Any], repeats: int, warmup: int, sync: Callable[[], None]) -> float:
    """Median wall seconds of ``repeats`` calls after ``warmup`` untimed ones.

    Each contender is timed in its own block: alternating torch's and numba's thread pools
    call by call makes each pay for the other's spinning idle threads.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def device_name(device: str) -> str:
    """Human name of the device the timings ran on (CPU model or CUDA device)."""
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name()
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"cpu: {model}"


def backend_threads(backend: str) -> int:
    """Threads the backend's work ran on (CPU) or 0 for a GPU kernel."""
    if backend == "cpu":
        from pymodel.core.kernels.cpu import threads

        return threads()
    if backend == "triton":
        return 0
    import torch

    return torch.get_num_threads()


def bench_layer(layer: LayerShape, backends: Sequence[str], m: Multiplier, repeats: int,
                warmup: int, seed: int = 0) -> list[dict[str, Any]]:
    """Rows of one layer: each backend timed against the exact float conv on the same device,
    on random operands over the multiplier's whole signed range. An imported multiplier runs
    its network table on the gather kernels (:func:`pymodel.core.multiplier.network_table`)."""
    import torch
    import torch.nn.functional as F

    from pymodel.core.kernels import approx_conv2d

    cfg = network_table(m)
    gen = torch.Generator().manual_seed(seed)
    lo, hi = operand_bounds(m)
    x = torch.randint(lo, hi + 1, (1, layer.cin, layer.height, layer.width), generator=gen)
    w = torch.randint(lo, hi + 1, (layer.cout, layer.cin, layer.kernel, layer.kernel), generator=gen)
    bias = torch.randint(-1000, 1001, (layer.cout,), generator=gen)
    rows, results = [], {}
    for backend in backends:
        device = "cuda" if backend == "triton" and torch.cuda.is_available() else "cpu"
        xd, wd, bd = x.to(device), w.to(device), bias.to(device)
        xf, wf, bf = xd.float(), wd.float(), bd.float()
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        def approx(backend: str = backend) -> None:
            results[backend] = approx_conv2d(xd, wd, bd, cfg, padding=layer.padding, backend=backend)[0]

        exact_seconds = median_seconds(lambda: F.conv2d(xf, wf, bf, padding=layer.padding), repeats, warmup, sync)
        seconds = median_seconds(approx, repeats, warmup, sync)
        rows.append({
            "layer": layer.name, "backend": backend, "shape": layer.shape, "gmac": round(layer.gmac, 4),
            "seconds": seconds, "exact_seconds": exact_seconds, "gmac_per_s": layer.gmac / seconds,
            "ratio": seconds / exact_seconds, "device": device_name(device), "threads": backend_threads(backend),
        })
    outputs = [r.cpu() for r in results.values()]
    if any(not torch.equal(outputs[0], o) for o in outputs[1:]):
        raise MBMError(f"layer {layer.name}: backends {', '.join(results)} disagree (a kernel bug)")
    if outputs and not spot_check(outputs[0], x, w, bias, layer, cfg):
        raise MBMError(f"layer {layer.name}: backend {next(iter(results))} differs from pymodel.core.conv (a kernel bug)")
    return rows


def spot_check(acc, x, w, bias, layer: LayerShape, cfg: "MulConfig | ProductTable", crop: int = 6, channels: int = 2) -> bool:
    """True when the timed output's top-left corner equals the reference model's.

    The reference runs on a crop x[..., :crop, :crop] and the first ``channels`` output
    channels; outputs whose receptive field stays inside the crop must agree bit for bit.
    """
    import torch

    from pymodel.core import conv

    want, _ = conv.conv2d_int(x[:, :, :crop, :crop], w[:channels], bias[:channels], cfg, padding=layer.padding)
    valid = crop + layer.padding - layer.kernel + 1
    return torch.equal(acc[:, :channels, :valid, :valid], want[:, :, :valid, :valid])


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per backend: geometric-mean ratio over its layers and the 5-image sweep estimate."""
    out = {}
    for backend in dict.fromkeys(r["backend"] for r in rows):
        mine = [r for r in rows if r["backend"] == backend]
        out[backend] = {
            "geomean_ratio": math.exp(statistics.fmean(math.log(r["ratio"]) for r in mine)),
            "sweep_seconds": SWEEP_IMAGES * sum(r["seconds"] for r in mine),
            "layers": len(mine),
        }
    return out


def versions() -> dict[str, str]:
    """Versions of what the timings depend on."""
    found = {"python": platform.python_version()}
    for name in ("torch", "numpy", "numba", "llvmlite", "triton"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def format_table(rows: list[dict[str, Any]], summary: dict[str, dict[str, float]], full: bool) -> str:
    """The printed report: one line per (layer, backend), then the summary and the targets."""
    head = f"{'layer':<19} {'backend':<9} {'shape':<24} {'GMAC':>7} {'approx s':>9} {'exact s':>9} " \
           f"{'GMAC/s':>7} {'ratio':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['layer']:<19} {r['backend']:<9} {r['shape']:<24} {r['gmac']:>7.3f} {r['seconds']:>9.4f} "
                     f"{r['exact_seconds']:>9.4f} {r['gmac_per_s']:>7.3g} {r['ratio']:>7.1f}")
    for backend, s in summary.items():
        gpu = backend == "triton" and any(r["device"] != device_name("cpu") for r in rows if r["backend"] == backend)
        target = TARGET_RATIO_GPU if gpu else TARGET_RATIO_CPU
        verdict = "met" if s["geomean_ratio"] <= target else f"missed by {s['geomean_ratio'] / target:.1f}x"
        lines.append(f"{backend}: geomean approx/exact = {s['geomean_ratio']:.2f} over {s['layers']} layers "
                     f"(target <= {target:g}: {verdict})")
        sweep = f"{backend}: {SWEEP_IMAGES}-image sweep of these layers ~ {s['sweep_seconds']:.1f} s"
        if full and not gpu:
            ok = s["sweep_seconds"] < TARGET_SWEEP_S
            sweep += f" (target < {TARGET_SWEEP_S:g} s: {'met' if ok else 'missed'})"
        lines.append(sweep)
    return "\n".join(lines)


def run(layers: Sequence[LayerShape], backends: Sequence[str], m: Multiplier, repeats: int,
        warmup: int = 1) -> dict[str, Any]:
    """Time every (layer, backend); returns the bench.json document."""
    from tqdm import tqdm

    rows = []
    for layer in tqdm(layers, desc="bench", unit="layer", leave=False):
        rows.extend(bench_layer(layer, backends, m, repeats, warmup))
    return {
        "rows": rows,
        "summary": summarize(rows),
        "config": {"multiplier": label(m), "spec": spec_of(m), "repeats": repeats, "warmup": warmup, "batch": 1,
                   "input": "480x640 network input (decoder layer shapes)", "sweep_images": SWEEP_IMAGES},
        "versions": versions(),
    }
