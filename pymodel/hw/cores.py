"""The source list of every RTL top, read from its FuseSoC CAPI2 core file.

Why core files: one list per top (``rtl/<top>.core``, ``tb/replay/<bench>.core``), in the
form in which FPGA users pull IP into their projects (``fusesoc library add mbm <this
repository>``, then depend on ``mbm:approx:mbm_mul``), read here by the simulator runner,
lint, the replay benches and synthesis, so none of them keeps a list of its own.

Only the part of CAPI2 those files use is read: filesets (``files``, ``depend``), targets
(``filesets``, ``toplevel``, ``parameters``, ``tools``) and parameter defaults. PyYAML does
the parsing, so nothing here needs fusesoc at run time; tests/hw/test_cores.py checks with
the pinned fusesoc that it reads the same files, in the same order.

A target's files are its dependencies' files first, each core once, in the order FuseSoC
gives them (:func:`resolve`), then its own. As in FuseSoC, the core asked for uses the named
target and every dependency its ``default`` target.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence
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


#: libyaml's loader where PyYAML has it (the wheels do), the pure-Python one otherwise
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        """The top module of the default target: how the tools name this core."""
        return str(self.target()["toplevel"])

    def target(self, name: str = "default") -> Mapping[str, Any]:
        targets = self.data.get("targets") or {}
        if name not in targets:
            raise MBMError(f"{self.path}: no target {name!r}: allowed {', '.join(targets)}")
        return targets[name]

    def _named(self, target: str, section: str) -> tuple[list[str], Mapping[str, Any]]:
        """(the entries of ``section`` the target names, the core's ``section``), refusing a
        name the core does not define."""
        defined = self.data.get(section) or {}
        named = self.target(target).get(section) or []
        missing = next((n for n in named if n not in defined), None)
        if missing is not None:
            raise MBMError(
                f"{self.path}: target {target!r} names {section} entry {missing!r}: allowed {', '.join(defined)}"
            )
        return named, defined

    def _filesets(self, target: str) -> list[Mapping[str, Any]]:
        named, filesets = self._named(target, "filesets")
        return [filesets[fs] for fs in named]

    def files(self, target: str = "default") -> tuple[Path, ...]:
        """This core's own files of ``target``, absolute, in the order listed."""
        return self._paths(self._filesets(target))

    def all_files(self) -> tuple[Path, ...]:
        """The files of every fileset, whichever target uses it."""
        return self._paths((self.data.get("filesets") or {}).values())

    def _paths(self, filesets: Iterable[Mapping[str, Any]]) -> tuple[Path, ...]:
        names = [f for fs in filesets for f in fs.get("files") or []]
        odd = next((f for f in names if not isinstance(f, str)), None)
        if odd is not None:
            raise MBMError(f"{self.path}: file entry {odd!r} is not allowed here: allowed a plain file name")
        return tuple(self.path.parent / f for f in names)

    def depends(self, target: str = "default") -> tuple[str, ...]:
        """The ``depend`` entries of ``target``'s filesets, as written."""
        return tuple(d for fs in self._filesets(target) for d in fs.get("depend") or [])

    def parameters(self, target: str = "default") -> dict[str, int]:
        """HDL parameters (``vlogparam``) the target declares, with their defaults."""
        named, declared = self._named(target, "parameters")
        return {p: declared[p]["default"] for p in named if declared[p].get("paramtype") == "vlogparam"}

    def tool_options(self, target: str, tool: str = "verilator") -> dict[str, Any]:
        """The target's options for ``tool`` (for Verilator: ``mode``, ``verilator_options``)."""
        return dict((self.target(target).get("tools") or {}).get(tool) or {})


def library(dirs: tuple[Path, ...] = CORE_DIRS) -> dict[str, Core]:
    """Every core in ``dirs`` (not recursive), by VLN; read afresh on each call (a few ms),
    so an edited core file counts at once."""
    cores: dict[str, Core] = {}
    for path in sorted(p for d in dirs for p in d.glob("*.core")):
        text = path.read_text()
        if not text.startswith("CAPI=2:"):
            raise MBMError(f"{path}: the first line must be 'CAPI=2:'")
        core = Core(path, yaml.load(text, Loader=_LOADER))
        if core.vln in cores:
            raise MBMError(f"{path}: {core.vln} is also defined in {cores[core.vln].path}")
        cores[core.vln] = core
    return cores


def by_top(top: str, dirs: tuple[Path, ...] = CORE_DIRS) -> Core:
    """The core whose default target's toplevel is ``top``."""
    return _by_top(top, library(dirs))


def _by_top(top: str, cores: Mapping[str, Core]) -> Core:
    for core in cores.values():
        if core.toplevel == top:
            return core
    raise MBMError(
        f"no core has toplevel {top!r}: allowed {', '.join(sorted(c.toplevel for c in cores.values()))}"
    )


def _dependency(entry: str, owner: Core, cores: Mapping[str, Core]) -> Core:
    m = _DEPEND.fullmatch(entry)
    if not m:
        raise MBMError(
            f"{owner.path}: depend {entry!r} is not allowed: allowed [>=|==]vendor:library:name[:version]"
        )
    core = cores.get(m["vln"])
    if core is None:
        raise MBMError(f"{owner.path}: depend {entry!r} names no core: allowed {', '.join(sorted(cores))}")
    if m["version"]:
        want, have = _version(m["version"]), core.version
        if (have < want) if m["op"] == ">=" else (have != want):
            raise MBMError(f"{owner.path}: depend {entry!r} does not match {core.name}")
    return core


def resolve(top: str, target: str = "default", dirs: tuple[Path, ...] = CORE_DIRS) -> list[Core]:
    """The core of ``top`` and every core it depends on, each once, in FuseSoC's order: a
    core after all its dependencies, and of the cores ready at one point the one whose VLN
    sorts first (so the order does not depend on how the ``depend`` lists are written)."""
    cores = library(dirs)
    needs: dict[str, set[str]] = {}
    found: dict[str, Core] = {}
    path: list[str] = []

    def visit(core: Core, tgt: str) -> None:
        if core.vln in path:
            raise MBMError(f"{core.path}: dependency cycle {' -> '.join([*path, core.vln])}")
        if core.vln in found:
            return
        path.append(core.vln)
        deps = [_dependency(entry, core, cores) for entry in core.depends(tgt)]
        for dep in deps:
            visit(dep, "default")
        path.pop()
        found[core.vln] = core
        needs[core.vln] = {dep.vln for dep in deps}

    visit(_by_top(top, cores), target)
    ready = [vln for vln, deps in needs.items() if not deps]
    heapq.heapify(ready)
    order: list[Core] = []
    while ready:
        vln = heapq.heappop(ready)
        order.append(found[vln])
        for other, deps in needs.items():
            if vln in deps:
                deps.discard(vln)
                if not deps:
                    heapq.heappush(ready, other)
    return order


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
        for path in core.all_files():
            owner.setdefault(path.resolve(), []).append(core.vln)
            if not path.is_file():
                out.append(f"{core.path.name} lists {path.name}, which does not exist")
    for path in sorted({p.resolve() for d in dirs for pattern in hdl for p in d.glob(pattern)}):
        listed = owner.get(path, [])
        if len(listed) != 1:
            out.append(
                f"{path.name} is in {len(listed)} cores"
                + (f": {', '.join(listed)}" if listed else "")
                + ": allowed exactly one"
            )
    return out
