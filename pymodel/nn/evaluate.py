"""Accuracy of one multiplier assignment on a fixed set of images: the unit of work of an exploration.

Why: design-space exploration evaluates hundreds of assignments ({layer: multiplier}), on
worker processes or Ray nodes, and every result must be comparable with every other and
identical wherever it ran. So everything that decides the numbers is fixed once, in the
driver, and travels with the work: the model, the images, the calibrated scales of every
operand width in use (computed once on the exact model, so an approximate multiplier and
the exact multiplier of the same width see the same quantization), the depth coding and the
thread count (one intra-op thread per evaluation: float sums then come out the same on a
laptop, a pool worker and a cluster node).

:class:`Evaluation` is that context (picklable, ``ray.put`` once); :meth:`Evaluation.run`
evaluates one assignment and returns a :class:`RowResult`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from pymodel.core.arith import MulConfig
from pymodel.nn import approx
from pymodel.nn.data import DepthSet
from pymodel.nn.metrics import DepthCoding, mean_errors
from pymodel.nn.predict import images_to_tensor
from pymodel.nn.sweep import Predictor, thread_limit

#: depth range scored by the metrics (metres), DenseDepth's
VALID_RANGE_M = (1e-3, 10.0)


@dataclass(frozen=True)
class RowResult:
    """Metrics of one evaluated assignment, with what was clamped and saturated on the way."""

    metrics: dict[str, float]
    clamped_inputs: int
    saturated: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "clamped_inputs": self.clamped_inputs, "saturated": self.saturated,
                "seconds": round(self.seconds, 3)}


@dataclass
class Evaluation:
    """Model + images + scales: what an assignment is evaluated against (see the module doc)."""

    model: nn.Module
    data: DepthSet
    scales: dict[int, dict[str, tuple[torch.Tensor, torch.Tensor]]]  # bits -> layer -> (s_x, s_w)
    coding: DepthCoding = DepthCoding()
    flip: bool = False
    batch_size: int = 1
    backend: str = "auto"
    _predictor: Predictor | None = field(default=None, repr=False, compare=False)

    @classmethod
    def calibrated(cls, model: nn.Module, data: DepthSet, layers: list[str], bits: set[int], *,
                   calib_images: int = 2, options: approx.ScaleOptions = approx.ScaleOptions(),
                   **kwargs: Any) -> Evaluation:
        """Scales of ``layers`` at every width in ``bits``, calibrated on the exact model from the
        first ``calib_images`` images."""
        images = images_to_tensor(data.rgb[:calib_images])
        with thread_limit(1):
            scales = {b: approx.calibrate_scales(model, layers, images, b, options) for b in sorted(bits)}
        return cls(model, data, scales, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_predictor": None}  # the feature cache stays where it was built

    def run(self, assignment: Mapping[str, MulConfig]) -> RowResult:
        """Metrics with ``assignment`` ({layer: MulConfig}; empty: the exact float model)."""
        start = time.perf_counter()
        if self._predictor is None:
            self._predictor = Predictor(self.model, self.data.rgb, self.coding, self.flip, self.batch_size)
        layers = list(assignment)
        scales = {n: self.scales[cfg.bits][n] for n, cfg in assignment.items()}
        with thread_limit(1):
            swapped = approx.approximate(self.model, dict(assignment), scales=scales, backend=self.backend) \
                if layers else {}
            try:
                pred = self._predictor(layers)
            finally:
                approx.restore(self.model)
        metrics = mean_errors(self.data.depth, pred, self.data.crop, VALID_RANGE_M)
        return RowResult(metrics, sum(s.stats["clamped"] for s in swapped.values()),
                         sum(s.stats["saturated"] for s in swapped.values()), time.perf_counter() - start)
