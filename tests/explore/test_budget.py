"""The accuracy budget: signed and unsigned limits, undefined deviations, errors."""

import math

import pytest

from pymodel.core.errors import MBMError
from pymodel.explore.budget import (
    Limit,
    budget_text,
    describe,
    excess,
    from_max_abs,
    parse_budget,
    worst_deviation,
)


def test_signed_and_unsigned_limits():
    b = parse_budget("a1=-1,rel=+2,rms=0.5")
    assert b == {"a1": Limit(-1.0, math.inf), "rel": Limit(-math.inf, 2.0), "rms": Limit(-0.5, 0.5)}
    assert describe(b) == "a1 >= -1 %, rel <= +2 %, rms |dev| <= 0.5 %"


@pytest.mark.parametrize(("deviation", "over"), [
    ({"a1": -0.9, "rel": 1.9, "rms": 0.4}, 0.0),
    ({"a1": -1.5, "rel": 1.9, "rms": 0.4}, 0.5),     # a1 fell too far
    ({"a1": 3.0, "rel": -7.0, "rms": -0.7}, 0.2),    # a1 up and rel down are fine; rms too low
    ({"a1": None, "rel": 0.0, "rms": 0.0}, math.inf),  # undefined: cannot be judged
])
def test_excess(deviation, over):
    assert excess(deviation, parse_budget("a1=-1,rel=+2,rms=0.5")) == pytest.approx(over)


def test_worst_deviation_and_signoff_default():
    b = from_max_abs({"a1": 1.0, "rel": 2.0})
    assert b["rel"] == Limit(-2.0, 2.0)
    assert worst_deviation({"a1": -0.3, "rel": 1.5, "rms": 99.0}, b) == 1.5  # rms not budgeted
    assert worst_deviation({"a1": float("nan"), "rel": 0.0}, b) == math.inf


@pytest.mark.parametrize("text", ["", "a1", "a1=x", "foo=1", "a1=1,a1=2", "a1=--1", "rel=2%"])
def test_bad_budgets_name_the_grammar(text):
    with pytest.raises(MBMError, match="does not parse.*METRIC=\\[\\+\\|-\\]PCT"):
        parse_budget(text)


def test_budget_text_is_the_inverse_of_parse():
    for text in ("a1=-1,rel=+2,rms=0.5", "log10=+0.25", "a2=3"):
        assert budget_text(parse_budget(text)) == text
