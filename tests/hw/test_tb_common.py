"""The testbench building blocks without a simulator: sequences walk their operand space,
batched coverage counts exactly, pin encodings round-trip, the scoreboard flags a one-LSB
difference with the operands and both results."""

import json

import numpy as np
import pytest
from pyuvm import ConfigDB

from pymodel.core.arith import MulConfig, mul_signed
from pymodel.core.corners import corner_values
from pymodel.hw.tb.common.coverage import BatchCoverage, Point
from pymodel.hw.tb.common.sequences import ArrayItem, CornerSeq, ExhaustiveSeq, OperandSpace, RandomSeq
from pymodel.hw.tb.mbm_mul.env import (
    MulScoreboard,
    decode_operands,
    decode_product,
    encode_operands,
    model_config,
    mul_features,
    operand_space,
)

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


def test_model_override_only_changes_the_model(monkeypatch):
    params = {"N": 8, "TRUNC": 0, "FRAC_OUT": 0, "MITCHELL": 1}
    monkeypatch.setenv("MODEL_OVERRIDE", json.dumps({"mult": "mbm"}))
    assert MulConfig.from_rtl_parameters(params).mult == "mitchell" and model_config(params).mult == "mbm"


def test_scoreboard_reports_a_one_lsb_difference():
    cfg = MulConfig(bits=8)
    ConfigDB().set(None, "*", "MODEL_CFG", cfg)
    ConfigDB().set(None, "*", "SIGNED", True)
    sb = MulScoreboard("sb_unit", None)
    sb.build_phase()
    a, b = np.array([3, -255, 7]), np.array([5, 255, -9])
    p = mul_signed(a, b, cfg)
    p[1] += 1
    sb.in_export.write(ArrayItem("in", a=a, b=b))
    sb.out_export.write(ArrayItem("out", p=p))
    sb.check_phase()
    assert (sb.checked, sb.mismatches, sb.passed) == (3, 1, False)
    assert "inputs {'a': -255, 'b': 255}: rtl {'p': -66303}, model {'p': -66304}" in sb.reports[0]


def test_scoreboard_flags_missing_outputs():
    ConfigDB().set(None, "*", "MODEL_CFG", MulConfig(bits=8))
    ConfigDB().set(None, "*", "SIGNED", False)
    sb = MulScoreboard("sb_unit2", None)
    sb.build_phase()
    sb.in_export.write(ArrayItem("in", a=[1, 2], b=[3, 4]))
    sb.out_export.write(ArrayItem("out", p=[3]))
    sb.check_phase()
    assert not sb.passed and "1 accepted inputs never produced an output" in sb.errors
