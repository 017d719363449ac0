"""A two-node Ray cluster on this machine's loopback, for tests and for measuring what
distribution costs and gains (``make explore-scale``).

Ray rewrites the literal 127.0.0.1 to the machine's network address, so the head runs on
127.0.0.2 and the worker node on 127.0.0.3: no traffic leaves the loopback interface. Each
node is a ``ray start --block`` in its own process group with its own temporary directory,
stopped by signalling that group, so other Ray instances on the machine are never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

HEAD, WORKER = "127.0.0.2", "127.0.0.3"


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
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group


@contextlib.contextmanager
def loopback_cluster(env: Mapping[str, str] | None = None, cpus_per_node: int = 1) -> Iterator[str]:
    """Start the head and one worker node; yields the head's ``HOST:PORT``; stops both after.
    ``env`` is added to the nodes' environment (e.g. PYTHONPATH for the workers' imports)."""
    ray_cli = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    node_env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})}
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's unix sockets live below it
    common = [f"--num-cpus={cpus_per_node}", "--disable-usage-stats", "--block", f"--temp-dir={temp}"]
    quiet = {"env": node_env, "start_new_session": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    nodes = []
    try:
        nodes.append(subprocess.Popen([ray_cli, "start", "--head", f"--node-ip-address={HEAD}", f"--port={port}",
                                       "--include-dashboard=false", *common], **quiet))
        _wait_for(HEAD, port, 120)
        nodes.append(subprocess.Popen([ray_cli, "start", f"--address={HEAD}:{port}", f"--node-ip-address={WORKER}",
                                       *common], **quiet))
        yield f"{HEAD}:{port}"
    finally:
        for proc in reversed(nodes):
            _stop(proc)
