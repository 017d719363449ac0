"""NYU Depth v2 accuracy metrics, the Eigen crop, output decoding, deviation from exact.

Conventions follow DenseDepth's evaluation (which the seed network's numbers use):

* the network predicts ``max_depth / depth`` with depth in centimetres, ``max_depth = 1000``;
  :class:`DepthCoding` decodes it to metres as ``clip(max_depth / out, min_depth, max_depth)
  * unit_m`` (10..1000 cm -> 0.1..10 m), and encodes ground truth the same way for training;
* the half-resolution prediction is resized bilinearly to the ground-truth size;
* optional flip averaging: ``0.5 * (pred(x) + fliplr(pred(fliplr(x))))``;
* the Eigen crop (rows 20..459, cols 24..615 at 480 x 640, inclusive; scaled for other sizes);
* metrics per image over valid pixels (ground truth inside ``valid_range`` metres), then the
  mean over images.

a1/a2/a3: share of pixels with max(gt/pred, pred/gt) < 1.25, 1.25^2, 1.25^3 (higher is better);
rel: mean |gt - pred| / gt; rms: sqrt(mean (gt - pred)^2) in metres; log10: mean
|log10 gt - log10 pred| (lower is better).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pymodel.core.errors import MBMError

if TYPE_CHECKING:
    pass

METRICS: tuple[str, ...] = ("a1", "a2", "a3", "rel", "rms", "log10")
#: Eigen et al. crop at 480 x 640, inclusive bounds (top, bottom, left, right), as eigen_test_crop.npy.
EIGEN_CROP_480x640 = (20, 459, 24, 615)


@dataclass(frozen=True)
class DepthCoding:
    """How the network output maps to metres. Defaults: DenseDepth (max_depth/depth, cm).

    max_depth, min_depth: depth range in network units (cm by default, 10..1000);
    unit_m: metres per unit (0.01); inverse: the network predicts max_depth / depth (else depth).
    """

    max_depth: float = 1000.0
    min_depth: float = 10.0
    unit_m: float = 0.01
    inverse: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.min_depth < self.max_depth:
            raise MBMError(f"depth range {self.min_depth}..{self.max_depth} is invalid: need 0 < min < max")

    def decode(self, out: np.ndarray) -> np.ndarray:
        """Network output (any shape) -> depth in metres, clipped to the range."""
        out = np.asarray(out, dtype=np.float64)
        with np.errstate(divide="ignore"):
            depth = self.max_depth / out if self.inverse else out
        return np.clip(np.nan_to_num(depth, nan=self.max_depth), self.min_depth, self.max_depth) * self.unit_m

    def encode(self, depth_m: np.ndarray) -> np.ndarray:
        """Depth in metres -> the training target the network should output."""
        depth = np.clip(np.asarray(depth_m, dtype=np.float64) / self.unit_m, self.min_depth, self.max_depth)
        return self.max_depth / depth if self.inverse else depth


def eigen_crop(height: int, width: int) -> tuple[slice, slice]:
    """Row and column slices of the Eigen crop, scaled from 480 x 640 to height x width."""
    top, bottom, left, right = EIGEN_CROP_480x640
    rows = slice(round(top * height / 480), round((bottom + 1) * height / 480))
    cols = slice(round(left * width / 640), round((right + 1) * width / 640))
    return rows, cols


def crop_slices(crop: tuple[int, int, int, int] | np.ndarray) -> tuple[slice, slice]:
    """Slices of an inclusive (top, bottom, left, right) crop such as eigen_test_crop.npy."""
    top, bottom, left, right = (int(c) for c in crop)
    return slice(top, bottom + 1), slice(left, right + 1)


def compute_errors(
    gt: np.ndarray, pred: np.ndarray, valid_range: tuple[float, float] = (1e-3, 10.0)
) -> dict[str, float]:
    """The six metrics of one image (metres) over pixels with valid_range[0] < gt <= valid_range[1]."""
    gt, pred = np.asarray(gt, np.float64), np.asarray(pred, np.float64)
    if gt.shape != pred.shape:
        raise MBMError(f"prediction shape {pred.shape} differs from ground truth {gt.shape}: they must match")
    valid = np.isfinite(gt) & (gt > valid_range[0]) & (gt <= valid_range[1])
    if not valid.any():
        raise MBMError(f"no ground-truth pixel inside the valid range {valid_range} m: check the depth units")
    g, p = gt[valid], pred[valid]
    if (p <= 0).any() or not np.isfinite(p).all():
        raise MBMError("predicted depth has non-positive or non-finite values: decode the output first")
    thresh = np.maximum(g / p, p / g)
    return {
        "a1": float((thresh < 1.25).mean()),
        "a2": float((thresh < 1.25**2).mean()),
        "a3": float((thresh < 1.25**3).mean()),
        "rel": float(np.mean(np.abs(g - p) / g)),
        "rms": float(np.sqrt(np.mean((g - p) ** 2))),
        "log10": float(np.mean(np.abs(np.log10(g) - np.log10(p)))),
    }


def mean_errors(
    gt: np.ndarray, pred: np.ndarray, crop: tuple[slice, slice] | None = None,
    valid_range: tuple[float, float] = (1e-3, 10.0),
) -> dict[str, float]:
    """Per-image metrics of N x H x W depth stacks (metres), cropped, averaged over images."""
    rows, cols = crop or (slice(None), slice(None))
    per_image = [compute_errors(g[rows, cols], p[rows, cols], valid_range) for g, p in zip(gt, pred)]
    return {m: float(np.mean([e[m] for e in per_image])) for m in METRICS}


def deviation_pct(values: dict[str, float], exact: dict[str, float]) -> dict[str, float | None]:
    """% deviation of each metric from the exact model: 100 * (value - exact) / exact.

    None where the exact value is 0: a percentage of nothing is not applicable (printed n/a,
    JSON null), never NaN, which is not JSON and fails every comparison silently.
    """
    return {m: 100.0 * (values[m] - exact[m]) / exact[m] if exact[m] else None for m in METRICS}
