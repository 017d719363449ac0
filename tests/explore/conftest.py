"""The two-node Ray cluster the execution and exploration tests share (started once per
pytest process and owned by it: other processes' Ray instances are never touched)."""

from __future__ import annotations

import pytest

from pymodel.core.paths import REPO_ROOT
from pymodel.explore.cluster import loopback_cluster


@pytest.fixture(scope="session")
def ray_cluster():
    """A head node on 127.0.0.2 and a worker node on 127.0.0.3, one CPU each (see
    :mod:`pymodel.explore.cluster`); the workers import the tests' modules from the checkout."""
    with loopback_cluster({"PYTHONPATH": str(REPO_ROOT)}) as address:
        yield address
