"""The testbench building blocks without a simulator: sequences walk their operand space,
batched coverage counts exactly, pin encodings round-trip, the scoreboards flag a one-LSB
difference with the operands and both results, resets end an epoch (dropped results
counted and checked), the MAC array's port packing round-trips through the one layout, and
the wrong-model scoreboards are installed by factory overrides."""

import json

import numpy as np
import pytest
from pyuvm import uvm_factory

from pymodel.core.arith import MulConfig, mul_signed
from pymodel.core.conv import dot_int
from pymodel.core.corners import corner_values
from pymodel.hw.tb.common.cfg import publish
from pymodel.hw.tb.common.checks import fired, tagged
from pymodel.hw.tb.common.coverage import BatchCoverage, Point
from pymodel.hw.tb.common.sequences import ArrayItem, CornerSeq, ExhaustiveSeq, OperandSpace, RandomSeq
from pymodel.hw.tb.mbm_mac_array.cfg import MacArrayCfg
from pymodel.hw.tb.mbm_mac_array.scoreboard import (
    ExactProductScoreboard,
    MacArrayOverrideScoreboard,
    MacArrayScoreboard,
)
from pymodel.hw.tb.mbm_mul.env import (
    MulEnvCfg,
    MulOverrideScoreboard,
    MulScoreboard,
    decode_operands,
    decode_product,
    encode_operands,
    mul_features,
    operand_space,
)
from pymodel.hw.vecformat import Field, Layout, pack_hex, unpack_hex, unpack_word

SPACE = OperandSpace({"a": (0, 5), "b": (-3, 3)}, {"a": [0, 5]})


def _rows(seq):
    return [tuple(r) for cols in seq.batches() for r in zip(*(cols[c].tolist() for c in SPACE.columns))]


def test_exhaustive_sequence_visits_every_row_once_in_batches():
    rows = _rows(ExhaustiveSeq("x", SPACE, batch=4))
    assert len(rows) == SPACE.size == 42 and len(set(rows)) == 42
    assert rows[0] == (0, -3) and rows[-1] == (5, 3)


def test_corner_sequence_crosses_corners_and_full_ranges():
    rows = _rows(CornerSeq("c", SPACE))
    assert len(rows) == SPACE.corner_rows() == 2 * 7
    assert {a for a, _ in rows} == {0, 5}


def test_random_sequence_is_seeded_and_in_range():
    one = _rows(RandomSeq("r", SPACE, 1000, np.random.default_rng(3), batch=300))
    two = _rows(RandomSeq("r", SPACE, 1000, np.random.default_rng(3), batch=300))
    assert one == two and len(one) == 1000
    a, b = np.array(one).T
    assert a.min() == 0 and a.max() == 5 and b.min() == -3 and b.max() == 3


@pytest.mark.parametrize("signed", [False, True])
def test_the_benches_cross_the_one_corner_set(signed):
    space = operand_space(MulConfig(bits=12), signed)
    assert list(space.corners["a"]) == list(space.corners["b"]) == corner_values(12, signed).tolist()


def test_batch_coverage_counts_every_transaction_and_reports_misses():
    cov = BatchCoverage("unit_test_cov", {"x": Point([0, 1, 2]), "y": Point([0, 1], ["lo", "hi"])}, {"xy": ("x", "y")})
    cov.sample({"x": np.array([0, 0, 1, -1, 2]), "y": np.array([0, 0, 1, 1, 1])})
    cov.sample({"x": np.array([0]), "y": np.array([1])})
    assert cov.hits["x"] == {0: 3, 1: 1, 2: 1}
    assert cov.hits["y"] == {0: 2, 1: 4}
    assert cov.hits["xy"][(0, 0)] == 2 and cov.hits["xy"][(0, 1)] == 1
    assert cov.missed() == {"xy": ["1xlo", "2xlo"]}
    assert cov.samples == 6
    assert cov.percent == pytest.approx(100 * (3 + 2 + 4) / (3 + 2 + 6))
    lines = []
    cov.report(lines.append)
    assert any("MISSED xy: 1xlo, 2xlo" in line for line in lines)
    with pytest.raises(ValueError, match="exists already"):
        BatchCoverage("unit_test_cov", {"x": Point([0])})


