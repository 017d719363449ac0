"""The two-node Ray cluster the execution and exploration tests share (started once per
pytest process and owned by it: other processes' Ray instances are never touched)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pymodel.core.paths import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"no Ray head on {host}:{port} after {seconds:g} s")


def _stop(proc: subprocess.Popen) -> None:
    """End a ``ray start --block`` and every process it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def ray_cluster():
    """A head node on 127.0.0.2 and a worker node on 127.0.0.3, one CPU each; torn down after.

    Ray turns the literal 127.0.0.1 into the machine's network address, so the two nodes use
    other loopback addresses and no traffic leaves the loopback interface. Each node is a
    ``ray start --block`` in its own process group with its own temporary directory, stopped
    by signalling that group: parallel pytest workers may each run a cluster."""
    ray_cli = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(REPO_ROOT)}
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's unix sockets live below it
    common = ["--num-cpus=1", "--disable-usage-stats", "--block", f"--temp-dir={temp}"]
    nodes = []
    try:
        nodes.append(subprocess.Popen([ray_cli, "start", "--head", "--node-ip-address=127.0.0.2", f"--port={port}",
                                       "--include-dashboard=false", *common], env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for("127.0.0.2", port, 120)
        nodes.append(subprocess.Popen([ray_cli, "start", f"--address=127.0.0.2:{port}",
                                       "--node-ip-address=127.0.0.3", *common], env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield f"127.0.0.2:{port}"
    finally:
        for proc in reversed(nodes):
            _stop(proc)
