"""``pymodel sweep``: the command line of :mod:`pymodel.nn.sweep`."""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pymodel.cli.common import add_mul_arguments, multiplier
from pymodel.core import multiplier as mm
from pymodel.core.errors import MBMError
from pymodel.hw.multiplier import resolve
from pymodel.nn.clamping import clamp_warnings, row_counts
from pymodel.nn.sweep import (
    DEFAULT_OUT,
    SCHEMA,
    SMALL_INPUT_PIXELS,
    SWEEP_FILE,
    Predictor,
    check_multiplier,
    check_scale_layers,
    format_tables,
    plot_deviations,
    read_scale_file,
    scale_json,
    thread_limit,
    write_results,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, help="seed network checkpoint (.pt/.pth); default: bundled SYNTHETIC small model")
    parser.add_argument("--data", type=Path, help="nyu_test.zip, its unpacked folder, or nyu_depth_v2_labeled.mat; default: SYNTHETIC scenes")
    parser.add_argument("--layers", default="all", help="'all' (the 14 decoder layers) or a name/glob/comma list, e.g. 'decoder.up*.convA'")
    parser.add_argument("--images", type=int, default=5, help="images to evaluate (the first N)")
    add_mul_arguments(parser)
    parser.add_argument("--assignment", type=Path,
                        help='JSON {layer: spec} (or an explore.json): a multiplier per layer instead of --mult/--bits; '
                             'the layers are its keys')
    parser.add_argument("--scales", type=Path, help='JSON {layer: {"s_x": .., "s_w": ..}}: per-layer multipliers by hand')
    parser.add_argument("--s-x", type=float, help="image multiplier for every layer (default: calibrated)")
    parser.add_argument("--s-w", type=float, help="kernel multiplier for every layer (default: calibrated)")
    parser.add_argument("--method", default="max", help="activation calibration: max, percentile, mse")
    parser.add_argument("--weight-method", default="max", help="weight calibration: max, percentile, mse")
    parser.add_argument("--per-channel", action="store_true", help="one kernel multiplier per output channel")
    parser.add_argument("--pow2", action="store_true", help="power-of-two multipliers")
    parser.add_argument("--percentile", type=float, default=99.99, help="for --method percentile")
    parser.add_argument("--calib-images", type=int, default=2, help="images used to calibrate the multipliers")
    parser.add_argument("--flip", action="store_true", help="average with the mirrored prediction (DenseDepth test-time flip)")
    parser.add_argument("--backend", default="auto", help="integer kernel backend (pymodel.core.kernels), default auto")
    parser.add_argument("--batch-size", type=int, default=1, help="images per forward pass")
    parser.add_argument("--threads", type=int, default=0,
                        help=f"torch and kernel threads; 0 = auto: 1 up to {SMALL_INPUT_PIXELS} pixels per image, else torch's default")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--resume", action="store_true", help="keep finished rows of a matching sweep in --out")

def main(args: argparse.Namespace) -> int:
    """The sweep command (see the module docstring)."""
    with contextlib.ExitStack() as stack:
        return _run(args, stack)