def test_sign_magnitude_pins_round_trip_with_negative_zero():
    values = np.array([-255, -1, 0, 0, 0, 0, 1, 255] * 8)
    words = encode_operands(values, 8, True, np.random.default_rng(0))
    assert words.max() < 1 << 9
    back, sign = decode_operands(words, 8, True)
    assert (back == values).all()
    assert sign[values == 0].min() == 0 and sign[values == 0].max() == 1  # both zeros appear
    assert decode_product(np.array([0, 1, (1 << 18) - 1]), 18, True).tolist() == [0, 1, -1]


def test_features_mask_zero_operands():
    cfg = MulConfig(bits=8)
    batch = ArrayItem("b", a=[0, 3, 255], b=[5, 0, 255], sa=[0, 0, 0], sb=[0, 0, 0])
    f = mul_features(batch, cfg, signed=False)
    assert f["lead_a"].tolist() == [-1, 1, 7] and f["lead_b"].tolist() == [2, -1, 7]
    assert f["carry"].tolist() == [-1, -1, 1] and f["zeros"].tolist() == [1, 2, 0]


def _mul_scoreboard(name, cls=MulScoreboard, rtl=MulConfig(bits=8), signed=True):
    publish(MulEnvCfg(None, name, rtl, signed))
    sb = cls(name, None)
    sb.build_phase()
    return sb


def test_model_override_only_changes_the_model(monkeypatch):
    params = {"N": 8, "TRUNC": 0, "FRAC_OUT": 0, "MITCHELL": 1}
    monkeypatch.setenv("MODEL_OVERRIDE", json.dumps({"mult": "mbm"}))
    sb = _mul_scoreboard("sb_override", MulOverrideScoreboard, MulConfig.from_rtl_parameters(params), signed=False)
    assert sb.cfg.rtl.mult == "mitchell" and sb.model.mult == "mbm"
    assert _mul_scoreboard("sb_plain", rtl=MulConfig.from_rtl_parameters(params), signed=False).model.mult == "mitchell"


def test_scoreboard_reports_a_one_lsb_difference():
    cfg = MulConfig(bits=8)
    sb = _mul_scoreboard("sb_unit")
    a, b = np.array([3, -255, 7]), np.array([5, 255, -9])
    p = mul_signed(a, b, cfg)
    p[1] += 1
    sb.in_export.write(ArrayItem("in", a=a, b=b))
    sb.out_export.write(ArrayItem("out", p=p))
    sb.check_phase()
    assert (sb.checked, sb.mismatches, sb.passed) == (3, 1, False)
    assert "inputs {'a': -255, 'b': 255}: rtl {'p': -66303}, model {'p': -66304}" in sb.reports[0]


def test_scoreboard_flags_missing_outputs():
    sb = _mul_scoreboard("sb_unit2", signed=False)
    sb.in_export.write(ArrayItem("in", a=[1, 2], b=[3, 4]))
    sb.out_export.write(ArrayItem("out", p=[3]))
    sb.check_phase()
    assert not sb.passed and tagged("sb.count", "1 accepted inputs never produced an output") in sb.errors


def _epoch(item: ArrayItem, epoch: int) -> ArrayItem:
    item.epoch = epoch
    return item


def test_scoreboard_pairs_within_an_epoch_whatever_the_delivery_order():
    """Outputs of the epoch after a reset arrive before the last inputs of the one before:
    still no mismatch, and the reset's dropped input is counted against the BFM's count."""
    cfg = MulConfig(bits=8)
    sb = _mul_scoreboard("sb_epochs", signed=False)
    sb.out_export.write(_epoch(ArrayItem("out", p=mul_signed(np.array([9]), np.array([9]), cfg)), 1))
    sb.in_export.write(_epoch(ArrayItem("in", a=[2, 3], b=[5, 7]), 0))
    sb.out_export.write(_epoch(ArrayItem("out", p=[10]), 0))
    sb.reset_export.write(ArrayItem("reset", epoch=[0], in_flight=[1], beats_into_packet=[0]))
    sb.in_export.write(_epoch(ArrayItem("in", a=[9], b=[9]), 1))
    sb.check_phase()
    assert (sb.checked, sb.mismatches, sb.dropped, sb.errors) == (2, 0, 1, [])


