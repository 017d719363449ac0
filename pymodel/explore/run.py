"""A whole exploration: baseline, per-layer table with error attribution, search, Pareto front, files.

Steps (``pymodel explore``, ``make explore``):

(a) the exact float network on the images (the reference of every deviation);
(b) for each layer and candidate, the deviation when that layer alone uses it, split into the
    quantization error (the exact multiplier at the same width with the same scales) and the
    multiplier error (the rest);
(c) the per-layer assignment of least hardware cost within the budget
    (:mod:`pymodel.explore.search`: exhaustive when the space is small, else greedy with a
    verification run of the combined assignment, repaired until it meets the budget);
(d) the Pareto front of total cost against worst-metric deviation over every assignment evaluated.

explore.json (schema "mbm-explore/1")::

    {
      "schema": "mbm-explore/1",
      "synthetic": bool,                    # the bundled default: numbers are NOT the seed network's
      "candidates": [spec, ...],            # canonical spec strings (pymodel.core.spec), verilog: ones too
      "labels": {spec: label},              # pymodel.core.multiplier.label: "mbm N=8 t=0", "drum_mul N=8 unsigned"
      "baseline": spec,                     # the exact multiplier every layer has in the baseline
      "layers": [{"name", "macs"}],         # MACs for one image at the explored input size
      "budget": {metric: {"lower": pct | null, "upper": pct | null}},
      "exact_metrics": {metric: value},     # the float network
      "table": {layer: {spec: {"deviation_pct": {metric: pct | null},
                               "quantization_pct": {metric: pct | null},
                               "multiplier_pct": {metric: pct | null},
                               "cost": float, "within_budget": bool,
                               "clamped_inputs": int, "saturated": int}}},
      "cost_model": {"unit", "flow", "per_mac": {spec: float}, "description",
                     "source": {spec: {..., "label", "file_sha256", "table_sha256"}}},  # sha256s: imported only
      "search": {"method": "greedy" | "exhaustive", "steps": [str, ...], "evaluated": int},
      "assignment": {layer: spec},          # the chosen one (feed to sweep --assignment)
      "metrics": {metric: value}, "deviation_pct": {metric: pct | null},   # of the chosen assignment
      "cost": float, "baseline_cost": float, "saved_pct": float,
      "pareto": [{"cost", "worst_deviation_pct", "assignment"}],
      "evaluated": [{"cost", "worst_deviation_pct"}],   # every combined assignment evaluated
      "settings": {...},                    # everything that decides the numbers; --resume needs equality
      "versions": {...}, "seconds": float
    }

Candidates: built-in specs and imported ``verilog:`` modules (costed as their own RTL); the
checks and their reasons are :func:`check_candidates`.

Also in --out: rows.jsonl (the journal of every evaluated row, for --resume), pareto.png,
heatmap.png (layer x candidate deviation) and signoff.toml (the sign-off configuration of the
chosen assignment).
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pymodel.core import multiplier as mm
from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.spec import ImportSpec, spec_string
from pymodel.explore import cost as costmodel
from pymodel.explore import search
from pymodel.explore.budget import Budget, excess, worst_deviation
from pymodel.explore.execute import Journal, Row, check_ray_address, run_rows
from pymodel.nn import approx
from pymodel.nn.data import load_dataset
from pymodel.nn.evaluate import Evaluation, RowResult
from pymodel.nn.metrics import METRICS, deviation_pct
from pymodel.nn.nets import DECODER_LAYERS, SYNTHETIC_NOTE, default_model, load_depth_net

SCHEMA = "mbm-explore/1"
#: candidates^layers up to this many assignments are searched exhaustively
EXHAUSTIVE_LIMIT = 64


@dataclass
class ExploreSettings:
    """What an exploration is asked (the CLI's options)."""

    candidates: list[mm.Multiplier]
    budget: Budget
    layers: str = "all"
    checkpoint: str | None = None
    data: str | None = None
    images: int = 2
    calib_images: int = 2
    cost_model: str = "luts"
    flip: bool = False
    backend: str = "auto"
    workers: int = 1
    ray: bool = False
    ray_address: str | None = None
    resume: bool = False
    exhaustive_limit: int = EXHAUSTIVE_LIMIT
    out: Path = Path("reports/explore")
    synth_cache: Path = Path("reports/synth")
    progress_bar: bool = True
    options: approx.ScaleOptions = field(default_factory=approx.ScaleOptions)


def check_candidates(candidates: Sequence[MulConfig | ImportSpec | mm.Multiplier]) -> None:
    """Refuse, in one line, a candidate an exploration cannot cost or compare; spec-level, so the
    command checks before importing anything, and :func:`explore` again on the multipliers.

    * ``lut:``: a product table has no RTL, so no cost model has a figure for it (sweep evaluates
      its accuracy);
    * ``:signed`` (two's complement): every row's quantization reference and the baseline are the
      built-in exact multiplier, sign-magnitude (+-(2^N - 1)); a two's-complement module's
      operands (-2^(N-1)..2^(N-1) - 1) are quantized to another range, so its deviation could not
      be split into quantization and multiplier error against them. An unsigned module reaches
      the network in sign-magnitude like the built-ins and is compared exactly.
    """
    for c in candidates:
        source = c.source if isinstance(c, mm.TableMultiplier) else c
        if not isinstance(source, ImportSpec):
            continue
        if source.kind == "lut":
            raise MBMError(f"--mults {source.spec}: a lut: table has no RTL to cost (every cost model synthesizes or "
                           f"places the multiplier's RTL): allowed built-in and verilog: candidates; evaluate it with "
                           f"`pymodel sweep --mult {source.spec}`")
        if source.signed:
            raise MBMError(f"--mults {source.spec}: a two's-complement module's operands have another range than the "
                           f"sign-magnitude exact multiplier every row is compared with: allowed unsigned verilog: "
                           f"modules (signed operands reach them in sign-magnitude); evaluate it with "
                           f"`pymodel sweep --mult {source.spec}`")


def _baseline(candidates: Sequence[mm.Multiplier]) -> MulConfig:
    exact = [c for c in candidates if c.mult == "exact"]
    return max(exact, key=lambda c: c.bits) if exact else MulConfig("exact", max(c.bits for c in candidates))


def _deviation(result: RowResult, exact: Mapping[str, float]) -> dict[str, float | None]:
    """% deviation per metric; None where it is not defined (the exact value is 0)."""
    return deviation_pct(result.metrics, exact)


def _key(assignment: Mapping[str, str]) -> str:
    return "combo-" + hashlib.sha256(json.dumps(sorted(assignment.items())).encode()).hexdigest()[:16]


def explore(s: ExploreSettings, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the exploration described by ``s``; writes the files of the module docstring."""
    start = time.perf_counter()
    if s.ray_address:  # before any work: an unreachable cluster is one line, at once
        check_ray_address(s.ray_address)
    check_candidates(s.candidates)
    model = default_model() if s.checkpoint is None else load_depth_net(s.checkpoint)
    data = load_dataset(s.data, s.images)
    synthetic = s.checkpoint is None or data.synthetic
    layers = list(DECODER_LAYERS) if s.layers == "all" else approx.select_layers(model, s.layers)
    base_cfg = _baseline(s.candidates)
    refs = {c.bits: MulConfig("exact", c.bits) for c in s.candidates}  # quantization reference per width
    specs = [mm.spec_of(c) for c in s.candidates]
    baseline = spec_string(base_cfg)
    every = {mm.spec_of(c): c for c in [*s.candidates, base_cfg, *refs.values()]}
    imported = {spec: mm.to_dict(m) for spec, m in every.items() if isinstance(m, mm.TableMultiplier)}
    input_hw = tuple(int(v) for v in data.rgb.shape[1:3])
    settings = {
        "checkpoint": s.checkpoint, "data": data.source, "images": len(data), "input_hw": list(input_hw),
        "model_config": model.config.to_dict(), "layers": layers, "candidates": specs, "baseline": baseline,
        "calib_images": s.calib_images, "scale_options": vars(s.options), "flip": s.flip,
        "backend": approx.resolved_backend(s.backend),
        **({"imported": imported} if imported else {}),  # a changed module's table refuses --resume
    }
    s.out.mkdir(parents=True, exist_ok=True)
    journal = Journal(s.out / "rows.jsonl", settings, s.resume)
    if journal.done:
        progress(f"resuming: {len(journal.done)} finished rows kept from {journal.path}")

    macs = costmodel.layer_macs(model, layers, input_hw)
    per_mac = costmodel.per_mac(list(every.values()), s.cost_model, s.synth_cache)
    cost = {layer: {spec: per_mac[spec]["per_mac"] * macs[layer] for spec in every} for layer in layers}

    evaluation = Evaluation.calibrated(model, data, layers, {c.bits for c in every.values()},
                                       calib_images=s.calib_images, options=s.options, flip=s.flip,
                                       backend=s.backend)

    def run(rows: list[Row], stage: str) -> dict[str, RowResult]:
        todo = sum(r.key not in journal.done for r in rows)
        with tqdm(total=todo, desc=f"explore {stage}", unit="row", disable=not s.progress_bar or not todo) as bar:
            def advance(row: Row, result: RowResult) -> None:
                bar.set_postfix_str(f"{row.key[:40]} {result.seconds:.1f} s")
                bar.update()

            return run_rows(rows, evaluation, journal, workers=s.workers, ray=s.ray, ray_address=s.ray_address,
                            progress=advance, multipliers=every)

    singles = [Row("exact", {})] + [Row(f"{layer}|{spec}", {layer: spec}) for layer in layers for spec in every]
    progress(f"explore: {len(layers)} layers x {len(every)} multipliers = {len(singles)} single-layer rows "
             f"on {len(data)} images ({'Ray' if s.ray else f'{s.workers} local worker(s)'})")
    results = run(singles, "single layers")
    exact = results["exact"].metrics
    single = {layer: {spec: _deviation(results[f"{layer}|{spec}"], exact) for spec in every} for layer in layers}

    table = {}
    for layer in layers:
        table[layer] = {}
        for spec in every:
            dev, quant = single[layer][spec], single[layer][spec_string(refs[every[spec].bits])]
            r = results[f"{layer}|{spec}"]
            table[layer][spec] = {
                "deviation_pct": dev, "quantization_pct": quant,
                "multiplier_pct": {m: None if dev[m] is None or quant[m] is None else dev[m] - quant[m]
                                   for m in METRICS},
                "cost": cost[layer][spec], "within_budget": excess(dev, s.budget) == 0,
                "clamped_inputs": r.clamped_inputs, "saturated": r.saturated,
            }
    hopeless = [layer for layer in layers if not any(table[layer][spec]["within_budget"] for spec in specs)]
    if hopeless:
        raise MBMError(f"no assignment can meet the budget: layers failing it even alone with every candidate: "
                       f"{', '.join(hopeless)} ({', '.join(specs)}): widen --budget or add a wider candidate")

    def evaluate(assignments: list[dict[str, str]]) -> list[dict[str, float | None]]:
        rows = [Row(_key(a), a) for a in assignments]
        done = run(rows, "assignments")
        return [_deviation(done[r.key], exact) for r in rows]

    log = search.Evaluated()
    space = len(specs) ** len(layers)
    if space <= s.exhaustive_limit:
        method, steps = "exhaustive", [f"evaluated all {space} assignments"]
        chosen, dev = search.exhaustive(layers, specs, cost, s.budget, evaluate, log)
        if chosen is None:
            raise MBMError(f"no assignment of {', '.join(specs)} to {len(layers)} layers meets the budget "
                           f"(all {space} evaluated): widen --budget")
    else:
        method = "greedy"
        chosen, dev, steps = search.greedy(layers, specs, baseline, cost, single, s.budget, evaluate, log)
        if excess(dev, s.budget) > 0:
            raise MBMError(f"the baseline (every layer {baseline}) misses the budget by "
                           f"{excess(dev, s.budget):.3g} pp: widen --budget or add a wider candidate")
    metrics = results_for(chosen, journal)
    baseline_cost = search.total_cost({layer: baseline for layer in layers}, cost)
    chosen_cost = search.total_cost(chosen, cost)
    doc = {
        "schema": SCHEMA, "synthetic": synthetic, "note": SYNTHETIC_NOTE if synthetic else "",
        "candidates": specs, "labels": {spec: mm.label(m) for spec, m in every.items()}, "baseline": baseline,
        "layers": [{"name": layer, "macs": macs[layer]} for layer in layers],
        "budget": {m: {"lower": None if math.isinf(v.lower) else v.lower,
                       "upper": None if math.isinf(v.upper) else v.upper} for m, v in s.budget.items()},
        "exact_metrics": exact, "table": table,
        "cost_model": {"unit": f"{s.cost_model} x MACs per image", "flow": costmodel.MODELS[s.cost_model][0],
                       "per_mac": {k: v["per_mac"] for k, v in per_mac.items()},
                       "description": costmodel.__doc__.split("\n\n")[1].replace("\n", " "),
                       "source": per_mac},
        "search": {"method": method, "steps": steps, "evaluated": len(log.points)},
        "assignment": chosen, "metrics": metrics, "deviation_pct": dev,
        "cost": chosen_cost, "baseline_cost": baseline_cost,
        "saved_pct": 100.0 * (1 - chosen_cost / baseline_cost) if baseline_cost else 0.0,
        "pareto": search.pareto(log, s.budget),
        "evaluated": [{"cost": c, "worst_deviation_pct": worst_deviation(d, s.budget)} for _, c, d in log.points],
        "settings": settings, "versions": _versions(), "seconds": round(time.perf_counter() - start, 3),
    }
    (s.out / "explore.json").write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def results_for(assignment: Mapping[str, str], journal: Journal) -> dict[str, float]:
    return journal.done[_key(assignment)].metrics


def _versions() -> dict[str, str]:
    import numpy
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__}