def _run(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    import numpy as np
    import torch
    from tqdm import tqdm

    from pymodel.nn import approx
    from pymodel.nn.data import load_dataset
    from pymodel.nn.metrics import DepthCoding, deviation_pct, mean_errors
    from pymodel.nn.nets import DECODER_LAYERS, SYNTHETIC_NOTE, default_model, load_depth_net
    from pymodel.nn.predict import images_to_tensor

    cfg = multiplier(args)
    if args.images < 1 or args.calib_images < 1 or args.batch_size < 1:
        raise MBMError("--images, --calib-images and --batch-size must be at least 1")
    for flag, value in (("--s-x", args.s_x), ("--s-w", args.s_w)):
        if value is not None:
            check_multiplier(value, flag)
    per_layer = read_scale_file(args.scales) if args.scales else {}
    options = approx.ScaleOptions(args.method, args.weight_method, args.per_channel, args.pow2, args.percentile)
    model = default_model() if args.checkpoint is None else load_depth_net(args.checkpoint)
    data = load_dataset(args.data, args.images)
    synthetic = args.checkpoint is None or data.synthetic
    if synthetic:
        print(f"NOTE: {SYNTHETIC_NOTE}")
    if args.assignment is not None and args.layers != "all":
        raise MBMError("--assignment names its layers: drop --layers")
    if args.assignment is not None:
        per_cfg = approx.resolve_assignment(model, approx.read_assignment(args.assignment), resolve=resolve)
        layers = list(per_cfg)
    else:
        layers = list(DECODER_LAYERS) if args.layers == "all" else approx.select_layers(model, args.layers)
        per_cfg = dict.fromkeys(layers, cfg)
    check_scale_layers(per_layer, args.scales, model, layers)
    coding, valid_range = DepthCoding(), (1e-3, 10.0)
    rows_sl, cols_sl = data.crop
    settings = {
        "checkpoint": None if args.checkpoint is None else str(args.checkpoint),
        "model_config": model.config.to_dict(),
        "data": data.source, "images": len(data), "input_hw": list(data.rgb.shape[1:3]),
        "multiplier": {**mm.to_dict(cfg), "label": mm.label(cfg)} if args.assignment is None else
                      {"assignment": {n: mm.spec_of(c) for n, c in per_cfg.items()},
                       "label": "per-layer assignment: " + ", ".join(sorted({mm.spec_of(c) for c in per_cfg.values()})),
                       "multipliers": {mm.spec_of(c): mm.to_dict(c) for c in per_cfg.values()}},
        "scales": {"file": per_layer or None, "s_x": args.s_x, "s_w": args.s_w, "method": options.method,
                   "weight_method": options.weight_method, "per_channel": options.per_channel,
                   "pow2": options.pow2, "percentile": options.percentile, "calib_images": args.calib_images},
        "evaluation": {"flip": args.flip, "coding": asdict(coding), "valid_range_m": list(valid_range),
                       "crop": [rows_sl.start, rows_sl.stop, cols_sl.start, cols_sl.stop]},
        "layers": layers, "backend": args.backend,
    }
    doc: dict[str, Any] = {
        "schema": SCHEMA, "synthetic": synthetic, "note": SYNTHETIC_NOTE if synthetic else "",
        "settings": settings, "rows": [], "warnings": [],
        "backend_used": approx.resolved_backend(args.backend),
        "complete": False, "seconds": 0.0,
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
    }
    previous = args.out / SWEEP_FILE
    if args.resume and previous.is_file():
        old = json.loads(previous.read_text())
        if old.get("schema") != SCHEMA or json.loads(json.dumps(settings)) != old.get("settings"):
            raise MBMError(f"{previous} was run with other settings: use another --out or drop --resume")
        doc["rows"] = old["rows"]
        print(f"resuming: {len(doc['rows'])} finished rows kept from {previous}")

    # Hand multipliers win; whatever is not given by hand is calibrated on the exact model.
    hand = {n: [per_layer.get(n, {}).get(k, flag) for k, flag in (("s_x", args.s_x), ("s_w", args.s_w))]
            for n in layers}
    uncalibrated = {n: per_cfg[n] for n in layers if None in hand[n]}
    calibrated = approx.calibrate_plan(model, uncalibrated, images_to_tensor(data.rgb[: args.calib_images]),
                                       options) if uncalibrated else {}
    scales = {
        n: tuple(calibrated[n][i] if v is None else torch.tensor(v, dtype=torch.float64) for i, v in enumerate(hand[n]))
        for n in layers
    }
    threads = args.threads or (1 if data.rgb.shape[1] * data.rgb.shape[2] <= SMALL_INPUT_PIXELS else 0)
    stack.enter_context(thread_limit(threads))
    for used in set(per_cfg.values()):
        approx.warm_up(used, args.backend)
    predict = Predictor(model, data.rgb, coding, args.flip, args.batch_size)
    plan = [("exact", []), *((n, [n]) for n in layers), ("all", layers)]
    done = {r["label"] for r in doc["rows"]}
    exact = next((r["metrics"] for r in doc["rows"] if r["label"] == "exact"), None)
    bar = tqdm(plan, desc="sweep", unit="row")
    for label, chosen in bar:
        if label in done:
            continue
        bar.set_postfix_str(label)
        t0 = time.perf_counter()
        swapped = approx.approximate(model, {n: per_cfg[n] for n in chosen}, scales=scales,
                                                backend=args.backend) if chosen else {}
        try:
            pred = predict(chosen)
        finally:
            approx.restore(model)
        metrics = mean_errors(data.depth, pred, data.crop, valid_range)
        exact = exact or metrics
        doc["rows"].append({
            "label": label, "layers": chosen, "metrics": metrics, "deviation_pct": deviation_pct(metrics, exact),
            "seconds": round(time.perf_counter() - t0, 3),
            **row_counts(swapped),
            "scales": {n: {"s_x": scale_json(scales[n][0]), "s_w": scale_json(scales[n][1])} for n in chosen},
        })
        doc["seconds"] = round(sum(r["seconds"] for r in doc["rows"]), 3)
        doc["warnings"] = clamp_warnings(doc)
        write_results(args.out, doc)
    order = {label: i for i, (label, _) in enumerate(plan)}
    doc["rows"].sort(key=lambda r: order[r["label"]])
    doc["complete"] = True
    doc["warnings"] = clamp_warnings(doc)
    write_results(args.out, doc)
    plot_deviations(doc, args.out)
    print(f"\n{settings['multiplier']['label']}, {len(data)} images from {data.source}" + (" (SYNTHETIC)" if synthetic else ""))
    print(format_tables(doc))
    print(f"\nwrote {args.out / SWEEP_FILE}, sweep.csv, deviation_*.png; {doc['seconds']:.1f} s of rows")
    if synthetic:
        print(f"NOTE: {SYNTHETIC_NOTE}")
    return 0
