"""Any multiplier through the flows, from the command line: characterize, lut, bench, sweep,
explore and the Python API with imported multipliers (the repo's Verilog multipliers in
tests/data/verilog/ and hand-written tables), and the bad input a user can give them, each a
one-line ``error:`` and exit 2."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import numpy as np
import pytest
import torch

from pymodel.cli import main
from pymodel.core import multiplier as mm
from pymodel.core.errors import MBMError
from pymodel.core.lut import load_table
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.multiplier import resolve
from tests.hw.test_multiplier import table_file  # noqa: F401 - the fixture: clr4.npy, P = a*b & ~1
from tests.hw.test_verilog_import import metrics, want_bam, want_drum, want_trunc

VERILOG = REPO_ROOT / "tests" / "data" / "verilog"
METRIC_KEYS = ("mae_pct", "wce_pct", "mre_pct", "ep_pct", "wcre_pct", "mse")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(capsys, *argv: str) -> str:
    """Run a command that must refuse its input: exit 2, one ``error:`` line, no traceback."""
    rc, _, err = run(capsys, *argv)
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


# --- characterize: the EvoApproxLib metric set of imported multipliers -------------------------


def test_characterize_json_of_a_hand_table(capsys, table_file):
    """e = -1 exactly when a and b are odd (64 of 256 pairs): hand-computed like
    tests/hw/test_verilog_import.py's truncated N=4 K=1 multiplier, the same errors."""
    rc, out, _ = run(capsys, "characterize", "--mult", f"lut:{table_file}", "--json")
    assert rc == 0
    got = json.loads(out)
    odd = sum(Fraction(1, v) for v in range(1, 16, 2))
    hand = dict(mae_pct=Fraction(1, 4) / 256 * 100, wce_pct=Fraction(1, 256) * 100, mre_pct=odd**2 / 225 * 100,
                ep_pct=25, wcre_pct=100, mse=Fraction(1, 4))
    for key in METRIC_KEYS:
        assert got[key] == pytest.approx(float(hand[key]), rel=1e-12), key
    assert (got["spec"], got["bits"], got["encoding"], got["pairs"]) == (f"lut:{table_file}", 4, "unsigned", 256)


@pytest.mark.rtl
@pytest.mark.parametrize("name,signed,want", [
    ("trunc_mul", False, lambda: want_trunc(8, 4)),
    ("trunc_mul_s", True, lambda: want_trunc(8, 4, signed=True)),
    ("drum_mul", False, lambda: want_drum(8, 4)),
    ("bam_mul", False, lambda: want_bam(8, 2, 6)),
])
def test_characterize_json_of_the_repo_multipliers(capsys, name, signed, want):
    """The modules at their default parameters (N=8), through the command line, against the
    EvoApproxLib formulas evaluated independently on the independent numpy tables."""
    spec = f"verilog:{VERILOG / f'{name}.v'}"
    rc, out, _ = run(capsys, "characterize", "--mult", spec, *(["--signed"] if signed else []), "--json")
    assert rc == 0
    got = json.loads(out)
    expected = want()
    ops = np.arange(-128, 128) if signed else np.arange(256)
    exact = ops[:, None] * ops[None, :]
    for key, value in metrics(expected, exact, 8).items():
        assert got[key] == pytest.approx(float(value), rel=1e-12), key
    assert got["encoding"] == ("twos" if signed else "unsigned") and got["spec"].endswith(":signed") == signed


def test_characterize_text_names_the_imported_multiplier(capsys, table_file):
    rc, out, _ = run(capsys, "characterize", "--mult", f"lut:{table_file}")
    assert rc == 0 and out.startswith("clr4 N=4 unsigned: 256 pairs (exhaustive)") and "MAE%" in out


# --- lut: any multiplier out, with the same indexing -------------------------------------------


