"""NYU metrics on hand-computed cases, the Eigen crop, the DenseDepth output coding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pymodel.core.errors import MBMError
from pymodel.nn.metrics import (
    METRICS,
    DepthCoding,
    compute_errors,
    crop_slices,
    deviation_pct,
    eigen_crop,
    mean_errors,
)

GT = np.array([1.0, 2.0, 4.0, 8.0])
PRED = np.array([1.0, 2.4, 3.0, 16.0])  # ratios 1, 1.2, 4/3, 2


def test_hand_computed_case():
    e = compute_errors(GT, PRED)
    assert e["a1"] == 0.5  # 1 and 1.2 are < 1.25
    assert e["a2"] == 0.75  # 4/3 < 1.5625, 2 is not
    assert e["a3"] == 0.75  # 2 > 1.953125
    assert e["rel"] == pytest.approx((0 + 0.2 + 0.25 + 1.0) / 4)
    assert e["rms"] == pytest.approx(math.sqrt((0 + 0.16 + 1 + 64) / 4))
    assert e["log10"] == pytest.approx((math.log10(1.2) + math.log10(4 / 3) + math.log10(2)) / 4)
    assert list(e) == list(METRICS)


def test_perfect_prediction_and_sensitivity():
    perfect = compute_errors(GT, GT)
    assert perfect == {"a1": 1.0, "a2": 1.0, "a3": 1.0, "rel": 0.0, "rms": 0.0, "log10": 0.0}
    # The checker must notice a 30% error on one pixel in every metric.
    off = compute_errors(GT, GT * np.array([1, 1, 1, 1.3]))
    assert all(off[m] != perfect[m] for m in ("a1", "rel", "rms", "log10"))


def test_invalid_pixels_are_ignored():
    gt = np.array([1.0, 2.0, 0.0, np.nan, 12.0])
    pred = np.array([1.0, 2.0, 5.0, 5.0, 1.0])
    assert compute_errors(gt, pred)["rel"] == 0.0  # gt 0, NaN and > 10 m are not valid
    with pytest.raises(MBMError, match="no ground-truth pixel"):
        compute_errors(np.zeros(3), np.ones(3))
    with pytest.raises(MBMError, match="non-positive"):
        compute_errors(GT, -PRED)
    with pytest.raises(MBMError, match="shape"):
        compute_errors(GT, PRED[:3])


def test_eigen_crop():
    rows, cols = eigen_crop(480, 640)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (20, 460, 24, 616)
    assert crop_slices(np.array([20, 459, 24, 615])) == (rows, cols)
    rows, cols = eigen_crop(240, 320)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (10, 230, 12, 308)


def test_mean_over_images_with_crop():
    gt = np.ones((2, 480, 640)) * 2.0
    pred = gt.copy()
    pred[0, :20] = 100.0  # outside the crop: ignored
    pred[1, 100:200] = 2.4  # inside: 100 of 440 rows off by 20%
    e = mean_errors(gt, pred, eigen_crop(480, 640))
    assert e["a1"] == 1.0
    assert e["rel"] == pytest.approx(0.5 * 0.2 * 100 / 440)


def test_densedepth_coding():
    c = DepthCoding()
    assert c.decode(np.array([1.0, 10.0, 100.0, 1000.0, 0.0])).tolist() == [10.0, 1.0, 0.1, 0.1, 10.0]
    depth = np.array([0.25, 0.5, 3.0, 10.0, 20.0])
    assert np.allclose(c.decode(c.encode(depth)), np.clip(depth, 0.1, 10.0))
    assert DepthCoding(inverse=False, unit_m=1.0, min_depth=0.5, max_depth=10).decode(np.array([3.0]))[0] == 3.0
    with pytest.raises(MBMError, match="depth range"):
        DepthCoding(min_depth=10, max_depth=5)


def test_deviation_pct():
    d = deviation_pct({m: 1.1 for m in METRICS}, {m: 1.0 for m in METRICS})
    assert all(v == pytest.approx(10.0) for v in d.values())
    # exact value 0: not applicable (None, JSON null), whatever the approximate value is
    assert deviation_pct({m: 0.1 for m in METRICS}, {m: 0.0 for m in METRICS})["rms"] is None
    assert deviation_pct({m: 0.0 for m in METRICS}, {m: 0.0 for m in METRICS})["rms"] is None
