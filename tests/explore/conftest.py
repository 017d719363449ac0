"""The two-node Ray cluster the execution and exploration tests share (started once).

Every test that uses it is marked ``@pytest.mark.xdist_group("ray")``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pymodel.core.paths import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ray_cluster():
    """A head node on 127.0.0.2 and a worker node on 127.0.0.3, one CPU each; torn down after.

    Ray turns the literal 127.0.0.1 into the machine's network address, so the two nodes use
    other loopback addresses and no traffic leaves the loopback interface. ``ray stop`` ends
    every Ray process of the machine: the tests using this fixture are in the xdist group
    "ray" (make test runs --dist loadgroup), so one worker owns the cluster."""
    ray_cli = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(REPO_ROOT)}
    common = ["--num-cpus=1", "--disable-usage-stats"]
    try:
        subprocess.run([ray_cli, "start", "--head", "--node-ip-address=127.0.0.2", f"--port={port}",
                        "--include-dashboard=false", *common], env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([ray_cli, "start", f"--address=127.0.0.2:{port}", "--node-ip-address=127.0.0.3", *common],
                       env=env, check=True, capture_output=True, timeout=120)
        yield f"127.0.0.2:{port}"
    finally:
        subprocess.run([ray_cli, "stop", "--force"], env=env, capture_output=True, timeout=120)
