"""Section (b): multiplier error characterization, its figures and the published comparison.

Cheap enough (well under a second at N = 8 or 16) that the report always computes it from
:func:`pymodel.core.characterize.characterize` instead of reading a result file. The published
figures are Saadat, Bokhari and Parameswaran, IEEE TCAD 2018, measured with the product's
fraction bits kept, so the comparison rows use ``frac_out=True`` whatever the configuration.

An imported multiplier under review (a ``lut:`` or ``verilog:`` spec) gets its own row, over
its own operands (unsigned, or two's complement for ``:signed``), beside the built-ins at its
width, and the figures show its relative error; every row carries the EvoApproxLib metric set
(MAE%, WCE%, MRE%, EP%, WCRE%, MSE).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np

from pymodel.core import multiplier as mm
from pymodel.core.arith import MULTIPLIERS, MulConfig, mul_unsigned
from pymodel.core.characterize import characterize, operand_pairs
from pymodel.nn.figures import png, pyplot

#: (multiplier, bits, bias %, mean |rel| %, peak %, tolerance in percentage points): the
#: tolerance is about half a unit of the last digit the paper prints (Mitchell's mean is
#: only given as "about -3.8 %")
PUBLISHED: tuple[tuple[str, int, float, float, float, float], ...] = (
    ("mbm", 8, 0.05, 2.69, 7.81, 0.05),
    ("mbm", 16, -0.09, 2.58, 7.81, 0.05),
    ("mitchell", 8, -3.8, 3.8, -11.1, 0.1),
)
#: operands per axis of the heat map above N = 8 (evenly spaced), to keep the image readable
HEATMAP_SIDE = 256


def _config(cfg: MulConfig, mult: str) -> MulConfig:
    return replace(cfg, mult=mult, trunc=0 if mult == "exact" else cfg.trunc)


def builtin_base(m: mm.Multiplier) -> MulConfig:
    """The built-in configuration the built-in rows and figures use: ``m`` itself, or for an
    imported multiplier MBM at its width (the comparison a reader wants beside it)."""
    return m if isinstance(m, MulConfig) else MulConfig("mbm", max(m.bits, 4))


def stats_table(cfg: mm.Multiplier, imported: list[mm.TableMultiplier] | tuple = ()) -> list[dict[str, Any]]:
    """ErrorStats of MBM, Mitchell and exact at the configured N, TRUNC and output format
    (:func:`builtin_base` for an imported ``cfg``), then of each imported multiplier (``cfg``
    if imported, and ``imported``) over its own table, each with its label (and spec)."""
    base = builtin_base(cfg)
    rows = [asdict(characterize(c)) | {"label": c.label, "spec": mm.spec_of(c)}
            for c in (_config(base, m) for m in MULTIPLIERS)]
    own = list({mm.spec_of(m): m for m in [cfg, *imported] if isinstance(m, mm.TableMultiplier)}.values())
    return rows + [asdict(characterize(m.table)) | {"label": mm.label(m), "spec": mm.spec_of(m)} for m in own]


def published_comparison() -> list[dict[str, Any]]:
    """Our statistics (fraction kept) beside each published figure, and whether they agree."""
    rows = []
    for mult, bits, bias, mred, peak, tolerance in PUBLISHED:
        ours = characterize(MulConfig(mult, bits, frac_out=True))
        published = {"bias_pct": bias, "mred_pct": mred, "peak_pct": peak}
        measured = {"bias_pct": ours.bias_pct, "mred_pct": ours.mred_pct, "peak_pct": ours.peak_pct}
        rows.append(
            {
                "mult": mult,
                "bits": bits,
                "published": published,
                "ours": measured,
                "tolerance_pp": tolerance,
                "agrees": all(abs(measured[k] - v) <= tolerance for k, v in published.items()),
                "pairs": ours.pairs,
                "exhaustive": ours.exhaustive,
            }
        )
    return rows


def _relative_error_pct(a: np.ndarray, b: np.ndarray, cfg: mm.Multiplier) -> np.ndarray:
    """100 * (approx - exact) / exact for pairs with a non-zero exact product (an imported
    multiplier's products from its own table)."""
    exact = (a * b).astype(float)
    raw = cfg.table.mul(a, b) if isinstance(cfg, mm.TableMultiplier) else mul_unsigned(a, b, cfg)
    return 100 * (raw / cfg.scale - exact) / exact


def heatmap_png(cfg: mm.Multiplier) -> bytes:
    """Relative error over the (a, b) operand plane, a and b from 1 to the largest positive
    operand (2^N - 1; 2^(N-1) - 1 for a two's-complement imported multiplier)."""
    plt = pyplot()
    top = cfg.table.hi if isinstance(cfg, mm.TableMultiplier) else cfg.max_operand
    side = np.unique(np.linspace(1, top, min(top, HEATMAP_SIDE)).round().astype(np.int64))
    rel = _relative_error_pct(side[:, None], side[None, :], cfg)
    lim = max(float(np.abs(rel).max()), 1e-9)
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    image = ax.imshow(
        rel,
        origin="lower",
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        extent=(1, top, 1, top),
        interpolation="nearest",
    )
    bar = fig.colorbar(image, ax=ax)
    bar.set_label("relative error of the product (%)")
    ax.set_xlabel("operand b")
    ax.set_ylabel("operand a")
    sampled = "" if side.size == top else f", {side.size} x {side.size} evenly spaced operands"
    ax.set_title(f"{mm.label(cfg)}: relative error over (a, b){sampled}")
    return png(fig)


def histogram_png(cfg: mm.Multiplier) -> bytes:
    """Distribution of the relative error of MBM and Mitchell over the characterization pairs
    (unsigned, non-zero), and of the imported multiplier under review over the same pairs
    (its positive operands for a two's-complement one)."""
    plt = pyplot()
    base = builtin_base(cfg)
    a, b, exhaustive = operand_pairs(base.bits)
    nz = (a != 0) & (b != 0)
    a, b = a[nz], b[nz]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    bins = np.linspace(-12, 9, 106)
    series = [(_config(base, mult), colour) for mult, colour in (("mitchell", "tab:orange"), ("mbm", "tab:blue"))]
    if isinstance(cfg, mm.TableMultiplier):
        series.append((cfg, "tab:green"))
    for m, colour in series:
        if isinstance(m, mm.TableMultiplier):
            lo, hi = m.table.lo, m.table.hi
            ops = np.arange(max(lo, 1), hi + 1)
            pa, pb = (v.ravel() for v in np.meshgrid(ops, ops, indexing="ij"))
        else:
            pa, pb = a, b
        rel = np.clip(_relative_error_pct(pa, pb, m), bins[0], bins[-1])
        weights = np.full(rel.size, 100 / rel.size)
        ax.hist(rel, bins=bins, weights=weights, alpha=0.6, color=colour, label=mm.label(m))
    ax.set_xlabel("relative error of the product (%)")
    ax.set_ylabel("share of operand pairs (%)")
    scope = "all operand pairs" if exhaustive else "seeded random operand pairs plus corners"
    ax.set_title(f"Relative-error histogram, N={base.bits} ({scope}, zero products excluded)")
    ax.legend()
    return png(fig)
