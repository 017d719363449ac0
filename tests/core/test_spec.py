"""Multiplier spec strings: the grammar, the canonical form, one-line errors."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymodel.core.arith import MAX_BITS, MIN_BITS, MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.spec import ImportSpec, parse_any, parse_spec, parse_specs, spec_string


@pytest.mark.parametrize(("text", "cfg"), [
    ("mbm:8", MulConfig("mbm", 8)),
    ("mbm:12:t3", MulConfig("mbm", 12, trunc=3)),
    ("mbm:8:frac", MulConfig("mbm", 8, frac_out=True)),
    ("mbm:16:t4:frac", MulConfig("mbm", 16, trunc=4, frac_out=True)),
    ("mitchell:8", MulConfig("mitchell", 8)),
    (" Exact:8 ", MulConfig("exact", 8)),
    ("mbm:8:t0", MulConfig("mbm", 8)),
])
def test_parse(text, cfg):
    assert parse_spec(text) == cfg


@given(st.sampled_from(["mbm", "mitchell", "exact"]), st.integers(MIN_BITS, MAX_BITS), st.integers(0, 8),
       st.booleans())
def test_canonical_form_round_trips(mult, bits, trunc, frac):
    try:
        cfg = MulConfig(mult, bits, trunc, frac)
    except MBMError:
        return
    assert parse_spec(spec_string(cfg)) == cfg
    assert spec_string(parse_spec(spec_string(cfg))) == spec_string(cfg)


@pytest.mark.parametrize(("text", "message"), [
    ("mbm", "does not parse: allowed MULT:BITS"),
    ("mbm:8:t", "does not parse"),
    ("mbm:8:frac:t2", "does not parse"),
    ("mbm:x", "does not parse"),
    ("booth:8", "unknown multiplier 'booth'"),
    ("mbm:3", "bits=3 is out of range: allowed 4..16"),
    ("mbm:8:t1", "trunc=1 is out of range for bits=8"),
])
def test_bad_specs(text, message):
    with pytest.raises(MBMError, match=message):
        parse_spec(text)


def test_lists():
    assert parse_specs("mbm:8, exact:8,") == [MulConfig("mbm", 8), MulConfig("exact", 8)]
    with pytest.raises(MBMError, match="listed twice"):
        parse_specs("mbm:8,mbm:8:t0")
    with pytest.raises(MBMError, match="no multiplier"):
        parse_specs(" , ")


@pytest.mark.parametrize(("text", "spec", "canonical"), [
    ("lut:t/mul8u.npy", ImportSpec("lut", "t/mul8u.npy"), "lut:t/mul8u.npy"),
    ("LUT:t/mul8s.npy:signed", ImportSpec("lut", "t/mul8s.npy", signed=True), "lut:t/mul8s.npy:signed"),
    ("verilog:rtl/my_mul.v", ImportSpec("verilog", "rtl/my_mul.v", "my_mul"), "verilog:rtl/my_mul.v"),
    ("verilog:rtl/my_mul.v:my_mul", ImportSpec("verilog", "rtl/my_mul.v", "my_mul"), "verilog:rtl/my_mul.v"),
    ("verilog:lib.v:mul8s_1kv8:signed", ImportSpec("verilog", "lib.v", "mul8s_1kv8", True),
     "verilog:lib.v:mul8s_1kv8:signed"),
])
def test_import_specs(text, spec, canonical):
    assert parse_any(text) == spec
    assert spec.spec == canonical
    assert parse_any(canonical) == spec


@pytest.mark.parametrize(("text", "message"), [
    ("lut:", "names no file"),
    ("verilog:my_mul.txt", "is not a Verilog file"),
    ("verilog:my_mul.v:9lives", "is not a Verilog module name"),
    ("booth:8", "unknown multiplier 'booth'"),
])
def test_bad_import_specs(text, message):
    with pytest.raises(MBMError, match=message):
        parse_any(text)


def test_parse_any_builtin_is_parse_spec():
    assert parse_any("mbm:12:t3") == parse_spec("mbm:12:t3")
