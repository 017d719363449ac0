"""`make fpga`: the bring-up top for one vector set through synth_ecp5 (Yosys), nextpnr-ecp5
and ecppack, its RTL and netlist simulations, the multipliers' formal equivalence, and
reports/fpga/<design>.json.

Why one flow: what an engineer loads onto the board must be the design whose simulations
and proofs the report shows, so one run produces the bitstream, the netlist it came from,
both bring-up simulations of that netlist's design, and the record tying them together
(with the bitstream's sha256). Timing not met is exit status 1, naming the slack and the
critical path's endpoints; a bad board, set, clock or a missing tool is a one-line
MBMError (exit 2) before anything runs. Another --clock than the oscillator goes through
an EHXPLLL (:mod:`pymodel.hw.fpga.clock`).

An imported multiplier's set (IMPORTED=1) adds the module's wrapper and file to synthesis
and to the RTL simulation (synth_ecp5 flattens, so the netlist needs neither), and the
equivalence proof is of that module's netlist (:func:`pymodel.hw.fpga.equiv.prove_set`).

Files under build/fpga/<design>/: src/ (the RTL as synthesized), {stim,expect,text}.hex,
synth.ys and synth.log, top.json (Yosys), netlist.v (the post-synthesis netlist),
board.lpf, pnr.log, report.json (nextpnr), top.config, <design>.bit and <design>.svf.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.core.paths import REPO_ROOT
from pymodel.hw.fpga import bringup, clock, equiv, sim, tools
from pymodel.hw.fpga.boards import Board
from pymodel.hw.vectors import file_sha256

TOP = "mbm_bringup_top"
#: nextpnr utilization entries reported, by the name the report uses
RESOURCES = {"lut4": "TRELLIS_COMB", "ff": "TRELLIS_FF", "bram": "DP16KD", "dsp": "MULT18X18D", "io": "TRELLIS_IO"}
#: nextpnr's placer seed (same seed, same bitstream)
SEED = 1


@dataclass
class Options:
    """What one `make fpga` run builds and checks."""

    set_name: str
    board: Board
    clock_mhz: float
    stall_pct: int
    baud: int
    vectors: Path
    build_root: Path
    reports: Path
    simulate: bool = True
    prove: bool = True
    netlist_simulator: str = "verilator"


def design_name(b: bringup.Bringup) -> str:
    """e.g. ``ulx3s-85f-mbm_mul-exhaustive-mbm-n8-t0-25mhz``."""
    return f"{b.board.name}-{b.name.replace('/', '-')}-{b.clock_mhz:g}mhz"


def stage(files: tuple[Path, ...] | list[Path], folder: Path) -> list[str]:
    """Copy ``files`` into ``folder``/src/ for a Yosys script; returns their paths relative
    to ``folder``, in order. A name already taken (an imported module's file may be called
    like an rtl/ one) goes into a numbered sub-folder, so no file is overwritten."""
    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    out = []
    for i, path in enumerate(files):
        rel = Path("src") / path.name
        if str(rel) in out:
            rel = Path("src") / str(i) / path.name
            (folder / rel).parent.mkdir(exist_ok=True)
        shutil.copy(path, folder / rel)
        out.append(str(rel))
    return out


def hdl_sources(b: bringup.Bringup) -> tuple[Path, ...]:
    """What synthesis reads: an imported multiplier's wrapper and file (without the
    Verilator waiver), then the top's core."""
    return (*(b.slot.hdl if b.slot else ()), *sim.RTL_SOURCES)


def synthesize(b: bringup.Bringup, folder: Path) -> dict[str, Any]:
    """synth_ecp5 of the top with the set's parameters; writes top.json and netlist.v and
    returns Yosys's cell counts by type."""
    files = stage(hdl_sources(b), folder)
    b.write_roms(folder)
    params = " ".join(f"-chparam {k} {v}" for k, v in b.parameters().items() if not isinstance(v, str))
    script = "\n".join([
        "read_verilog -defer " + " ".join(files),
        f"hierarchy -top {TOP} {params}",
        f"synth_ecp5 -top {TOP} -json top.json",
        "write_verilog -noattr netlist.v",
        "tee -q -o stat.json stat -json",
    ]) + "\n"
    (folder / "synth.ys").write_text(script)
    tools.run("yosys", ["-q", "-l", "synth.log", "synth.ys"], folder, "synth.out")
    stat = json.loads((folder / "stat.json").read_text())
    return {k: int(v) for k, v in stat["design"]["num_cells_by_type"].items() if not k.startswith("$")}


