"""Every decoder layer of a forward pass through the MAC-array RTL (pymodel/hw/cosim_all.py,
pymodel/hw/stream.py): the same code path as `make cosim-all` on a small input, its resume, and
broken RTL, a broken golden side and a broken harness count that the checks must catch."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from pymodel.cli import main
from pymodel.core.arith import MulConfig
from pymodel.core.paths import REPO_ROOT
from pymodel.hw import cores, cosim_all, stream
from pymodel.hw.vecformat import pack_hex, pack_words, unpack_words
from pymodel.hw.multiplier import resolve
from pymodel.hw.vectors import array_ports
from pymodel.report.collect import collect

pytestmark = [pytest.mark.rtl, pytest.mark.xdist_group("stream")]
MBM8 = MulConfig("mbm", 8)
#: a 64x64 scene: the full-width network's decoder at 1/75 of the 480x640 MACs
SMALL = ["--input-hw", "64x64", "--quiet"]
#: two layers of the two harness builds (48 lanes and the one of conv3's single channel)
LAYERS = "up5.convB,conv3"
VERILOG = REPO_ROOT / "tests" / "data" / "verilog"
TRUNC_S = f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed"


def _opts(tmp_path: Path, **kw) -> cosim_all.Options:
    return cosim_all.Options(kw.pop("cfg", MBM8), input_hw=(64, 64), layers=kw.pop("layers", ["conv3"]),
                             out=tmp_path, progress=False, **kw)


def test_cosim_all_small_input_bit_exact_and_resumes(tmp_path, capsys):
    out = tmp_path / cosim_all.DEFAULT_OUT.name  # reports/cosim-all/, beside cosim's reports/cosim/
    assert main(["cosim-all", *SMALL, "--layers", LAYERS, "--out", str(out)]) == 0
    records = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert set(records) == {"decoder.up5.convB", "decoder.conv3"}
    up5 = records["decoder.up5.convB"]
    assert up5["mismatches"] == 0 and up5["shape"]["output"] == [1, 48, 32, 32]
    assert up5["tile"] == [0, 0, 32, 32] and up5["macs"] == 32 * 32 * 48 * 48 * 9
    assert up5["config"]["lanes"] == 48 and records["decoder.conv3"]["config"]["lanes"] == 1
    assert up5["sim_cpu_seconds"] > 0 and up5["sim_macs_per_cpu_s"] > 0
    assert up5["reference_sample"]["pixels"] > 5 and up5["reference_sample"]["mismatches"] == 0
    assert {"layer", "shape", "macs", "mismatches", "seconds", "macs_per_s", "fingerprint"} <= set(up5)
    cosim = collect(tmp_path, REPO_ROOT)["cosim"]  # what the sign-off report reads
    assert not cosim.problems and sorted(r["layer"] for r in cosim.data) == sorted(records)
    assert all(Path(r["_file"]).parent == out for r in cosim.data)
    capsys.readouterr()
    # a rerun skips both (the records stay byte for byte), a changed input reruns
    before = {p.name: p.read_bytes() for p in out.glob("*.json")}
    assert main(["cosim-all", *SMALL, "--layers", LAYERS, "--out", str(out)]) == 0
    assert capsys.readouterr().out.count("up to date, skipped") == 2
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == before
    assert main(["cosim-all", *SMALL, "--layers", "conv3", "--stall", "5", "--out", str(out)]) == 0
    assert "skipped" not in capsys.readouterr().out
    assert json.loads((out / "decoder.conv3.json").read_text())["config"]["stall_pct"] == 5


def test_ctrl_c_keeps_the_finished_layers_and_a_rerun_skips_them(tmp_path, monkeypatch, capsys):
    """Ctrl-C in the middle of conv3's stream (after up5.convB finished, one job): exit 130,
    the finished record stays, none is written for conv3, and the rerun runs only conv3."""
    out = tmp_path / "cosim"
    real = cosim_all.cosimulate_stream

    def interrupted(q, *args, on_chunk, **kw):
        def chunk(macs):
            if q.name == "decoder.conv3":
                raise KeyboardInterrupt
            on_chunk(macs)
        return real(q, *args, on_chunk=chunk, **kw)

    monkeypatch.setattr(cosim_all, "cosimulate_stream", interrupted)
    args = ["cosim-all", *SMALL, "--layers", LAYERS, "--jobs", "1", "--out", str(out)]
    assert main(args) == 130
    assert sorted(p.name for p in out.iterdir()) == ["decoder.up5.convB.json"]
    monkeypatch.setattr(cosim_all, "cosimulate_stream", real)
    capsys.readouterr()
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("decoder.up5.convB" in ln and "skipped" in ln for ln in lines)
    assert any("decoder.conv3" in ln and "skipped" not in ln for ln in lines)


def test_a_record_is_stale_when_anything_it_depends_on_changes(tmp_path):
    """The fingerprint covers the operands, the configuration and the RTL files."""
    (run,) = cosim_all.plan(_opts(tmp_path))
    same = cosim_all.fingerprint(run.q, run.lanes, run.acc_bits, _opts(tmp_path))
    assert same == run.fingerprint
    assert cosim_all.fingerprint(run.q, run.lanes, run.acc_bits, _opts(tmp_path, seed=2)) != same
    assert cosim_all.fingerprint(run.q, run.lanes, run.acc_bits + 1, _opts(tmp_path)) != same
    copy = tmp_path / "rtl"
    copy.mkdir()
    files = []
    for f in cores.sources("mbm_mac_array"):
        (copy / f.name).write_text(f.read_text() + ("\n// a comment\n" if f.name == "mbm_mac_array.v" else ""))
        files.append(copy / f.name)
    assert cosim_all.fingerprint(run.q, run.lanes, run.acc_bits, _opts(tmp_path, rtl=files)) != same
    run.q.x_q[0, 0, 0, 0] += 1
    assert cosim_all.fingerprint(run.q, run.lanes, run.acc_bits, _opts(tmp_path)) != same
    path = tmp_path / "decoder.conv3.json"
    path.write_text(json.dumps({"layer": "decoder.conv3", "fingerprint": same}))
    assert cosim_all.finished(path, same) is not None and cosim_all.finished(path, "other") is None
    path.write_text("{half a rec")
    assert cosim_all.finished(path, same) is None


def test_a_wrong_multiplier_in_the_rtl_mismatches(tmp_path, capsys):
    """The MBM model against a Mitchell build of the array: every layer must fail."""
    (run,) = cosim_all.run_all(_opts(tmp_path, rtl_overrides={"MITCHELL": 1}))
    assert run.record["mismatches"] > 0 and run.record["examples"][0]["rtl"] != run.record["examples"][0]["model"]


def test_a_bias_taken_from_a_later_beat_mismatches(tmp_path):
    """A broken array that latches the bias on the last beat instead of the first: caught
    because the harness drives the bias's complement on every other beat (conv3: one lane,
    one group, so without that the stale bias would still be right after the first dot)."""
    good = "if (!in_dot_q) p_bias_q <= x_tuser;"
    rtl = []
    for f in cores.sources("mbm_mac_array"):
        text = f.read_text()
        if f.name == "mbm_mac_array.v":
            assert text.count(good) == 1
            text = text.replace(good, "if (x_tlast) p_bias_q <= x_tuser;")
        (tmp_path / f.name).write_text(text)
        rtl.append(tmp_path / f.name)
    (run,) = cosim_all.run_all(_opts(tmp_path / "out", rtl=rtl))
    assert run.record["mismatches"] > 0


def test_a_wrong_golden_kernel_is_caught_by_the_reference_sample(tmp_path, monkeypatch):
    """The plain reference checks the compiled kernel on a sample of every layer."""
    real = cosim_all.golden

    def off_by_one(q, acc_bits):
        acc, ovf = real(q, acc_bits)
        acc = acc.copy()
        acc[0, 0] += 1  # pixel 0 (a corner) is always in the sample
        return acc, ovf

    monkeypatch.setattr(cosim_all, "golden", off_by_one)
    (run,) = cosim_all.run_all(_opts(tmp_path))
    assert run.record["reference_sample"]["mismatches"] == 1
    assert run.record["mismatches"] >= 2  # the reference's and the RTL's (which is right)


def test_the_harness_counts_are_checked(tmp_path, monkeypatch):
    """A harness that reports another number of beats than it was fed counts as a mismatch."""
    real = stream.Stream.run

    def miscounted(self, chunks):
        yield from real(self, chunks)
        self.trailer = dataclasses.replace(self.trailer, beats=self.trailer.beats - 1)

    monkeypatch.setattr(stream.Stream, "run", miscounted)
    (run,) = cosim_all.run_all(_opts(tmp_path))
    assert run.record["mismatches"] == 1 and "harness" in run.record["examples"][-1]


def test_binary_words_are_the_hex_words():
    """pack_words / unpack_words (the harness's port words) against pack_hex (the vector sets)."""
    layout = array_ports(8, 5, 30)["s_axis_tdata"]
    rng = np.random.default_rng(3)
    cols = [rng.integers(-255, 256, size=40) for _ in layout.fields]
    words = pack_words(layout, cols)
    assert words.shape == (40, 2) and words.dtype == np.dtype("<u4")
    for w, h in zip(words, pack_hex(layout, cols)):
        assert sum(int(x) << (32 * i) for i, x in enumerate(w)) == int(h, 16)
    back = unpack_words(layout, words)
    assert all((back[f.name] == c).all() for f, c in zip(layout.fields, cols))


def test_cosim_all_option_errors(capsys):
    assert main(["cosim-all", "--layers", "nosuch*", *SMALL]) == 2
    assert "matches no decoder layer" in capsys.readouterr().err
    assert main(["cosim-all", "--input-hw", "32x32"]) == 2
    assert "allowed at least 64x64" in capsys.readouterr().err
    assert main(["cosim-all", "--jobs", "0"]) == 2
    assert "--jobs=0" in capsys.readouterr().err


# ---- an imported multiplier in the array's slot ----


def _broken(tmp_path: Path, source: Path) -> Path:
    """A copy of ``source`` whose product bit 0 is wrong where both operands are odd (for
    trunc_mul_s, whose dropped columns leave bit 0 at zero, exactly those products)."""
    text = source.read_text()
    end = "        end\n    end\nendmodule"
    assert text.count(end) == 1
    broken = tmp_path / source.name
    broken.write_text(text.replace(end, "        end\n        p[0] = p[0] ^ (a[0] & b[0]);\n    end\nendmodule"))
    return broken


def test_cosim_all_with_an_imported_signed_module_is_bit_exact_and_signs_it_off(tmp_path):
    """trunc_mul_s (:signed) in the two's complement array (TWOS=1), conv3 of the 64x64 forward
    pass in full; the report ties the record to the module by its table's sha256."""
    from pymodel.report.config import load_config
    from pymodel.report.verdict import PASS, check_cosim

    reports = tmp_path / "reports"
    out = reports / cosim_all.DEFAULT_OUT.name
    assert main(["cosim-all", *SMALL, "--layers", "conv3", "--mult", TRUNC_S, "--out", str(out)]) == 0
    record = json.loads((out / "decoder.conv3.json").read_text())
    m = resolve(TRUNC_S)
    assert record["mismatches"] == 0 and record["macs"] > 0 and record["reference_sample"]["mismatches"] == 0
    assert {k: record["config"][k] for k in ("spec", "encoding", "table_sha256")} == \
        {"spec": m.source.spec, "encoding": "twos", "table_sha256": m.table.sha256}
    signoff = tmp_path / "signoff.toml"
    cosim = collect(reports, REPO_ROOT)["cosim"]
    for spec, status in ((TRUNC_S, PASS), ("mbm:8", "FAIL")):
        signoff.write_text(f'[multiplier]\nspec = "{spec}"\n')
        assert check_cosim(cosim, load_config(signoff)).status == status, spec


def test_a_broken_copy_of_the_imported_module_mismatches(tmp_path):
    """The model is trunc_mul_s, the harness's slot holds the copy with one wrong product bit."""
    from pymodel.hw.cosim import cosimulate_stream
    from pymodel.hw.layers import Tile, default_acc_bits, load_layer, quantize_layer, reference

    good = resolve(TRUNC_S)
    broken = resolve(f"verilog:{_broken(tmp_path, VERILOG / 'trunc_mul_s.v')}:signed")
    assert good.table.sha256 != broken.table.sha256
    q = quantize_layer(*load_layer("synthetic", 1), good)
    t, acc_bits = Tile(0, 0, 1, 2), default_acc_bits(q)
    want = reference(q, t, acc_bits)
    assert cosimulate_stream(q, t, 4, acc_bits, want).mismatches == 0
    r = cosimulate_stream(q, t, 4, acc_bits, want, rtl_mult=broken)
    assert r.mismatches > 0 and r.examples[0]["rtl"] != r.examples[0]["model"]


def test_a_record_is_stale_when_the_imported_verilog_or_the_golden_code_changes(tmp_path, monkeypatch):
    """Editing the user's file (a comment: same products, another file and slot build) and
    editing the Python of the golden model both change a layer's fingerprint."""
    import shutil

    copy = tmp_path / "trunc_mul_s.v"
    shutil.copy(VERILOG / "trunc_mul_s.v", copy)
    m = resolve(f"verilog:{copy}:signed")
    (run,) = cosim_all.plan(_opts(tmp_path, cfg=m))
    copy.write_text(copy.read_text() + "// an edit\n")
    edited = resolve(f"verilog:{copy}:signed")
    assert edited.table.sha256 == m.table.sha256 and edited.file_sha256 != m.file_sha256
    q = dataclasses.replace(run.q, cfg=edited)
    assert cosim_all.fingerprint(q, run.lanes, run.acc_bits, _opts(tmp_path, cfg=edited)) != run.fingerprint
    # the code: a copy of the listed sources gives the same fingerprint until one of them changes
    for rel in cosim_all.CODE_SOURCES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / rel, tmp_path / rel)
    monkeypatch.setattr(cosim_all, "REPO_ROOT", tmp_path)
    copy.write_text(copy.read_text()[: -len("// an edit\n")])
    same = cosim_all.fingerprint(run.q, run.lanes, run.acc_bits, _opts(tmp_path, cfg=m))
    assert same == run.fingerprint
    conv = tmp_path / "pymodel/core/conv.py"
    conv.write_text(conv.read_text() + "\n# an edit\n")
    assert cosim_all.fingerprint(run.q, run.lanes, run.acc_bits, _opts(tmp_path, cfg=m)) != same


@pytest.mark.parametrize("command", [["cosim-all", *SMALL], ["cosim", "--engine", "stream"], ["cosim"]])
def test_a_lut_table_is_refused_before_any_work(capsys, tmp_path, command):
    """A table has no circuit: refused from the spec (the file need not exist) in one line."""
    assert main([*command, "--mult", f"lut:{tmp_path / 'none.npy'}", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: --mult lut:")
    assert "has no circuit to co-simulate: allowed a verilog:PATH.v[:MODULE][:signed] spec or a built-in" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_cosim_all_full_network(tmp_path):
    """`make cosim-all`: all 14 decoder layers at 480x640, every output pixel (14.4 G MACs;
    about 10 to 20 minutes on two cores)."""
    out = tmp_path / "cosim"
    assert main(["cosim-all", "--quiet", "--out", str(out)]) == 0
    records = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert len(records) == 14 and all(r["mismatches"] == 0 for r in records)
    assert sum(r["macs"] for r in records) == 14_434_959_360
