"""Running a depth network over images: the input convention, batching, test-time flip, decoding.

Why its own module: the data loaders (:mod:`pymodel.nn.data`) and the metrics
(:mod:`pymodel.nn.metrics`) are pure array code; feeding a model is what the sweep, the
co-simulation's real layer inputs and the training script share on top of both.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from pymodel.nn.metrics import DepthCoding


def images_to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 N x H x W x 3 -> float32 N x 3 x H x W in [0, 1] (DenseDepth input convention)."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(0, 3, 1, 2).float().div_(255.0)


def predict_depth(
    model: torch.nn.Module, rgb: np.ndarray, coding: DepthCoding = DepthCoding(), *, flip: bool = False,
    batch_size: int = 4, forward: Callable[[torch.Tensor, int, bool], torch.Tensor] | None = None,
) -> np.ndarray:
    """Depth in metres (N x H x W, the size of ``rgb``) predicted by ``model`` for uint8 N x H x W x 3.

    Input is rgb / 255 in N x 3 x H x W; the output is resized bilinearly (align_corners=False)
    to H x W, decoded with ``coding``; with ``flip`` it is averaged with the mirrored prediction.
    ``forward(x, start, mirrored)``, when given, replaces ``model(x)`` (the sweep's cached replay).
    """
    run = forward or (lambda x, _start, _mirrored: model(x))
    out = []
    with torch.no_grad():
        for start in range(0, len(rgb), batch_size):
            x = images_to_tensor(rgb[start : start + batch_size])
            depth = 0.0
            for mirrored in (False, True) if flip else (False,):
                y = run(x.flip(-1) if mirrored else x, start, mirrored)
                y = F.interpolate(y, size=x.shape[2:], mode="bilinear", align_corners=False)
                d = coding.decode(y[:, 0].double().numpy())
                depth = depth + (d[..., ::-1] if mirrored else d) / (2 if flip else 1)
            out.append(depth)
    return np.concatenate(out)
