"""What every layer's tests share: the meaning of the markers declared in pyproject.toml.

``gpu``: the test needs a CUDA GPU; without one it is skipped here, once, instead of each
module pairing the marker with its own skipif. ``icarus``: likewise for Icarus Verilog (the
second RTL simulator), skipped with the reason :func:`pymodel.hw.sim.runner.missing` gives.
(``slow`` is deselected by the default ``-m 'not slow'``; ``rtl`` only labels the simulator
tests, e.g. ``-m 'not rtl'``.)
"""

from __future__ import annotations

import functools

import pytest


@functools.cache
def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gpu") and not _cuda():
        pytest.skip("needs a CUDA GPU")
    if item.get_closest_marker("icarus"):
        from pymodel.hw.sim.runner import ICARUS, missing

        if missing(ICARUS):
            pytest.skip(missing(ICARUS))