def place_and_route(b: bringup.Bringup, folder: Path) -> dict[str, Any]:
    """nextpnr-ecp5 with the clock constraint; returns its JSON report."""
    return nextpnr(b.board, b.clock_mhz, folder)


def nextpnr(board: Board, clock_mhz: float, folder: Path) -> dict[str, Any]:
    """nextpnr-ecp5 of folder/top.json on ``board`` at ``clock_mhz``; returns its JSON report."""
    shutil.copy(board.lpf, folder / "board.lpf")
    tools.run("nextpnr-ecp5", [
        f"--{board.device.nextpnr}", "--package", board.package, "--speed", str(board.speed),
        "--json", "top.json", "--lpf", "board.lpf", "--textcfg", "top.config", "--report", "report.json",
        "--freq", f"{clock_mhz:g}", "--timing-allow-fail", "--seed", str(SEED), "-l", "pnr.log", "-q",
    ], folder, "pnr.out")
    return json.loads((folder / "report.json").read_text())


def pack(folder: Path, name: str) -> tuple[Path, Path]:
    """ecppack: the .bit (SRAM or flash) and the .svf (JTAG players)."""
    bit, svf = folder / f"{name}.bit", folder / f"{name}.svf"
    tools.run("ecppack", ["--compress", "--svf", svf.name, "top.config", bit.name], folder, "pack.log")
    return bit, svf


def timing(report: dict[str, Any], target_mhz: float) -> dict[str, Any]:
    """Fmax of the (one) clock, slack at the target and the critical path's endpoints."""
    fmax = min(c["achieved"] for c in report["fmax"].values())
    slack = 1000.0 / target_mhz - 1000.0 / fmax
    path = report["critical_paths"][0]["path"] if report.get("critical_paths") else []
    ends = [f"{p[k]['cell']}.{p[k]['port']}" for p, k in ((path[0], "from"), (path[-1], "to"))] if path else ["?", "?"]
    return {"fmax_mhz": round(fmax, 2), "slack_ns": round(slack, 3), "timing_met": slack >= 0,
            "critical_path": {"from": ends[0], "to": ends[1], "delay_ns": round(sum(p["delay"] for p in path), 3)}}


