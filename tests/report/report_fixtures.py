"""Result files shaped like the producers write them, for the sign-off report tests.

The shapes follow the producers' documented schemas (pymodel.hw.sim.record, pymodel.hw.cosim,
pymodel.nn.sweep, pymodel.hw.vectors, the bench rows); each writer takes the one thing a test
wants to break as an argument, so a test reads as "a good set of results, except ...".
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from pymodel.hw.sim.record import RunRecord, Summary, TestRecord
from pymodel.nn.clamping import clamp_warnings, row_counts
from pymodel.nn.figures import png, pyplot
from pymodel.nn.metrics import METRICS
from pymodel.report.collect import SIM_SUMMARY, SWEEP_SCHEMA

LAYERS = ("decoder.up0.convA", "decoder.up5.convB")
GOOD_SHA = "ab" * 32


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path


def _cov(test: str, items: dict[str, tuple[int, int]]) -> dict[str, dict]:
    """One cover group of ``test`` as the bench's BatchCoverage.summary() writes it."""
    hit, bins = sum(h for h, _ in items.values()), sum(b for _, b in items.values())
    return {f"{test}.cov": {"percent": 100.0 * hit / bins, "samples": 1,
                            "items": {k: {"hit": h, "bins": b} for k, (h, b) in items.items()}, "missed": {}}}


def write_rtl(
    out: Path, result: str = "PASS", carry_coverage: float = 100.0, carry_bins_hit: int = 2
) -> None:
    """Two test records (pymodel.hw.sim.record.TestRecord) whose result and coverage a test
    may spoil: carry_bins_hit of the exhaustive test's 2 carry bins, carry_coverage percent
    of the random test's 8."""
    common = {"run": "mbm_mul-N8-TRUNC0", "dut": "mbm_mul", "parameters": {"N": 8, "TRUNC": 0}, "mismatches": 0,
              "seconds": 1.5, "tps": 1000.0}
    exhaustive = _cov("test_exhaustive", {"lead_a_x_lead_b": (64, 64), "carry": (carry_bins_hit, 2)})
    carry = round(carry_coverage * 8 / 100)
    random = _cov("test_random_stalls", {"leading_one_a_x_b": (64, 64), "carry": (carry, 8)})
    records = {
        "mbm_mul-N8-exhaustive": TestRecord(
            **common, test="test_exhaustive", seed=11, transactions=65536, result="PASS",
            coverage_pct=100.0 * (64 + carry_bins_hit) / 66, coverage=exhaustive),
        "mbm_mul-N8-random": TestRecord(
            **common, test="test_random_stalls", seed=12, transactions=20000, result=result,
            coverage_pct=100.0 * (64 + carry) / 72, coverage=random,
            failures=[] if result == "PASS" else ["a=200 b=3: rtl 601 model 600"]),
    }
    for name, rec in records.items():
        _write(out / "rtl" / f"{name}.json", rec.to_json())


def write_sim_summary(repo: Path, proof_failed: bool = True, icarus: str = "") -> None:
    """The runner's build/sim/results/summary.json: one good run and one that must fail (both
    under Verilator); icarus: the good run's Icarus twin too, "pass", "fail" (a mismatch) or
    "skipped" (iverilog not installed)."""
    record = TestRecord(test="MulExhaustiveTest", run="mul-n8-exhaustive", dut="mbm_mul", parameters={"N": 8},
                        seed=3, transactions=65536, mismatches=0, result="PASS", seconds=2.0, tps=30000.0,
                        coverage_pct=100.0)
    wrong = replace(record, run="fails-mitchell-rtl-vs-mbm-model", parameters={"N": 8, "MITCHELL": 1},
                    mismatches=4096 if proof_failed else 0, coverage_pct=40.0,
                    result="FAIL" if proof_failed else "PASS")
    runs = [
        RunRecord("mul-n8-exhaustive", "mbm_mul", {"N": 8}, expect_fail=False, ok=True, why="", seconds=2.0,
                  build_seconds=0.0, seed=3, records=[record], simulator="verilator"),
        RunRecord("fails-mitchell-rtl-vs-mbm-model", "mbm_mul", {"N": 8, "MITCHELL": 1}, expect_fail=True,
                  ok=proof_failed, why="" if proof_failed else "no mismatch reported", seconds=2.0,
                  build_seconds=0.0, seed=3, records=[wrong], simulator="verilator"),
    ]
    if icarus == "skipped":
        runs.append(RunRecord("mul-n8-exhaustive", "mbm_mul", {"N": 8}, False, False, ICARUS_MISSING, 0.0, None, None,
                              simulator="icarus", skipped=True))
    elif icarus:
        bad = icarus == "fail"
        twin = replace(record, mismatches=int(bad), result="FAIL" if bad else "PASS",
                       failures=["a=200 b=3: rtl 601 model 600"] if bad else [])
        runs.append(RunRecord("mul-n8-exhaustive", "mbm_mul", {"N": 8}, False, not bad, "", 5.0, 0.1, 3, [twin],
                              simulator="icarus"))
    Summary(9.0, runs).write(repo / SIM_SUMMARY)


