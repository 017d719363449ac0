"""Section (e) and the benchmark: tables from reports/accuracy/sweep.json and reports/bench.json.

The sweep (``make accuracy``, schema "mbm-accuracy-sweep/2" documented in
:mod:`pymodel.nn.sweep`) holds rows labelled "exact", one per approximated layer, and "all"
(every selected layer approximated together), each with the NYU metrics, their % deviation
from the exact model (null where the exact value is 0: not applicable, never a failure) and
the counts of clamped operands and saturated accumulators, plus the sweep's warnings about
layers that clamp or saturate more than it allows. These helpers only reshape what the
producer wrote; they never recompute a metric or a warning.
"""

from __future__ import annotations

from typing import Any

from pymodel.nn.metrics import METRICS
from pymodel.nn.clamping import KINDS, share_pct

EXACT_ROW, ALL_ROW = "exact", "all"


def _shares(row: dict[str, Any], warnings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """kind (pymodel.nn.clamping.KINDS) -> {pct (None without counts), warned: a warning names this row}."""
    return {
        kind: {
            "pct": share_pct(row.get(kind) or 0, row.get(of) or 0),
            "warned": any(w.get("kind") == kind and row["label"] in (w.get("rows") or []) for w in warnings),
        }
        for kind, (of, _) in KINDS.items()
    }


def sweep_tables(sweep: Any) -> dict[str, Any] | None:
    """{metrics, exact, layers: [{layer, values, deviation_pct, not_applicable, shares}], warnings,
    synthetic, note, complete, multiplier, images, data}; None without a sweep.

    ``not_applicable``: the metrics whose deviation the sweep wrote as null (exact value 0);
    ``shares``: see :func:`_shares`; ``warnings``: the sweep's warning messages.
    """
    if not isinstance(sweep, dict):
        return None
    rows = [r for r in sweep.get("rows", []) if isinstance(r, dict) and "label" in r]
    warnings = [w for w in sweep.get("warnings") or [] if isinstance(w, dict)]
    exact = next((r.get("metrics") for r in rows if r["label"] == EXACT_ROW), None)
    layers = []
    for r in rows:
        if r["label"] == EXACT_ROW:
            continue
        deviations = r.get("deviation_pct") or {}
        layers.append({
            "layer": r["label"], "values": r.get("metrics") or {}, "deviation_pct": deviations,
            "not_applicable": [m for m in METRICS if m in deviations and deviations[m] is None],
            "shares": _shares(r, warnings),
        })
    settings = sweep.get("settings") or {}
    return {
        "warnings": [str(w.get("message")) for w in warnings],
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
    """One {layer, metric, deviation_pct, not_applicable} per metric per approximated row, for the
    verdict (deviation_pct None: missing, unless not_applicable); ``include_all``: also the row
    with every selected layer approximated at once."""
    if not tables:
        return []
    return [
        {"layer": layer["layer"], "metric": m, "deviation_pct": layer["deviation_pct"].get(m),
         "not_applicable": m in layer["not_applicable"]}
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