@pytest.mark.rtl
def test_lut_exports_an_imported_module_with_the_same_indexing(capsys, tmp_path):
    src = f"verilog:{VERILOG / 'trunc_mul_s.v'}"
    m = resolve(src, signed=True)
    for fmt, name in (("npy", "t.npy"), ("approxtorch", "t.txt"), ("adapt", "t.h")):
        rc, out, _ = run(capsys, "lut", "--mult", src, "--signed", "--format", fmt, "--out", tmp_path / name)
        assert rc == 0 and "trunc_mul_s N=8 twos (twos operands), 256x256" in out
        back = load_table(tmp_path / name, signed=True)
        assert np.array_equal(back.values, m.table.values), fmt
    raw = np.load(tmp_path / "t.npy")
    assert raw[-3 + 128, 5 + 128] == int(m.table.mul(-3, 5))  # indexed [a + 2^(N-1), b + 2^(N-1)]
    rc, _, _ = run(capsys, "characterize", "--mult", f"lut:{tmp_path / 't.npy'}:signed", "--json")
    assert rc == 0


def test_lut_round_trip_of_a_table_spec(capsys, table_file, tmp_path):
    rc, _, _ = run(capsys, "lut", "--mult", f"lut:{table_file}", "--format", "hex", "--out", tmp_path / "c.hex")
    assert rc == 0
    assert np.array_equal(load_table(tmp_path / "c.hex").values, np.load(table_file))


# --- kernels, the bench and the network API ----------------------------------------------------


def test_bench_runs_the_table_kernel_for_an_imported_multiplier(table_file):
    from pymodel.nn.bench import LayerShape, run as bench_run

    m = resolve(f"lut:{table_file}")
    layer = LayerShape("tiny", 6, 5, 3, 4, 3, 1)
    doc = bench_run([layer], ["cpu"], m, repeats=1, warmup=0)
    assert doc["config"]["spec"] == f"lut:{table_file}" and doc["config"]["multiplier"] == "clr4 N=4 unsigned"
    assert doc["rows"][0]["backend"] == "cpu"


def _tiny_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1))


def test_approximate_with_a_lut_spec_and_an_imported_multiplier(tmp_path):
    """The spec string or the resolved multiplier: the same products, the gather kernel."""
    from pymodel.core import conv
    from pymodel.nn import approx

    ops = np.arange(-8, 8)
    np.save(tmp_path / "s4.npy", ops[:, None] * ops[None, :] & ~1)
    spec = f"lut:{tmp_path / 's4.npy'}:signed"
    x = torch.rand(1, 3, 6, 5)
    outs = []
    for mult in (spec, resolve(spec)):
        model = _tiny_model()
        layers = approx.approximate(model, ["0"], mult, calibration=x)
        layer = layers["0"]
        assert layer.encoding == "twos" and int(layer.w_q.abs().max()) == 7 and int(layer.w_q.min()) >= -8
        with torch.no_grad():
            outs.append(model(x))
        x_q, _ = approx.quant.quantize(x, layer.s_x, 4, "x", encoding="twos")
        want, _ = conv.conv2d_int(x_q, layer.w_q, layer.b_q, mm.network_table(layer.cfg), padding=1)
        got, _ = approx.kernels.approx_conv2d(x_q, layer.w_q, layer.b_q, layer.kernel_mult, padding=1)
        assert torch.equal(got, want)
    assert torch.equal(outs[0], outs[1])


@pytest.mark.rtl
def test_approximate_a_verilog_spec_needs_the_resolver():
    from pymodel.nn import approx

    spec = f"verilog:{VERILOG / 'trunc_mul.v'}"
    with pytest.raises(MBMError, match="is simulated by pymodel.hw.multiplier.resolve"):
        approx.approximate(_tiny_model(), ["0"], spec, calibration=torch.rand(1, 3, 6, 5))
    model = _tiny_model()
    swapped = approx.approximate(model, {"0": spec, "2": "mbm:8"}, calibration=torch.rand(1, 3, 6, 5),
                                 resolve=resolve)
    assert mm.label(swapped["0"].cfg) == "trunc_mul N=8 unsigned" and swapped["0"].encoding == "signmag"
    assert int(swapped["0"].w_q.abs().max()) == 255


