"""Per-layer accuracy sweep: what does the approximate multiplier in layer X cost?

``python -m pymodel sweep [--checkpoint CK] [--data PATH] [--layers all|GLOB] [--images 5]
[--mult mbm --bits 8 ...] [--out DIR] [--resume]`` evaluates the exact (float) model, then
each selected layer approximated alone, then all selected layers together, on the same
images, and reports the NYU metrics and their % deviation from the exact model (the two
tables users produce by hand today), one bar chart per metric, and machine-readable files.
Without --checkpoint/--data it runs the bundled SYNTHETIC default (small model, procedural
scenes); every output says so.

Scales (image multiplier s_x, kernel multiplier s_w), first found wins per layer: a --scales
JSON file ``{"decoder.up1.convB": {"s_x": 64, "s_w": 512}, ...}`` (the shape of the "scales"
of a sweep.json row, so calibrated values can be edited and fed back), then --s-x/--s-w for
every layer, else calibration per layer (pymodel.nn.approx) from the first --calib-images images
run through the exact model. Every hand multiplier must be a finite number > 0 (checked before
any model work: :func:`check_multiplier`).

Loud numbers: a multiplier too large for the operand range clamps values, and the accuracy
numbers then measure the clamping, not the multiplier. Every row therefore carries how many
activations and weights were clamped and accumulators saturated (counted by
pymodel.core.quant and the kernels as they run, no extra pass), the console tables show the
shares, and every layer over pymodel.nn.clamping.WARN_PCT (0.1 %) gets one WARNING line
(also in sweep.json "warnings" and the sign-off report). A deviation whose exact value is 0 is not applicable:
n/a in the console and CSV, null in JSON.

Results are written after every finished row, so Ctrl-C keeps them and --resume continues
(only when the settings match; otherwise it refuses).

Files in --out (default reports/accuracy):

sweep.json (schema "mbm-accuracy-sweep/2"; the sign-off report reads it). The schema string
changes whenever a reader of the previous layout could misread the new one (/2: deviations
may be null, rows carry operand counts, "warnings" added); fields added alongside keep it::

    {
      "schema": "mbm-accuracy-sweep/2",
      "synthetic": bool,            # true for the bundled default: numbers are NOT the seed network's
      "note": str,                  # the plain-words synthetic notice, or ""
      "settings": {                 # everything that decides the numbers; --resume needs equality
        "checkpoint": str | null,   # null = bundled synthetic weights
        "model_config": {width_mult, last_channel, decoder_width, num_classes},
        "data": str, "images": int, "input_hw": [H, W],
        "multiplier": {"mult", "bits", "trunc", "frac_out", "label"}   # a built-in (MulConfig.to_dict)
                    | {"mult": "lut" | "verilog", "spec", "bits", "encoding", "table_sha256", "file_sha256",
                       "label"}     # an imported one (pymodel.core.multiplier.to_dict)
                    | {"assignment": {layer: spec}, "label", "multipliers": {spec: record}},  # --assignment
        "scales": {"file": {layer: {"s_x", "s_w"}} | null, "s_x": float | null, "s_w": float | null,
                   "method", "weight_method",
                   "per_channel", "pow2", "percentile", "calib_images"},
        "evaluation": {"flip": bool, "coding": {max_depth, min_depth, unit_m, inverse},
                       "valid_range_m": [lo, hi], "crop": [row0, row1, col0, col1]},  # half-open
        "layers": [str, ...],       # the selected layers, forward order
        "backend": str
      },
      "rows": [                     # in order: "exact", each layer, "all"
        {"label": str,              # "exact", a layer name, or "all"
         "layers": [str, ...],      # approximated layers ([] for exact)
         "metrics": {"a1", "a2", "a3", "rel", "rms", "log10"},       # mean over images
         "deviation_pct": {same keys},  # 100 * (value - exact) / exact, null where exact is 0;
                                        # zeros for "exact"
         "seconds": float,          # wall time of this row (swap, inference, metrics)
         "inputs": int,             # activation values quantized (all layers, all calls)
         "clamped_inputs": int,     # of those, clamped to the operand range
         "weights": int,            # weights quantized (once per layer)
         "clamped_weights": int,    # of those, clamped to the operand range
         "accumulators": int,       # accumulator outputs computed
         "saturated": int,          # of those, saturated (0 with the default wide accumulator)
         "per_layer": {layer: {the six counts above}},   # the same counts per approximated layer
         "scales": {layer: {"s_x": float, "s_w": float | [float, ...]}}}
      ],
      "warnings": [                 # one per layer and kind over 0.1 % (pymodel.nn.clamping.clamp_warnings)
        {"layer": str, "kind": "clamped_inputs" | "clamped_weights" | "saturated",
         "row": str,                # the row the numbers are from (the layer's own, else "all")
         "rows": [str, ...],        # every row in which this layer was over the limit
         "count": int, "total": int, "share_pct": float,
         "message": str}            # the console's WARNING line, without "WARNING: "
      ],
      "backend_used": str,          # the integer kernel backend "auto" resolved to ("reference" if no kernels)
      "complete": bool,             # all rows done
      "seconds": float,             # sum of row times
      "versions": {"python", "torch", "numpy"}
    }

sweep.csv: one line per row: label, the six metrics, dev_<metric> for each (n/a where the
exact value is 0), seconds, the six counts, synthetic (True for the bundled default).
deviation_<metric>.png: deviation vs layer bar charts.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from torch import nn

from pymodel.core.errors import MBMError
from pymodel.nn.clamping import COUNTS, KINDS, WARN_PCT, share_pct
from pymodel.nn.metrics import METRICS

SCHEMA = "mbm-accuracy-sweep/2"
DEFAULT_OUT = Path("reports/accuracy")
#: The results file in the output folder (next to sweep.csv and the charts).
SWEEP_FILE = "sweep.json"


#: Images up to this many pixels run single-threaded by default: their small convs gain nothing
#: from intra-op threads and lose much to thread barriers on a shared CPU (measured: the
#: bundled-default sweep took 0.7 s of rows on 1 thread, 26-33 s on 2, with other jobs running).
SMALL_INPUT_PIXELS = 160 * 128
#: Memory the sweep may spend caching exact encoder features and decoder block outputs.
CACHE_BYTES = 3 << 30


class _Replay(nn.Module):
    """Stands in for an exact decoder block: returns its cached output, ignores the inputs."""

    def __init__(self, output: Any) -> None:
        super().__init__()
        self.output = output

    def forward(self, *_: Any) -> Any:
        return self.output


class Predictor:
    """Depth predictions of a DepthNet on fixed images, computing only what a row changes.

    While only decoder layers are approximated, the encoder features are the exact ones, and
    so are the outputs of the decoder blocks before the first approximated one: both are
    cached (up to CACHE_BYTES; past that they are recomputed) and replayed, so a row costs
    the decoder from its first approximated block on.
    """

    def __init__(self, model: Any, rgb: Any, coding: Any, flip: bool, batch_size: int) -> None:
        self.model, self.rgb, self.coding, self.flip, self.batch = model, rgb, coding, flip, batch_size
        self._cache: dict[tuple[int, bool], dict[str, Any]] = {}
        self._bytes = 0

    def _first_block(self, approximated: list[str]) -> int | None:
        """Index in DECODER_BLOCKS of the first block holding an approximated layer (None: no reuse)."""
        from pymodel.nn.nets.depth import DECODER_BLOCKS

        if not hasattr(self.model, "decoder") or any(not n.startswith("decoder.") for n in approximated):
            return None
        blocks = [n.split(".")[1] for n in approximated]
        return min((DECODER_BLOCKS.index(b) for b in blocks), default=len(DECODER_BLOCKS))

    def _keep(self, entry: dict[str, Any], name: str, value: Any) -> None:
        size = sum(t.numel() * t.element_size() for t in (value if isinstance(value, list) else [value]))
        if name not in entry and self._bytes + size <= CACHE_BYTES:
            entry[name] = value
            self._bytes += size

    def _forward(self, x: Any, key: tuple[int, bool], first: int | None) -> Any:
        from pymodel.nn.nets.depth import DECODER_BLOCKS

        if first is None:
            return self.model(x)
        entry = self._cache.setdefault(key, {})
        features = entry.get("features")
        if features is None:
            features = self.model.encoder(x)
            self._keep(entry, "features", features)
        decoder = self.model.decoder
        exact = DECODER_BLOCKS[:first]
        replayed = [b for b in exact if b in entry]
        originals = {b: getattr(decoder, b) for b in replayed}
        hooks = [getattr(decoder, b).register_forward_hook(
            lambda _m, _a, out, b=b: self._keep(entry, b, out)) for b in exact if b not in entry]
        try:
            for b in replayed:
                setattr(decoder, b, _Replay(entry[b]))
            return decoder(features)
        finally:
            for h in hooks:
                h.remove()
            for b, module in originals.items():
                setattr(decoder, b, module)

    def __call__(self, approximated: list[str]) -> Any:
        from pymodel.nn.predict import predict_depth

        first = self._first_block(approximated)
        return predict_depth(
            self.model, self.rgb, self.coding, flip=self.flip, batch_size=self.batch,
            forward=lambda x, start, mirrored: self._forward(x, (start, mirrored), first),
        )


@contextlib.contextmanager
def thread_limit(n: int) -> Iterator[None]:
    """Intra-op threads of torch and of the compiled (numba) kernels set to n (0: unchanged)
    while the block runs, then put back (the CLI may run inside a longer-lived process)."""
    import torch

    try:
        import numba
    except ImportError:
        numba = None
    before = (torch.get_num_threads(), numba.get_num_threads() if numba else 0)
    if n:
        torch.set_num_threads(n)
        if numba:
            numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        if numba:
            numba.set_num_threads(before[1])


def check_multiplier(value: Any, what: str) -> None:
    """Refuse a hand multiplier that is not a finite number > 0 (NaN, inf, 0, negative, text).

    Quantization refuses it too, but only when the first row using it runs, after the rows
    before it; the sweep checks every hand value before any model work instead.
    """
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not (isinstance(value, int) or math.isfinite(value)) or value <= 0:
        raise MBMError(f"{what}={value!r}: allowed a finite number > 0")


def read_scale_file(path: Path) -> dict[str, dict[str, Any]]:
    """A --scales file: {layer: {"s_x": number, "s_w": number or one per output channel}},
    every number finite and > 0 (the layer names are checked by :func:`check_scale_layers`)."""
    shape = '{"layer": {"s_x": number, "s_w": number}}'
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise MBMError(f"--scales {path}: {type(err).__name__}: need a JSON file like {shape}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise MBMError(f"--scales {path} is not an object of objects: need {shape}")
    for layer, entry in data.items():
        for key, value in entry.items():
            where = f"--scales {path}: {layer}.{key}"
            if key not in ("s_x", "s_w"):
                raise MBMError(f"{where}: unknown key: allowed s_x, s_w")
            if key == "s_w" and isinstance(value, list):
                if not value:
                    raise MBMError(f"{where}=[]: allowed a finite number > 0, or one per output channel")
                for v in value:
                    check_multiplier(v, where)
            else:
                check_multiplier(value, where)
    return data


def check_scale_layers(
    scales: dict[str, dict[str, Any]], path: Path, model: nn.Module, layers: list[str]
) -> None:
    """Every layer of a --scales file is selected, and a per-channel s_w has one value per
    output channel (checked before any row runs, not when the layer's row does)."""
    for layer, entry in scales.items():
        if layer not in layers:
            raise MBMError(
                f"--scales {path} names {layer!r}, not a selected layer: allowed {', '.join(layers[:4])}, ..."
            )
        s_w, out_channels = entry.get("s_w"), model.get_submodule(layer).weight.shape[0]
        if isinstance(s_w, list) and len(s_w) not in (1, out_channels):
            raise MBMError(f"--scales {path}: {layer}.s_w has {len(s_w)} values: "
                           f"allowed one, or one per output channel ({out_channels})")


def scale_json(t: Any) -> float | list[float]:
    return float(t) if t.numel() == 1 else [float(v) for v in t.reshape(-1)]


def _deviation_text(value: float | None, spec: str, unit: str = "") -> str:
    """A deviation in the console and CSV: n/a where it is not applicable (exact value 0)."""
    return "n/a" if value is None else format(value, spec) + unit


def write_results(out: Path, doc: dict) -> None:
    """sweep.json and sweep.csv, each replaced atomically (Ctrl-C never leaves half a file)."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"{SWEEP_FILE}.tmp"
    tmp.write_text(json.dumps(doc, indent=2))
    os.replace(tmp, out / SWEEP_FILE)
    tmp = out / "sweep.csv.tmp"
    with tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label", *METRICS, *(f"dev_{m}" for m in METRICS), "seconds", *COUNTS, "synthetic"])
        for r in doc["rows"]:
            w.writerow([r["label"], *(f"{r['metrics'][m]:.6g}" for m in METRICS),
                        *(_deviation_text(r["deviation_pct"][m], ".4g") for m in METRICS),
                        f"{r['seconds']:.3f}", *(r[k] for k in COUNTS), doc["synthetic"]])
    os.replace(tmp, out / "sweep.csv")


#: Console headers of the KINDS shares, in their order.
SHARE_HEADS = ("clamp x", "clamp w", "sat")


def _share_cells(row: dict[str, Any], warned: set[tuple[str, str]]) -> str:
    """The clamped and saturated shares of a row; "!" marks a kind that a layer of this row is
    over the warning limit in (warned: (row label, kind) pairs)."""
    cells = []
    for kind, (of, _) in KINDS.items():
        share = share_pct(row[kind], row[of])
        mark = "!" if (row["label"], kind) in warned else " "
        cells.append(f"{'—':>10} " if share is None else f"{share:>9.3f}%{mark}")
    return "".join(cells)


def format_tables(doc: dict) -> str:
    """The seed's two tables: metric values per row with the shares of clamped activations and
    weights and saturated accumulators, then % deviation from the exact model; then one
    WARNING line per entry of doc["warnings"]."""
    warned = {(label, w["kind"]) for w in doc["warnings"] for label in w["rows"]}
    head = f"{'layer':<20}" + "".join(f"{m:>10}" for m in METRICS) + "".join(f"{h:>11}" for h in SHARE_HEADS)
    lines = [head]
    for r in doc["rows"]:
        values = "".join(f"{r['metrics'][m]:>10.4f}" for m in METRICS)
        lines.append(f"{r['label'].removeprefix('decoder.'):<20}{values}{_share_cells(r, warned)}".rstrip())
    lines += ["", f"{'layer':<20}" + "".join(f"{m + ' dev':>12}" for m in METRICS)]
    for r in doc["rows"][1:]:
        lines.append(f"{r['label'].removeprefix('decoder.'):<20}"
                     + "".join(f"{_deviation_text(r['deviation_pct'][m], '.2f', '%'):>12}" for m in METRICS))
    lines.append(f"\n(clamp x / clamp w: activations / weights clamped to the operand range; "
                 f"sat: saturated accumulators; ! = a layer of the row over {WARN_PCT:g} %)")
    lines += [f"WARNING: {w['message']}" for w in doc["warnings"]]
    return "\n".join(lines)


def plot_deviations(doc: dict, out: Path) -> list[Path]:
    """One bar chart per metric of % deviation vs layer (the 'all' bar in a second colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = doc["rows"][1:]
    labels = [r["label"].removeprefix("decoder.") for r in rows]
    colours = ["tab:orange" if r["label"] == "all" else "tab:blue" for r in rows]
    label = doc["settings"]["multiplier"]["label"]
    tag = " - SYNTHETIC default" if doc["synthetic"] else ""
    paths = []
    for m in METRICS:
        fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(rows) + 2), 4))
        # n/a (exact value 0): no bar
        heights = [math.nan if r["deviation_pct"][m] is None else r["deviation_pct"][m] for r in rows]
        ax.bar(labels, heights, color=colours)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(f"{m} deviation vs layer ({label}){tag}")
        ax.set_xlabel("approximated layer")
        ax.set_ylabel(f"{m} deviation from exact model (%)")
        ax.tick_params(axis="x", rotation=60)
        fig.tight_layout()
        path = out / f"deviation_{m}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
