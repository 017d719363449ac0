"""The report's hardware-cost chart, drawn from :func:`pymodel.hw.synthesis.cost_table` rows."""

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
    colours = [{"mbm": "tab:blue", "mitchell": "tab:orange"}.get(r["design"], "tab:gray") for r in rows]
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