def test_assignment_with_one_layer_twice_is_refused(table_file):
    from pymodel.nn import approx

    with pytest.raises(MBMError, match="is assigned lut:.* and mbm:8: allowed one multiplier per layer"):
        approx.resolve_assignment(_tiny_model(), {"0": f"lut:{table_file}", "*": "mbm:8"})


def test_sweep_with_an_imported_multiplier(capsys, tmp_path, table_file):
    out = tmp_path / "sweep"
    rc, text, _ = run(capsys, "sweep", "--images", "1", "--calib-images", "1", "--layers", "decoder.up5.convB",
                      "--mult", f"lut:{table_file}", "--out", out)
    assert rc == 0 and "clr4 N=4 unsigned" in text
    doc = json.loads((out / "sweep.json").read_text())
    record = doc["settings"]["multiplier"]
    assert record["spec"] == f"lut:{table_file}" and record["label"] == "clr4 N=4 unsigned"
    assert mm.is_imported(record) and [r["label"] for r in doc["rows"]] == ["exact", "decoder.up5.convB", "all"]
    assert list(out.glob("deviation_*.png"))


@pytest.mark.rtl
def test_sweep_of_an_assignment_with_an_imported_signed_module(capsys, tmp_path):
    """explore.json's {layer: spec} with a verilog: spec, resolved by the command (nn is given
    pymodel.hw.multiplier.resolve), recorded by spec and by record."""
    spec = f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed"
    assignment = tmp_path / "explore.json"
    assignment.write_text(json.dumps({"assignment": {"decoder.up5.convB": spec, "decoder.conv3": "mbm:8"}}))
    out = tmp_path / "sweep"
    rc, text, _ = run(capsys, "sweep", "--images", "1", "--calib-images", "1", "--assignment", assignment,
                      "--out", out)
    assert rc == 0, text
    settings = json.loads((out / "sweep.json").read_text())["settings"]["multiplier"]
    assert settings["assignment"] == {"decoder.up5.convB": spec, "decoder.conv3": "mbm:8"}
    assert settings["multipliers"][spec]["encoding"] == "twos" and settings["multipliers"]["mbm:8"]["mult"] == "mbm"
    rows = {r["label"]: r for r in json.loads((out / "sweep.json").read_text())["rows"]}
    assert set(rows) == {"exact", "decoder.up5.convB", "decoder.conv3", "all"}


def test_explore_with_a_verilog_candidate(capsys, tmp_path):
    """Built-ins and an imported module side by side, end to end on the bundled synthetic
    default: its cost is its own module's synthesis (file and table sha256 recorded), the
    tables and figures name it by its label, explore.json and signoff.toml by its spec."""
    from pymodel.hw.synthesis import design_of
    from pymodel.hw.synthesis import synthesize

    spec = f"verilog:{VERILOG / 'drum_mul.v'}"
    out = tmp_path / "explore"
    rc, text, _ = run(capsys, "explore", "--mults", f"mbm:8,exact:8,{spec}", "--layers", "decoder.up5.convB",
                      "--images", "1", "--calib-images", "1", "--workers", "1", "--cost-model", "cells", "--out", out)
    assert rc == 0, text
    doc = json.loads((out / "explore.json").read_text())
    drum = resolve(spec)
    assert doc["candidates"] == ["mbm:8", "exact:8", spec] and doc["labels"][spec] == "drum_mul N=8 unsigned"
    source = doc["cost_model"]["source"][spec]
    assert (source["top"], source["file_sha256"], source["table_sha256"]) == \
        ("drum_mul", drum.file_sha256, drum.table.sha256)
    assert source["per_mac"] == synthesize(design_of(drum), "generic", tmp_path / "synth").cells
    assert source["per_mac"] != doc["cost_model"]["per_mac"]["exact:8"]
    header = next(line for line in text.splitlines() if line.startswith("layer "))
    assert header.split()[-3:] == ["drum_mul", "N=8", "unsigned"] and spec not in header
    assert all(f'"{layer}" = "{s}"' in (out / "signoff.toml").read_text() for layer, s in doc["assignment"].items())


