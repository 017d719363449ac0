"""The MULT18X18D simulation model (tb/mbm_bringup_top/mult18x18d_model.v) on its own unit
bench (mult18x18d_tb.v) under Verilator and Icarus: P against Python's a*b for every
signedness of corner and random operands, the pass-through outputs, a broken sign extension
caught, and every configuration it does not model refused naming the parameter or port.
The model in an exact set's netlist is tests/hw/test_fpga_bringup_array.py."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from pymodel.hw.fpga import sim, tools
from pymodel.hw.toolchain import verilator_env

pytestmark = pytest.mark.rtl
BENCH = sim.BENCH_DIR / "mult18x18d_tb.v"
SIMULATORS = ("verilator", pytest.param("icarus", marks=pytest.mark.icarus))
#: 18-bit corners: zero, one, the largest positive, the most negative and its neighbour, all
#: ones (-1 signed), alternating bits
CORNERS = (0, 1, 2, 0x1FFFF, 0x20000, 0x20001, 0x3FFFF, 0x2AAAA, 0x15555)


def _vectors() -> list[tuple[int, int, int, int, int]]:
    """(SIGNEDA, SIGNEDB, A, B, C): every corner pair at every signedness, then random words."""
    rng = random.Random(18)
    out = [(sa, sb, a, b, rng.getrandbits(18)) for sa in (0, 1) for sb in (0, 1) for a in CORNERS for b in CORNERS]
    out += [(rng.getrandbits(1), rng.getrandbits(1), *(rng.getrandbits(18) for _ in range(3))) for _ in range(400)]
    return out


def _value(x: int, signed: int) -> int:
    return x - (1 << 18) if signed and x >> 17 else x


def _expected(sa: int, sb: int, a: int, b: int, c: int) -> str:
    """The bench's line for one word: P = a*b in 36 bits, A, A, B, B, C, SIGNEDA|SIGNEDB."""
    p = (_value(a, sa) * _value(b, sb)) % (1 << 36)
    return f"OUT {p:09x} {a:05x} {a:05x} {b:05x} {b:05x} {c:05x} {sa | sb:x}"


def _run(folder: Path, simulator: str, words, model: Path = sim.MULT18X18D_MODEL, params: str = "",
         ties: tuple[int, int] = (0, 0)) -> list[str]:
    """The unit bench over ``words`` in ``folder``; its OUT lines (ToolError if it stops)."""
    folder.mkdir(parents=True, exist_ok=True)
    words_hex = (f"{sa << 55 | sb << 54 | a << 36 | b << 18 | c:014x}\n" for sa, sb, a, b, c in words)
    (folder / "mult18x18d_vectors.hex").write_text("".join(words_hex))
    top = {"COUNT": len(words), "SOURCEA_TIE": ties[0], "SOURCEB_TIE": ties[1]}
    defines = [f"-DMODEL_PARAMS={params}"] if params else []
    if simulator == "verilator":
        verilator_env()
        # -O0: the C++ build is the bench's cost (13 s against 35 s), its run is instant
        tools.run("verilator", ["--binary", "-Wall", "-CFLAGS", "-fcoroutines -O0", "-j", "2",
                                "--top-module", "mult18x18d_tb", "--Mdir", "obj", "-o", "bench",
                                *[f"-G{k}={v}" for k, v in top.items()], *defines, str(model), str(BENCH)],
                  folder, "build.log")
        out = tools.run(str(folder / "obj" / "bench"), [], folder, "sim.log")
    else:
        tools.run("iverilog", ["-g2012", "-o", "bench.vvp", "-s", "mult18x18d_tb",
                               *[f"-Pmult18x18d_tb.{k}={v}" for k, v in top.items()], *defines,
                               str(model), str(BENCH)], folder, "build.log")
        out = tools.run("vvp", ["-n", "bench.vvp"], folder, "sim.log")
    assert "DONE" in out, out[-500:]
    return [ln for ln in out.splitlines() if ln.startswith("OUT ")]


def _mismatches(got: list[str], words) -> list[tuple[tuple[int, ...], str, str]]:
    assert len(got) == len(words)
    return [(w, g, e) for w, g in zip(words, got) if g != (e := _expected(*w))]


def test_the_model_lints_clean(tmp_path):
    verilator_env()
    tools.run("verilator", ["--lint-only", "-Wall", str(sim.MULT18X18D_MODEL)], tmp_path, "lint.log")


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_the_model_is_a_times_b_for_signed_and_unsigned_operands(tmp_path, simulator):
    words = _vectors()
    bad = _mismatches(_run(tmp_path, simulator, words), words)
    assert not bad, bad[:5]


def test_a_model_without_sign_extension_fails_the_unit_bench(tmp_path):
    """The bench can fail: A taken as unsigned whatever SIGNEDA says is wrong exactly where a
    signed A is negative and B is not zero."""
    simulator = "icarus" if shutil.which("iverilog") else "verilator"
    text = sim.MULT18X18D_MODEL.read_text()
    assert text.count("{{18{SIGNEDA & a[17]}}, a}") == 1
    broken = tmp_path / "mult18x18d_model.v"
    broken.write_text(text.replace("{{18{SIGNEDA & a[17]}}, a}", "{18'd0, a}"))
    words = _vectors()
    bad = _mismatches(_run(tmp_path / "run", simulator, words, model=broken), words)
    assert bad and all(w[0] == 1 and w[2] >> 17 and _value(w[3], w[1]) != 0 for w, _, _ in bad)
    assert len(bad) == sum(1 for w in words if w[0] == 1 and w[2] >> 17 and _value(w[3], w[1]) != 0)


@pytest.mark.parametrize("simulator", SIMULATORS)
@pytest.mark.parametrize("param, value", [
    ("REG_INPUTA_CLK", "CLK0"), ("REG_INPUTB_CLK", "CLK1"), ("REG_INPUTC_CLK", "CLK0"),
    ("REG_PIPELINE_CLK", "CLK0"), ("REG_OUTPUT_CLK", "CLK3"), ("SOURCEB_MODE", "C_SHIFT"),
    ("MULT_BYPASS", "ENABLED"), ("HIGHSPEED_CLK", "CLK0"),
])
def test_a_parameter_the_model_does_not_implement_stops_elaboration_naming_it(tmp_path, simulator, param, value):
    with pytest.raises(tools.ToolError, match=f"ERROR_MULT18X18D_model_{param}_not_"):
        _run(tmp_path, simulator, _vectors()[:1], params=f'.{param}("{value}")')
    if simulator == "verilator":  # its $error names the value too (Icarus 11 cannot parse it)
        assert f'MULT18X18D model: {param}="{value}" is not modelled' in (tmp_path / "build.log").read_text()


@pytest.mark.parametrize("simulator, ties", [
    pytest.param("icarus", (1, 0), marks=pytest.mark.icarus),
    pytest.param("icarus", (0, 1), marks=pytest.mark.icarus),
    ("verilator", (1, 0)),
    pytest.param("verilator", (0, 1), marks=pytest.mark.slow),  # a third bench build; the same check
])
def test_a_shift_chain_input_stops_the_run_naming_it(tmp_path, simulator, ties):
    """SOURCEA or SOURCEB tied high (the SRIA/SRIB shift inputs) ends the run with $fatal
    (a non-zero exit), the model's outputs never read."""
    with pytest.raises(tools.ToolError, match=f"SOURCEA={ties[0]} SOURCEB={ties[1]} is not modelled"):
        _run(tmp_path, simulator, _vectors()[:1], ties=ties)