#: the reason the runner gives where Icarus is not installed
ICARUS_MISSING = "iverilog and vvp not found on PATH: install Icarus Verilog 11+ (Debian/Ubuntu: apt-get install iverilog)"


def write_cosim(out: Path, mismatches: int = 0, mult: str = "mbm") -> None:
    _write(
        out / "cosim" / "decoder.up5.convA.json",
        {
            "layer": "decoder.up5.convA",
            "shape": {"input": [1, 112, 24, 32], "weight": [48, 112, 3, 3], "output": [1, 48, 24, 32]},
            "tile": [0, 0, 4, 4],
            "macs": 774144,
            "mismatches": mismatches,
            "seconds": 12.5,
            "macs_per_s": 61931.5,
            "config": {"mult": mult, "bits": 8, "trunc": 0, "frac_out": False, "lanes": 4},
            "seed": 7,
        },
    )


def write_sweep(
    out: Path,
    worst_deviation: float = -0.4,
    complete: bool = True,
    mult: str = "mbm",
    schema: str = SWEEP_SCHEMA,
    all_deviation: float = -0.45,
    clamped: int = 0,
    zero_exact: tuple[str, ...] = (),
) -> None:
    """The sweep's sweep.json and one chart. clamped: activations of LAYERS[1] clamped in each
    row holding it (of 1000; its s_x then 1e9 by hand), warned about by the sweep's own
    clamp_warnings; zero_exact: metrics whose exact value is 0 (deviation null, as the sweep
    writes it)."""
    exact = {"a1": 0.80, "a2": 0.95, "a3": 0.98, "rel": 0.15, "rms": 0.60, "log10": 0.065}
    exact.update({m: 0.0 for m in zero_exact})

    def counts(layer: str) -> SimpleNamespace:
        values = {"inputs": 1000, "clamped_inputs": clamped if layer == LAYERS[1] else 0, "weights": 100,
                  "clamped_weights": 0, "accumulators": 1000, "saturated": 0}
        return SimpleNamespace(counts=lambda: values)

    def row(label: str, dev: float) -> dict:
        layers = [] if label == "exact" else list(LAYERS) if label == "all" else [label]
        return {
            "label": label,
            "layers": layers,
            "metrics": {m: exact[m] * (1 + dev / 100) for m in METRICS},
            "deviation_pct": {m: None if m in zero_exact else dev for m in METRICS},
            "seconds": 1.0,
            **row_counts({n: counts(n) for n in layers}),
            "scales": {n: {"s_x": 1e9 if clamped and n == LAYERS[1] else 64.0, "s_w": 512.0} for n in layers},
        }

    rows = [
        row("exact", 0.0),
        row(LAYERS[0], 0.1),
        row(LAYERS[1], worst_deviation),
        row("all", all_deviation),
    ]
    scales = {"file": {LAYERS[1]: {"s_x": 1e9}} if clamped else None, "s_x": None, "s_w": None,
              "method": "max", "weight_method": "max", "calib_images": 2}
    settings = {"scales": scales}
    _write(
        out / "accuracy" / "sweep.json",
        {
            "schema": schema,
            "synthetic": True,
            "note": "SYNTHETIC default: not the seed network",
            "warnings": clamp_warnings({"rows": rows, "settings": settings}),
            "settings": {
                **settings,
                "multiplier": {
                    "mult": mult,
                    "bits": 8,
                    "trunc": 0,
                    "frac_out": False,
                    "label": f"{mult} N=8 t=0",
                },
                "images": 5,
                "data": "synthetic",
                "checkpoint": None,
            },
            "rows": rows,
            "complete": complete,
            "seconds": 3.0,
            "versions": {},
        },
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.bar(LAYERS, [0.1, worst_deviation])
    ax.set_title("a1 deviation vs layer")
    (out / "accuracy" / "deviation_a1.png").write_bytes(png(fig))


def write_bench(out: Path) -> None:
    """reports/bench.json as pymodel.nn.bench writes it: rows, per-backend summary, config, versions."""
    row = {
        "layer": LAYERS[1],
        "backend": "cpu",
        "shape": "240x320 48->48 3x3",
        "gmac": 1.5925,
        "seconds": 0.27,
        "exact_seconds": 0.073,
        "gmac_per_s": 5.9,
        "ratio": 3.67,
        "device": "cpu: AMD EPYC",
        "threads": 2,
    }
    _write(
        out / "bench.json",
        {
            "rows": [row],
            "summary": {"cpu": {"geomean_ratio": 3.67, "sweep_seconds": 1.35, "layers": 1}},
            "config": {"multiplier": "mbm N=8 t=0", "repeats": 1},
            "versions": {"torch": "2.13.0+cpu"},
        },
    )


def write_fpga(out: Path, timing_met: bool = True, sim_netlist: str = "PASS", equivalence: str = "proven") -> None:
    """reports/fpga/<design>.json as pymodel.hw.fpga.flow writes it (the keys the report reads)."""
    design = "ulx3s-85f-mbm_mul-exhaustive-mbm-n8-t0-25mhz"
    util = {k: {"used": u, "available": a, "percent": round(100 * u / a, 2)}
            for k, u, a in (("lut4", 2000, 83640), ("ff", 410, 83640), ("bram", 118, 208), ("dsp", 0, 156),
                            ("io", 11, 365))}
    line = "MBM BRINGUP PASS set=mbm_mul/exhaustive-mbm-n8-t0 n=65536 fail=0 first=- crc=0badf00d"
    _write(
        out / "fpga" / f"{design}.json",
        {
            "design": design, "device": "LFE5U-85F", "board": "ulx3s-85f", "target_mhz": 25.0,
            "fmax_mhz": 35.5 if timing_met else 20.0, "slack_ns": 11.8 if timing_met else -10.0,
            "timing_met": timing_met, "utilization": util, "bitstream": f"build/fpga/{design}/{design}.bit",
            "bitstream_sha256": GOOD_SHA, "sim_rtl": "PASS", "sim_rtl_line": line, "sim_rtl_why": "",
            "sim_netlist": sim_netlist, "sim_netlist_line": line if sim_netlist == "PASS" else "",
            "sim_netlist_why": "" if sim_netlist == "PASS" else "fail=1, the first at index 123",
            "equivalence": equivalence,
            "equivalence_designs": [{"name": "mbm_mul N=16", "result": equivalence, "counterexample": ""}],
        },
    )


def write_vectors(repo: Path) -> None:
    _write(
        repo / "vectors" / "mbm_mul" / "exhaustive-mbm-n8-t0" / "manifest.json",
        {
            "dut": "mbm_mul",
            "config": "exhaustive-mbm-n8-t0",
            "seed": 5,
            "files": {"stim.hex": GOOD_SHA},
        },
    )


def write_all(out: Path, repo: Path) -> None:
    """A complete, passing set of results."""
    write_rtl(out)
    write_cosim(out)
    write_sweep(out)
    write_bench(out)
    write_fpga(out)
    write_vectors(repo)