@pytest.mark.parametrize("candidate,message", [
    ("lut:{table}", "a lut: table has no RTL to cost"),
    (f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed", "a two's-complement module's operands have another range"),
])
def test_explore_refuses_tables_and_twos_complement_candidates_in_one_line(capsys, table_file, candidate, message):
    spec = candidate.format(table=table_file)
    line = one_line_error(capsys, "explore", "--mults", f"mbm:8,{spec}")
    assert message in line and f"pymodel sweep --mult {spec}" in line


# --- bad input: one line, exit 2 ----------------------------------------------------------------


@pytest.mark.parametrize("values,message", [
    (np.zeros((16, 16, 2), int), r"shape \(16, 16, 2\): allowed 2 dimensions"),
    (np.zeros((16, 8), int), r"shape \(16, 8\): allowed a square table"),
    (np.zeros((17, 17), int), "side 17 is not allowed for unsigned operands"),
    (np.zeros((16, 16)), "dtype float64 .float.: allowed an integer dtype"),
    (np.full((16, 16), np.nan), "non-finite entries: allowed integers only"),
    (np.full((16, 16), -3), "entry -3 at .* is negative: allowed products >= 0 for unsigned operands"),
    (np.full((16, 16), 1 << 50), r"allowed .*2\^48|out of range"),
])
def test_bad_tables_through_the_cli(capsys, tmp_path, values, message):
    path = tmp_path / "bad.npy"
    np.save(path, values)
    for argv in (["characterize"], ["lut", "--out", tmp_path / "o.npy"], ["sweep", "--images", "1"]):
        line = one_line_error(capsys, *argv, "--mult", f"lut:{path}")
        assert re.search(message, line), line


@pytest.mark.parametrize("spec,message", [
    ("mbm:8:x", "multiplier spec 'mbm:8:x' does not parse: allowed MULT:BITS"),
    ("booth:8", "unknown multiplier 'booth': allowed mbm, mitchell, exact .multiplier spec 'booth:8': allowed MULT:BITS"),
    ("lut:", "names no file: allowed MULT:BITS"),
    ("verilog:mul.vhd", "is not a Verilog file .*: allowed MULT:BITS.*lut:PATH"),
    ("verilog:x.v:9bad", "'9bad' is not a Verilog module name"),
])
def test_a_spec_that_does_not_parse_names_the_grammar(capsys, spec, message):
    for command in ("characterize", "lut", "bench"):
        extra = ["--out", "unused.npy"] if command == "lut" else []
        line = one_line_error(capsys, command, "--mult", spec, *extra)
        assert re.search(message, line), line
        assert "verilog:PATH.v[:MODULE][:signed]" in line


@pytest.mark.rtl
def test_a_verilog_file_that_does_not_elaborate(capsys, tmp_path):
    src = tmp_path / "broken.v"
    src.write_text("module broken (input [3:0] a, input [3:0] b, output [7:0] p);\n  assign p = a * ;\nendmodule\n")
    line = one_line_error(capsys, "characterize", "--mult", f"verilog:{src}")
    assert "broken.v does not elaborate" in line


@pytest.mark.rtl
def test_bits_disagreeing_with_the_module_or_table(capsys, table_file):
    line = one_line_error(capsys, "characterize", "--mult", f"verilog:{VERILOG / 'trunc_mul.v'}", "--bits", "6")
    assert "--bits 6 disagrees with verilog:" in line and "allowed --bits 8 or no --bits" in line
    line = one_line_error(capsys, "lut", "--mult", f"lut:{table_file}", "--bits", "8", "--out", "unused.npy")
    assert "--bits 8 disagrees with lut:" in line and "allowed --bits 4" in line
    assert run(capsys, "characterize", "--mult", f"lut:{table_file}", "--bits", "4", "--json")[0] == 0


def test_missing_file(capsys, tmp_path):
    line = one_line_error(capsys, "characterize", "--mult", f"lut:{tmp_path / 'none.npy'}")
    assert "does not exist" in line


def test_builtin_options_with_an_imported_spec_are_refused(capsys, table_file):
    line = one_line_error(capsys, "characterize", "--mult", f"lut:{table_file}", "--trunc", "1")
    assert "--trunc/--frac-out with --mult lut:" in line