def test_scoreboard_catches_a_wrong_in_flight_count_at_reset():
    sb = _mul_scoreboard("sb_epochs2", signed=False)
    sb.in_export.write(_epoch(ArrayItem("in", a=[2, 3], b=[5, 7]), 0))
    sb.reset_export.write(ArrayItem("reset", epoch=[0], in_flight=[1], beats_into_packet=[0]))
    sb.check_phase()
    assert any("the BFM had 1 results in flight, the scoreboard 2" in e for e in sb.errors)


# ---- the MAC array ----
ARRAY = MacArrayCfg(None, "unit", MulConfig(bits=8), lanes=3, acc_w=20)


def _array_scoreboard(name, cls=MacArrayScoreboard):
    publish(MacArrayCfg(None, name, ARRAY.rtl, ARRAY.lanes, ARRAY.acc_w))
    sb = cls(name, None)
    sb.build_phase()
    return sb


def _beats(act, wgt, bias, wait=0):
    k = len(act)
    return ArrayItem("in", act=act, wgt=wgt, bias=np.tile(bias, (k, 1)), last=[0] * (k - 1) + [1], wait=[wait] * k)


def test_array_ports_are_the_header_packing():
    """s_axis_tdata {act, w[L-1..0]}: weight lane i at bits i*(N+1), the activation on top."""
    ports = ARRAY.ports
    word = int(pack_hex(ports["s_axis_tdata"], [[-3], [7], [0], [-1]])[0], 16)
    w = ARRAY.rtl.bits + 1
    assert word & ((1 << w) - 1) == (1 << (w - 1)) | 1  # w0 = -1
    assert (word >> w) & ((1 << w) - 1) == 0 and (word >> 2 * w) & ((1 << w) - 1) == 7
    assert word >> 3 * w == (1 << (w - 1)) | 3  # act = -3
    assert ports["m_axis_tdata"].width == 3 * 20 and ports["m_axis_tuser"].width == 3


def test_unpack_hex_matches_the_bitstring_reference():
    lay = Layout((Field("a", 1), Field("b", 63, "tc"), Field("c", 9, "sm"), Field("d", 64, "tc"), Field("e", 5)))
    rng = np.random.default_rng(4)
    cols = [rng.integers(0, 2, 40), rng.integers(-(1 << 62), (1 << 62) - 1, 40), rng.integers(-255, 256, 40),
            rng.integers(-(1 << 63), (1 << 63) - 1, 40), rng.integers(0, 32, 40)]
    cols[1][:2], cols[3][:2] = [-(1 << 62), (1 << 62) - 1], [-(1 << 63), (1 << 63) - 1]
    words = pack_hex(lay, cols)
    got = unpack_hex(lay, words)
    for i, w in enumerate(words):
        assert unpack_word(lay, w) == {k: int(v[i]) for k, v in got.items()}
    assert all((got[f.name] == c).all() for f, c in zip(lay.fields, cols))


