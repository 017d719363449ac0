"""The source list of every RTL top, read from its FuseSoC CAPI2 core file.

Why core files: one list per top (``rtl/<top>.core``, ``tb/replay/<bench>.core``), in the
form in which FPGA users pull IP into their projects (``fusesoc library add mbm <this
repository>``, then depend on ``mbm:approx:mbm_mul``), read here by the simulator runner,
lint, the replay benches and synthesis, so none of them keeps a list of its own.

Only the part of CAPI2 those files use is read: filesets (``files``, ``depend``), targets
(``filesets``, ``toplevel``, ``parameters``, ``tools``) and parameter defaults. PyYAML does
the parsing, so nothing here needs fusesoc at run time; tests/hw/test_cores.py checks with
the pinned fusesoc that it reads the same files, in the same order.

A target's files are its dependencies' files first (each core once, depth first in the
order the ``depend`` lists name them), then its own. As in FuseSoC, the core asked for uses
the named target and every dependency its ``default`` target.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pymodel.core.errors import MBMError
from pymodel.core.paths import RTL_DIR, TB_DIR

#: where the cores live: the synthesizable RTL and the plain-Verilog replay benches
CORE_DIRS: tuple[Path, ...] = (RTL_DIR, TB_DIR / "replay")
#: `>=vendor:library:name:version`, the operator and version optional
_DEPEND = re.compile(r"(?P<op>>=|==)?(?P<vln>[\w.-]+:[\w.-]*:[\w.-]+)(?::(?P<version>[\d.]+))?")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True)
class Core:
    """One parsed ``.core`` file."""

    path: Path
    data: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The full VLNV, e.g. ``mbm:approx:mbm_mul:0.1.0``."""
        return str(self.data["name"])

    @property
    def vln(self) -> str:
        """The name without its version: what a ``depend`` entry matches."""
        return self.name.rsplit(":", 1)[0]

    @property
    def version(self) -> tuple[int, ...]:
        return _version(self.name.rsplit(":", 1)[1])

    @property
    def toplevel(self) -> str:
        return str(self.target()["toplevel"])

    def target(self, name: str = "default") -> Mapping[str, Any]:
        targets = self.data.get("targets", {})
        if name not in targets:
            raise MBMError(f"{self.path}: no target {name!r}: allowed {', '.join(targets)}")
        return targets[name]

    def _filesets(self, target: str) -> list[Mapping[str, Any]]:
        filesets = self.data.get("filesets", {})
        return [filesets[fs] for fs in self.target(target).get("filesets", [])]

    def files(self, target: str = "default") -> tuple[Path, ...]:
        """This core's own files of ``target``, absolute, in the order listed."""
        return tuple(self.path.parent / f for fs in self._filesets(target) for f in fs.get("files", []))

    def depends(self, target: str = "default") -> tuple[str, ...]:
        """The ``depend`` entries of ``target``'s filesets, as written."""
        return tuple(d for fs in self._filesets(target) for d in fs.get("depend", []))

    def parameters(self, target: str = "default") -> dict[str, int]:
        """HDL parameters (``vlogparam``) the target declares, with their defaults."""
        declared = self.data.get("parameters", {})
        return {
            p: declared[p]["default"]
            for p in self.target(target).get("parameters", [])
            if declared[p].get("paramtype") == "vlogparam"
        }

    def tool_options(self, target: str, tool: str = "verilator") -> dict[str, Any]:
        return dict(self.target(target).get("tools", {}).get(tool, {}))


@functools.lru_cache(maxsize=8)
def library(dirs: tuple[Path, ...] = CORE_DIRS) -> dict[str, Core]:
    """Every core in ``dirs`` (not recursive), by VLN."""
    cores: dict[str, Core] = {}
    for path in sorted(p for d in dirs for p in d.glob("*.core")):
        text = path.read_text()
        if not text.startswith("CAPI=2:"):
            raise MBMError(f"{path}: the first line must be 'CAPI=2:'")
        core = Core(path, yaml.safe_load(text))
        if core.vln in cores:
            raise MBMError(f"{path}: {core.vln} is also defined in {cores[core.vln].path}")
        cores[core.vln] = core
    return cores


def by_top(top: str, dirs: tuple[Path, ...] = CORE_DIRS) -> Core:
    """The core whose default target's toplevel is ``top``."""
    cores = library(dirs)
    for core in cores.values():
        if core.toplevel == top:
            return core
    raise MBMError(f"no core has toplevel {top!r}: allowed {', '.join(sorted(c.toplevel for c in cores.values()))}")


def _dependency(entry: str, owner: Core, cores: Mapping[str, Core]) -> Core:
    m = _DEPEND.fullmatch(entry)
    if not m:
        raise MBMError(f"{owner.path}: depend {entry!r} is not allowed: allowed [>=|==]vendor:library:name[:version]")
    core = cores.get(m["vln"])
    if core is None:
        raise MBMError(f"{owner.path}: depend {entry!r} names no core: allowed {', '.join(sorted(cores))}")
    if m["version"]:
        want, have = _version(m["version"]), core.version
        if (have < want) if m["op"] == ">=" else (have != want):
            raise MBMError(f"{owner.path}: depend {entry!r} does not match {core.name}")
    return core


def resolve(top: str, target: str = "default", dirs: tuple[Path, ...] = CORE_DIRS) -> list[Core]:
    """The core of ``top`` and its dependencies, dependencies first, each once."""
    cores = library(dirs)
    order: dict[str, Core] = {}
    visiting: list[str] = []

    def visit(core: Core, tgt: str) -> None:
        if core.vln in order:
            return
        if core.vln in visiting:
            raise MBMError(f"{core.path}: dependency cycle {' -> '.join([*visiting, core.vln])}")
        visiting.append(core.vln)
        for entry in core.depends(tgt):
            visit(_dependency(entry, core, cores), "default")
        visiting.pop()
        order[core.vln] = core

    visit(by_top(top, dirs), target)
    return list(order.values())


def sources(top: str, target: str = "default", dirs: tuple[Path, ...] = CORE_DIRS) -> tuple[Path, ...]:
    """Every file ``top`` needs, absolute, dependencies first: what to hand a tool."""
    *deps, core = resolve(top, target, dirs)
    return (*(f for dep in deps for f in dep.files()), *core.files(target))


def problems(dirs: tuple[Path, ...] = CORE_DIRS, hdl: Sequence[str] = ("*.v", "*.sv")) -> list[str]:
    """What is wrong with the library: a listed file that does not exist, an HDL file in
    ``dirs`` that no core lists or that two cores list. Empty when every top's list is whole."""
    owner: dict[Path, list[str]] = {}
    out = []
    for core in library(dirs).values():
        for name in core.data.get("filesets", {}):
            for f in core.data["filesets"][name].get("files", []):
                path = (core.path.parent / f).resolve()
                owner.setdefault(path, []).append(core.vln)
                if not path.is_file():
                    out.append(f"{core.path.name} lists {f}, which does not exist")
    for path in sorted({p.resolve() for d in dirs for pattern in hdl for p in d.glob(pattern)}):
        listed = owner.get(path, [])
        if len(listed) != 1:
            out.append(f"{path.name} is in {len(listed)} cores{': ' + ', '.join(listed) if listed else ''}: allowed exactly one")
    return out