def utilization(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Used / available / percent of each resource, from nextpnr's own device counts."""
    out = {}
    for key, bel in RESOURCES.items():
        u = report["utilization"].get(bel, {"used": 0, "available": 0})
        pct = 100.0 * u["used"] / u["available"] if u["available"] else 0.0
        out[key] = {"used": u["used"], "available": u["available"], "percent": round(pct, 2)}
    return out


def _rel(path: Path) -> str:
    """Relative to the repository when inside it (reports travel with a checkout)."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def run(opts: Options, log=print) -> tuple[dict[str, Any], int]:
    """The whole flow; returns (the report written to reports/fpga/<design>.json, exit status)."""
    start = time.perf_counter()
    clock.check_clock(opts.board, opts.clock_mhz)
    b = bringup.plan(opts.set_name, opts.vectors, opts.board, opts.clock_mhz, opts.stall_pct, opts.baud)
    icarus = opts.simulate and opts.netlist_simulator == "icarus"
    for tool in ("yosys", "nextpnr-ecp5", "ecppack", *(("verilator",) if opts.simulate else ()),
                 *(("iverilog",) if icarus else ())):
        tools.require(tool)
    name = design_name(b)
    folder = (opts.build_root / name).resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if opts.clock_mhz != opts.board.clock_mhz:
        b.clock_mhz, b.pll = clock.pll(opts.board, opts.clock_mhz, folder)
    steps: dict[str, float] = {}

    def step(label: str, fn, *args):
        t = time.perf_counter()
        log(f"fpga: {label} ...")
        out = fn(*args)
        steps[label] = round(time.perf_counter() - t, 2)
        return out

    cells = step("synthesis (yosys synth_ecp5)", synthesize, b, folder)
    pnr = step("place and route (nextpnr-ecp5)", place_and_route, b, folder)
    bit, svf = step("bitstream (ecppack)", pack, folder, name)
    t = timing(pnr, b.clock_mhz)
    report: dict[str, Any] = {
        "design": name, "top": TOP, "set": b.name, "dut": b.vs.manifest["dut"], "parameters": b.parameters(),
        **({"spec": b.vs.manifest["mul_config"]["spec"], "table_sha256": b.imported.table.sha256,
            "file_sha256": b.imported.file_sha256} if b.imported else {}),
        "vectors": b.count, "beats": b.beats, "expected_crc": f"{b.expected_crc:08x}",
        "device": b.board.device.name, "package": b.board.package, "speed": b.board.speed, "board": b.board.name,
        "target_mhz": b.clock_mhz, "clock_source": "EHXPLLL" if b.pll else "oscillator", "pll": b.pll, **t,
        "utilization": utilization(pnr), "yosys_cells": cells,
        "ebr_estimate": sum(b.ebr_need().values()),
        "bitstream": _rel(bit), "svf": _rel(svf), "bitstream_sha256": file_sha256(bit),
        "netlist": _rel(folder / "netlist.v"),
    }
    if opts.simulate:
        for kind, fn, args in (("rtl", sim.simulate_rtl, (b, folder)),
                               ("netlist", sim.simulate_netlist,
                                (b, folder, folder / "netlist.v", set(cells), opts.netlist_simulator))):
            r = step(f"bring-up simulation ({kind})", fn, *args)
            report[f"sim_{kind}"] = r.status
            report[f"sim_{kind}_line"] = r.check.line
            report[f"sim_{kind}_why"] = r.check.why
        report["sim_netlist_simulator"] = opts.netlist_simulator
    if opts.prove:
        proofs = step("formal equivalence (yosys)", equiv.prove_set, b.imported, folder / "equiv")
        report["equivalence"] = "proven" if all(p.proven for p in proofs) else "failed"
        report["equivalence_designs"] = [p.as_json() for p in proofs]
    report["tools"] = tools.versions()
    report["steps_s"] = steps
    report["wall_s"] = round(time.perf_counter() - start, 2)
    opts.reports.mkdir(parents=True, exist_ok=True)
    (opts.reports / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n")
    return report, verdict_status(report)


def verdict_status(report: dict[str, Any]) -> int:
    """0 when timing is met and every check that ran passed, else 1."""
    checks = [report["timing_met"], report.get("sim_rtl", "PASS") == "PASS",
              report.get("sim_netlist", "PASS") == "PASS", report.get("equivalence", "proven") == "proven"]
    return 0 if all(checks) else 1


def summary(report: dict[str, Any]) -> list[str]:
    """The lines `make fpga` prints at the end."""
    u = report["utilization"]
    cp = report["critical_path"]
    lines = [
        f"fpga: {report['design']} on {report['device']} ({report['board']})",
        "fpga: utilization " + ", ".join(f"{k.upper()} {v['used']}/{v['available']} ({v['percent']:.1f} %)"
                                         for k, v in u.items()),
        f"fpga: Fmax {report['fmax_mhz']:.1f} MHz against {report['target_mhz']:g} MHz: "
        + ("timing met" if report["timing_met"] else "TIMING NOT MET")
        + f", slack {report['slack_ns']:+.2f} ns, critical path {cp['from']} -> {cp['to']}",
    ]
    for kind in ("rtl", "netlist"):
        if f"sim_{kind}" in report:
            lines.append(f"fpga: bring-up {kind} simulation {report[f'sim_{kind}']}: "
                         f"{report[f'sim_{kind}_line'] or report[f'sim_{kind}_why']}")
    if "equivalence" in report:
        lines.append(f"fpga: equivalence {report['equivalence']}: " + ", ".join(
            f"{p['name']} {p['result']}" for p in report["equivalence_designs"]))
    lines.append(f"fpga: bitstream {report['bitstream']} (sha256 {report['bitstream_sha256'][:16]}...), "
                 f"{report['svf']}; {report['wall_s']:.0f} s")
    return lines