def test_array_scoreboard_checks_dot_products_across_batches_and_resets():
    """A dot product split over two batches, one cut by a reset (dropped, not compared), a
    result one LSB off reported with K, lane and operands."""
    sb = _array_scoreboard("sb_array")
    rng = np.random.default_rng(1)
    act, wgt, bias = rng.integers(-255, 256, 7), rng.integers(-255, 256, (7, 3)), np.array([5, -6, 7])
    acc, ovf = dot_int(act[None], wgt.T.copy(), bias, ARRAY.rtl, ARRAY.acc_w)
    beats = _beats(act, wgt, bias, wait=1)
    head = ArrayItem("a", **{c: v[:4] for c, v in beats.cols.items()})
    tail = ArrayItem("b", **{c: v[4:] for c, v in beats.cols.items()})
    sb.in_export.write(_beats(act[:3], wgt[:3], bias))  # finished: in flight at the reset
    sb.in_export.write(ArrayItem("cut", **{c: v[:2] for c, v in beats.cols.items()}))  # open at the reset
    sb.reset_export.write(ArrayItem("reset", epoch=[0], in_flight=[1], beats_into_packet=[2]))
    sb.in_export.write(_epoch(head, 1))
    sb.in_export.write(_epoch(tail, 1))
    wrong = acc.numpy().copy()
    wrong[0, 2] += 1
    result = ArrayItem("r", acc=wrong, ovf=ovf.numpy().astype(np.int64), stall=[0], latency=[2], overflow_o=[0])
    sb.out_export.write(_epoch(result, 1))
    sb.cfg.bfm = type("Bfm", (), {"final": {"overflow_o": 0}, "epoch": 1})()
    sb.check_phase()
    assert (sb.checked, sb.mismatches, sb.dropped) == (1, 1, 1)
    assert sb.reports[0].startswith(f"MISMATCH dot #0 K=7 lane 2: bias 7, act[:4] {act[:4].tolist()}")


def test_stream_latency_is_checked_both_ways():
    """LATENCY=2: a beat out after 1 cycle fails (held by backpressure or not), so does a
    shortest latency of 3, and so does a beat out after 3 cycles whose window says
    m_axis_tready was high since its input."""
    cases = (([1, 2], [0, 0], [0, 0], "a beat came out after 1 cycles, LATENCY=2"),
             ([1, 2], [1, 0], [0, 0], "a beat came out after 1 cycles, LATENCY=2"),
             ([3, 4], [0, 0], [0, 0], "shortest in-to-out latency 3 cycles, LATENCY=2"),
             ([2, 3], [0, 0], [1, 1], "a beat came out after 3 cycles with m_axis_tready high since its input, "
                                      "LATENCY=2"))
    for i, (latencies, stall, window, error) in enumerate(cases):
        sb = _array_scoreboard(f"sb_latency{i}")
        sb.out_export.write(ArrayItem("r", acc=np.zeros((2, 3)), ovf=np.zeros((2, 3)), stall=stall,
                                      latency=latencies, window=window, overflow_o=[0, 0]))
        sb.cfg.bfm = type("Bfm", (), {"final": {}, "epoch": 0})()
        sb.check_phase()
        assert tagged("sb.latency", error) in sb.errors, sb.errors
    sb = _array_scoreboard("sb_latency_ok")
    sb.out_export.write(ArrayItem("r", acc=np.zeros((2, 3)), ovf=np.zeros((2, 3)), stall=[0, 0], latency=[2, 5],
                                  window=[1, 0], overflow_o=[0, 0]))
    assert not sb.errors


def test_check_tags_name_known_checks_only():
    assert fired(tagged("axis.bubble_fill", "x") + " [sb.data] y [not.a_check] [axis]") == {"axis.bubble_fill", "sb.data"}
    with pytest.raises(KeyError, match="unknown check 'axis.nope'"):
        tagged("axis.nope", "x")


def test_array_wrong_models_are_factory_overrides(monkeypatch):
    factory = uvm_factory()
    factory.clear_overrides()
    try:
        factory.set_type_override_by_type(MacArrayScoreboard, ExactProductScoreboard)
        publish(ARRAY)
        sb = MacArrayScoreboard.create("sb_factory", None)
        sb.build_phase()
        assert type(sb) is ExactProductScoreboard and sb.model.mul.mult == "exact"
        factory.clear_overrides()
        monkeypatch.setenv("MODEL_OVERRIDE", json.dumps({"acc_bits": 33}))
        factory.set_type_override_by_type(MacArrayScoreboard, MacArrayOverrideScoreboard)
        sb = MacArrayScoreboard.create("sb_factory2", None)
        sb.build_phase()
        assert sb.model.acc_bits == 33 and sb.model.mul == ARRAY.rtl
    finally:
        factory.clear_overrides()
