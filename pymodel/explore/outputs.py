"""What an exploration shows: the console tables, the Pareto chart, the heat map and the
sign-off configuration of the chosen assignment (all from explore.json's document).

A built-in candidate is shown by its spec (``mbm:8``); an imported one, whose spec holds a
path, by its label (``drum_mul N=8 unsigned``), with its spec beside it where the chosen
assignment is listed; JSON and signoff.toml keep the spec, the one spelling a reader resolves."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.core.spec import ImportSpec, parse_any
from pymodel.explore.budget import Limit, budget_text, worst_deviation
from pymodel.nn.figures import png, pyplot
from pymodel.nn.metrics import METRICS


def _pct(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:+.2f}"


def name_of(doc: dict[str, Any], spec: str) -> str:
    """A candidate's name in tables and figures: its spec, or an imported one's label."""
    return doc["labels"][spec] if isinstance(parse_any(spec), ImportSpec) else spec


def format_tables(doc: dict[str, Any]) -> str:
    """Per layer and candidate: worst deviation (quantization + multiplier), cost; then the
    chosen assignment with what it saves."""
    metrics = list(doc["budget"]) or list(METRICS)
    specs = list(next(iter(doc["table"].values())))
    lines = [f"worst deviation over {', '.join(metrics)} in % (quantization + multiplier), layer alone; * over budget"]
    lines.append(f"{'layer':<22}" + "".join(f"{name_of(doc, s):>26}" for s in specs))
    for layer, row in doc["table"].items():
        cells = []
        for s in specs:
            e = row[s]
            q, total = worst_deviation(e["quantization_pct"], metrics), worst_deviation(e["deviation_pct"], metrics)
            mark = " " if e["within_budget"] else "*"
            cells.append(f"{total:>8.2f} ({q:.2f}{total - q:+.2f}){mark}" if math.isfinite(total) else f"{'n/a':>25}{mark}")
        lines.append(f"{layer:<22}" + "".join(f"{c:>26}" for c in cells))
    lines.append("")
    lines.append(f"chosen ({doc['search']['method']}, {doc['search']['evaluated']} assignments evaluated):")
    for layer, spec in doc["assignment"].items():
        lines.append(f"  {layer:<22} {name_of(doc, spec)}" + (f" ({spec})" if name_of(doc, spec) != spec else ""))
    dev = "  ".join(f"{m} {_pct(doc['deviation_pct'][m])}%" for m in METRICS)
    lines.append(f"deviation: {dev}")
    lines.append(f"cost {doc['cost']:.4g} vs {doc['baseline_cost']:.4g} all {doc['baseline']} "
                 f"({doc['saved_pct']:.1f} % saved; {doc['cost_model']['unit']})")
    return "\n".join(lines)


def pareto_png(doc: dict[str, Any]) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    front = doc["pareto"]
    ax.scatter([p["worst_deviation_pct"] for p in doc["evaluated"]], [p["cost"] for p in doc["evaluated"]],
               color="lightgray", s=14, label="evaluated")
    ax.step([p["worst_deviation_pct"] for p in front], [p["cost"] for p in front], where="post", marker="o",
            label="Pareto front")
    ax.scatter([worst_deviation(doc["deviation_pct"], list(doc["budget"]))], [doc["cost"]], color="tab:red", zorder=3,
               label="chosen")
    ax.axhline(doc["baseline_cost"], color="gray", linestyle="--", label=f"all {doc['baseline']}")
    ax.set_xlabel("worst |deviation| over budgeted metrics, %")
    ax.set_ylabel(doc["cost_model"]["unit"])
    ax.set_title("Hardware cost against accuracy" + (" (SYNTHETIC)" if doc["synthetic"] else ""))
    ax.legend(fontsize=8)
    return png(fig)


def heatmap_png(doc: dict[str, Any]) -> bytes:
    metrics = list(doc["budget"]) or list(METRICS)
    layers = list(doc["table"])
    specs = list(doc["table"][layers[0]])
    values = np.array([[worst_deviation(doc["table"][layer][s]["deviation_pct"], metrics) for s in specs] for layer in layers])
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(specs), 1.2 + 0.38 * len(layers)))
    shown = np.where(np.isfinite(values), values, np.nan)
    im = ax.imshow(shown, cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(len(specs)), [name_of(doc, s) for s in specs], fontsize=8)
    ax.set_yticks(range(len(layers)), layers, fontsize=8)
    for i in range(len(layers)):
        for j in range(len(specs)):
            text = "n/a" if not np.isfinite(values[i, j]) else f"{values[i, j]:.2f}"
            dark = np.isfinite(values[i, j]) and values[i, j] > 0.6 * np.nanmax(shown)
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    fig.colorbar(im, ax=ax, label="worst |deviation|, % (layer alone)")
    ax.set_title("Layer x multiplier" + (" (SYNTHETIC)" if doc["synthetic"] else ""))
    return png(fig)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"


def signoff_toml(doc: dict[str, Any], base: str) -> str:
    """The sign-off configuration of the chosen assignment (pymodel.report.config reads it):
    ``base`` (signoff.toml's text) less its [multiplier], with the exploration's budget judged on
    the mixed network and an [assignment] table naming each layer's multiplier."""
    data = tomllib.loads(base)
    data.pop("multiplier", None)
    budget = {m: Limit(-math.inf if v["lower"] is None else v["lower"], math.inf if v["upper"] is None else v["upper"])
              for m, v in doc["budget"].items()}
    data["accuracy"] = {"budget": budget_text(budget), "check_layer_rows": False, "check_all_row": True}
    lines = ["# Written by `pymodel explore` for its chosen assignment; `make report REPORT_ARGS=\"--config THIS\"`",
             "# signs it off: the RTL regression and co-simulation of every multiplier used, and the sweep of the",
             "# mixed network (`pymodel sweep --assignment explore.json`) within the exploration's budget."]
    for section, table in data.items():
        lines += ["", f"[{section}]", *(f"{k} = {_toml(v)}" for k, v in table.items())]
    lines += ["", "[assignment]", *(f"{json.dumps(layer)} = {json.dumps(spec)}" for layer, spec in doc["assignment"].items())]
    return "\n".join(lines) + "\n"


def write_outputs(doc: dict[str, Any], out: Path, signoff_base: str) -> list[Path]:
    paths = [out / "pareto.png", out / "heatmap.png", out / "signoff.toml"]
    paths[0].write_bytes(pareto_png(doc))
    paths[1].write_bytes(heatmap_png(doc))
    paths[2].write_text(signoff_toml(doc, signoff_base))
    return paths
