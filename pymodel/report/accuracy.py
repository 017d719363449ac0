"""Section (e) and the benchmark: tables from reports/accuracy/sweep.json and reports/bench.json.

The sweep (``make accuracy``, schema "mbm-accuracy-sweep/1" documented in
:mod:`pymodel.nn.sweep`) holds rows labelled "exact", one per approximated layer, and "all"
(every selected layer approximated together), each with the NYU metrics and their %
deviation from the exact model. These helpers only reshape what the producer wrote; they
never recompute a metric.
"""

from __future__ import annotations

from typing import Any

from pymodel.nn.metrics import METRICS

EXACT_ROW, ALL_ROW = "exact", "all"


def sweep_tables(sweep: Any) -> dict[str, Any] | None:
    """{metrics, exact, layers: [{layer, values, deviation_pct}], synthetic, note, complete,
    multiplier, images, data}; None without a sweep."""
    if not isinstance(sweep, dict):
        return None
    rows = [r for r in sweep.get("rows", []) if isinstance(r, dict) and "label" in r]
    exact = next((r.get("metrics") for r in rows if r["label"] == EXACT_ROW), None)
    layers = [
        {"layer": r["label"], "values": r.get("metrics") or {}, "deviation_pct": r.get("deviation_pct") or {}}
        for r in rows
        if r["label"] != EXACT_ROW
    ]
    settings = sweep.get("settings") or {}
    return {
        "metrics": [m for m in METRICS if any(m in layer["values"] for layer in layers)],
        "exact": exact,
        "layers": layers,
        "synthetic": bool(sweep.get("synthetic")),
        "note": sweep.get("note") or "",
        "complete": bool(sweep.get("complete")),
        "multiplier": settings.get("multiplier") or {},
        "images": settings.get("images"),
        "data": settings.get("data"),
        "checkpoint": settings.get("checkpoint"),
        "seconds": sweep.get("seconds"),
    }


def deviation_rows(tables: dict[str, Any] | None, include_all: bool = True) -> list[dict[str, Any]]:
    """One {layer, metric, deviation_pct} per metric per approximated row, for the verdict;
    ``include_all``: also the row with every selected layer approximated at once."""
    if not tables:
        return []
    return [
        {"layer": layer["layer"], "metric": m, "deviation_pct": layer["deviation_pct"].get(m)}
        for layer in tables["layers"]
        if include_all or layer["layer"] != ALL_ROW
        for m in tables["metrics"]
    ]


def bench_rows(bench: dict[str, Any] | None) -> dict[str, Any] | None:
    """reports/bench.json (:mod:`pymodel.nn.bench`) as {rows, summary, config, versions}."""
    if bench is None:
        return None
    return {
        "rows": [r for r in bench.get("rows", []) if isinstance(r, dict)],
        "summary": bench.get("summary") or {},
        "config": bench.get("config") or {},
        "versions": bench.get("versions") or {},
    }
