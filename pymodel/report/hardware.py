"""The report's hardware-cost chart, drawn from :func:`pymodel.hw.synthesis.cost_table` rows,
and the MAC array's place-and-route rows (:mod:`pymodel.hw.fpga.array`'s summary)."""

from __future__ import annotations

from typing import Any

from pymodel.nn.figures import png, pyplot


def cost_chart_png(rows: list[dict[str, Any]]) -> bytes | None:
    """Grouped bars: Xilinx LUTs and generic cells per design and width (None without data)."""
    rows = [r for r in rows if r["cells"] is not None and r["luts"] is not None]
    if not rows:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8))
    labels = [f"{r['design']}\nN={r['bits']}" for r in rows]
    colours = ["tab:green" if r["spec"] else {"mbm": "tab:blue", "mitchell": "tab:orange"}.get(r["design"], "tab:gray")
               for r in rows]  # green: an imported module
    for ax, key, unit, title in (
        (axes[0], "luts", "LUTs (LUT1..LUT6)", "Xilinx 7-series, synth_xilinx -nodsp"),
        (axes[1], "cells", "gate cells", "Yosys generic gates, synth"),
    ):
        bars = ax.bar(range(len(rows)), [r[key] for r in rows], color=colours)
        ax.bar_label(bars, fontsize=8)
        ax.set_xticks(range(len(rows)), labels, fontsize=8)
        ax.set_ylabel(unit)
        ax.set_xlabel("multiplier and operand width")
        ax.set_title(title)
    fig.suptitle("Hardware cost of one combinational multiplier (lower is cheaper)")
    return png(fig)


#: the order of the array table: multipliers as the summary names them, then lanes
_MULT_ORDER = {"mbm": 0, "mitchell": 1, "exact": 2}


def array_rows(summary: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per measured array point: totals, per lane (= per MAC: a lane is one MAC),
    Fmax against the target and the peak MAC rate LANES x Fmax. Empty without a summary."""
    rows = []
    for p in (summary or {}).get("points", []):
        u = p["utilization"]
        rows.append({
            "point": p["point"], "mult": p["mult"], "lanes": p["lanes"], "bits": p["bits"],
            "slices": "+".join(k.upper() for k in ("skid", "pipe") if p.get(k)) or "—",
            "device": p["device"], "lut4": u["lut4"]["used"], "ff": u["ff"]["used"], "dsp": u["dsp"]["used"],
            "ebr": u["bram"]["used"], "per_lane": p["per_lane"], "fmax_mhz": p["fmax_mhz"],
            "target_mhz": p["target_mhz"], "timing_met": p["timing_met"],
            "gmacs": p["lanes"] * p["fmax_mhz"] / 1000.0, "critical_path": p["critical_path"],
        })
    return sorted(rows, key=lambda r: (r["lanes"], r["slices"], _MULT_ORDER.get(r["mult"], 9)))
