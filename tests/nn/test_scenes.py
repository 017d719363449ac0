"""Procedural scenes: deterministic, in range, varied."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.core.errors import MBMError
from pymodel.nn.scenes import MAX_DEPTH_M, MIN_DEPTH_M, render_scene, render_scenes


def test_deterministic_and_seeded():
    a_rgb, a_d = render_scene(3, 48, 64)
    b_rgb, b_d = render_scene(3, 48, 64)
    assert np.array_equal(a_rgb, b_rgb) and np.array_equal(a_d, b_d)
    c_rgb, _ = render_scene(3, 48, 64, seed=1)
    assert not np.array_equal(a_rgb, c_rgb)


def test_shapes_ranges_and_variety():
    rgb, depth = render_scenes(12, 48, 64, start=5)
    assert rgb.shape == (12, 48, 64, 3) and rgb.dtype == np.uint8
    assert depth.shape == (12, 48, 64) and depth.dtype == np.float32
    assert depth.min() >= MIN_DEPTH_M and depth.max() <= MAX_DEPTH_M
    assert np.std(depth.mean(axis=(1, 2))) > 0.3  # rooms differ in size
    assert all(np.std(img) > 5 for img in rgb)  # textured and lit, not flat
    assert all(len(np.unique(d)) > 100 for d in depth)  # perspective: depth varies smoothly


def test_depth_is_geometric():
    """Floor rows below the horizon get closer toward the bottom of the image (perspective)."""
    _, depth = render_scene(0, 96, 128)
    column = depth[:, 64]
    assert column[-1] < column[60]


def test_bad_sizes():
    with pytest.raises(MBMError, match="too small"):
        render_scene(0, 4, 64)
    with pytest.raises(MBMError, match="scene count"):
        render_scenes(0)
