"""What clamps and saturates in a sweep row, and the warnings about it.

Why: a multiplier too large for the operand range clamps values (and a narrow accumulator
saturates), and the accuracy numbers of such a row then measure the clamping rather than the
approximate multiplier: the seed's hand-tuned multipliers did exactly that, silently. The
counts come from pymodel.core.quant and the kernels as they run (ApproxLayer.counts), so
carrying them costs nothing. Kept apart from :mod:`pymodel.nn.sweep` so that the sign-off
report can read the same definitions without importing torch.
"""

from __future__ import annotations

from typing import Any

#: The counts of a sweep row (and of each of its layers), in the order the CSV has them.
COUNTS = ("inputs", "clamped_inputs", "weights", "clamped_weights", "accumulators", "saturated")
#: What a warning is about -> (the count it is a share of, the multiplier that decides it).
KINDS = {
    "clamped_inputs": ("inputs", "s_x"),
    "clamped_weights": ("weights", "s_w"),
    "saturated": ("accumulators", None),
}
#: A layer clamping or saturating more than this share (%) of its values gets a WARNING: the
#: accuracy numbers then measure the clamping more than the multiplier.
WARN_PCT = 0.1


def row_counts(layers: dict[str, Any]) -> dict[str, Any]:
    """A row's counts from its ApproxLayers (name -> layer): the COUNTS summed, and per layer."""
    per_layer = {n: layer.counts() for n, layer in layers.items()}
    return {**{k: sum(c[k] for c in per_layer.values()) for k in COUNTS}, "per_layer": per_layer}


def share_pct(count: int, total: int) -> float | None:
    """count in % of total; None without values (the exact row)."""
    return 100.0 * count / total if total else None


def _multiplier_text(value: float | list[float]) -> str:
    return f"{min(value):g}..{max(value):g} per channel" if isinstance(value, list) else f"{value:g}"


def _advice(settings: dict[str, Any], layer: str, key: str | None) -> str:
    """What to do about a layer's clamping (key "s_x"/"s_w") or saturation (key None)."""
    if key is None:
        return "widen the accumulator (acc_bits) or lower the multipliers"
    scales = settings["scales"]
    if (scales["file"] or {}).get(layer, {}).get(key) is not None or scales[key] is not None:
        flag = "--" + key.replace("_", "-")
        return f"{key} was set by hand: calibrate it (drop {flag} or the layer's --scales entry), " \
               "lower it, or raise --bits"
    option = "--method" if key == "s_x" else "--weight-method"
    method = scales["method" if key == "s_x" else "weight_method"]
    if method == "max":
        return (f"{key} was calibrated ({option} max) on {scales['calib_images']} image(s): "
                "calibrate on more (--calib-images) or raise --bits")
    return f"{key} was calibrated by {option} {method}, which clips by design: " \
           f"use {option} max or raise --bits"


def _message(layer: str, kind: str, counts: dict[str, int], row: dict[str, Any],
             settings: dict[str, Any]) -> str:
    """The one-line warning: the layer, the multiplier, the share, the count, what to do."""
    of, key = KINDS[kind]
    share = f"{share_pct(counts[kind], counts[of]):.3g} %"
    where = "" if row["label"] == layer else f", in row {row['label']!r}"
    what = f"({counts[kind]:,} of {counts[of]:,}{where})"
    if key is None:
        text = f"{share} of its accumulators saturate {what}, so its rows measure the saturation"
    else:
        multiplier = _multiplier_text(row["scales"][layer][key])
        text = f"{key}={multiplier} clamps {share} of its {of} {what}, so its rows measure the clamping"
    return f"{layer}: {text} more than the multiplier; {_advice(settings, layer, key)}"


def clamp_warnings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One warning per layer and kind (KINDS) whose share is over WARN_PCT % in some row.

    The numbers are those of the first such row (rows run in order, so a layer's own row
    comes before "all"); "rows" lists every row in which it was over.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in doc["rows"]:
        for layer, counts in row.get("per_layer", {}).items():
            for kind, (of, _) in KINDS.items():
                share = share_pct(counts[kind], counts[of])
                if share is None or share <= WARN_PCT:
                    continue
                if (layer, kind) in found:
                    found[layer, kind]["rows"].append(row["label"])
                    continue
                found[layer, kind] = {
                    "layer": layer, "kind": kind, "row": row["label"], "rows": [row["label"]],
                    "count": counts[kind], "total": counts[of], "share_pct": share,
                    "message": _message(layer, kind, counts, row, doc["settings"]),
                }
    return list(found.values())
