"""Build directories that are reused while their inputs are unchanged, safe for parallel runs.

Why one helper: the simulator runner (cocotb + Verilator, :mod:`pymodel.hw.sim.runner`) and
the replay benches (``verilator --binary``, :mod:`pymodel.hw.replay`) both compile one
design per parameter set into a directory under ``build/``, and both must

* reuse it while the sources, parameters and tool versions are those it was built from
  (the key: a hash of all three, kept in the directory's ``build.stamp``);
* never reuse a half-written build: the stamp is removed before a rebuild and published
  atomically (written aside, then renamed) only after the build succeeded;
* make parallel workers (pytest-xdist, two ``make`` targets) wait for each other instead of
  writing one directory at once: an exclusive ``fcntl`` lock on ``<dir>.lock`` for the whole
  check-and-build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

STAMP = "build.stamp"


def key(files: Iterable[Path], meta: Mapping[str, object]) -> str:
    """Hash of ``meta`` (parameters, options, tool versions: anything JSON) and of each
    file's path and bytes, in order."""
    h = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
    for path in files:
        h.update(str(path).encode() + b"\0")
        h.update(Path(path).read_bytes())
    return h.hexdigest()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing); other processes wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class Build:
    """Where a build lives, how long it took (0 when reused) and whether it was reused."""

    build_dir: Path
    seconds: float
    cached: bool


def build(build_dir: Path, build_key: str, product: str, make: Callable[[], None]) -> Build:
    """Reuse ``build_dir`` if it holds ``product`` built from ``build_key``, else run ``make``
    (which fills ``build_dir`` and raises on failure) and stamp the result."""
    stamp = build_dir / STAMP
    with locked(build_dir.with_name(build_dir.name + ".lock")):
        if (build_dir / product).exists() and stamp.is_file() and stamp.read_text() == build_key:
            return Build(build_dir, 0.0, True)
        stamp.unlink(missing_ok=True)
        build_dir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        make()
        seconds = time.perf_counter() - start
        aside = stamp.with_name(f"{STAMP}.{os.getpid()}")
        aside.write_text(build_key)
        aside.replace(stamp)
        return Build(build_dir, seconds, False)


def publish_dir(staged: Path, dest: Path) -> bool:
    """Move the fully written directory ``staged`` to ``dest`` in one rename; if another
    process published ``dest`` first, drop ``staged``. True when this call published it."""
    try:
        staged.rename(dest)
        return True
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)
        return False
