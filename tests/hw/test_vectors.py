"""Vector sets: packing, the three file formats, determinism and the manifest check."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel.core.arith import MulConfig, mul_signed, mul_unsigned
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.vecformat import Field, Layout, pack_hex, parse_hex, render, unpack_word
from pymodel.core.corners import corner_words
from pymodel.hw.vectors import array_set, load_set, mul_set, write_set

MBM8 = MulConfig("mbm", 8)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 64), st.sampled_from(["u", "tc", "sm"])), min_size=1, max_size=6),
       st.integers(0, 2**32 - 1))
def test_pack_matches_bitstring_reference(spec, seed):
    layout = Layout(tuple(Field(f"f{i}", b, e) for i, (b, e) in enumerate(spec)))
    rng = np.random.default_rng(seed)
    cols = []
    for f in layout.fields:
        hi = min((1 << f.bits) - 1, 2**63 - 1) if f.enc == "u" else (1 << (f.bits - 1)) - 1
        lo = 0 if f.enc == "u" else -hi - (f.enc == "tc")
        cols.append(rng.integers(lo, hi, size=5, endpoint=True, dtype=np.int64))
    words = pack_hex(layout, cols)
    for i, w in enumerate(words):
        assert len(w) == layout.digits
        assert unpack_word(layout, w) == {f.name: int(c[i]) for f, c in zip(layout.fields, cols)}


def test_field_encodings_hand_checked():
    lay = Layout((Field("s", 9, "sm"), Field("t", 8, "tc"), Field("u", 3)))
    (w,) = pack_hex(lay, [np.array([-5]), np.array([-1]), np.array([6])])
    assert int(w, 16) == (0x105 << 11) | (0xFF << 3) | 6


def test_field_out_of_range_refused():
    with pytest.raises(MBMError, match=r"field a=256 does not fit 9 bits sm: allowed -255\.\.255"):
        pack_hex(Layout((Field("a", 9, "sm"),)), [np.array([256])])


def test_coe_and_mif_text():
    assert render(["0a", "ff"], "coe", 8) == "memory_initialization_radix=16;\nmemory_initialization_vector=\n0a,\nff;\n"
    mif = render(["0a", "ff"], "mif", 8)
    assert mif.startswith("WIDTH=8;\nDEPTH=2;\nADDRESS_RADIX=UNS;\nDATA_RADIX=HEX;\nCONTENT BEGIN\n")
    assert "0 : 0a;\n1 : ff;\nEND;\n" in mif


def test_exhaustive_unsigned_set_is_arith():
    vs = mul_set("mbm_mul", "exhaustive", MBM8)
    (stim, s_words), (expect, e_words) = vs.memories["stim"], vs.memories["expect"]
    assert vs.counts == {"vectors": 65536} and expect.width == 17
    for i in (0, 1, 257, 32768 + 77, 65535):
        ab = unpack_word(stim, s_words[i])
        assert unpack_word(expect, e_words[i])["p"] == int(mul_unsigned(ab["a"], ab["b"], MBM8))
    assert unpack_word(expect, e_words[65535])["p"] == 66304  # docs/arithmetic.md reference mbm(255, 255)


def test_exhaustive_signed_covers_every_encoding():
    vs = mul_set("mbm_mul_signed", "exhaustive", MBM8)
    stim, words = vs.memories["stim"]
    assert len(words) == 512 * 512
    neg_zero = unpack_word(stim, words[256 * 512 + 3])  # a = 1_00000000 (-0), b = 3
    assert (neg_zero["a"], neg_zero["b"]) == (256, 3)
    expect, e_words = vs.memories["expect"]
    i = (256 + 3) * 512 + 5  # a = -3, b = 5
    assert unpack_word(expect, e_words[i])["p"] == int(mul_signed(-3, 5, MBM8)) == -14


@pytest.mark.parametrize("dut", ["mbm_mul", "mbm_mul_signed"])
def test_corner_sets_cross_the_one_corner_set(dut):
    signed = dut == "mbm_mul_signed"
    vs = mul_set(dut, "corners", MulConfig("mbm", 12))
    layout, words = vs.memories["stim"]
    pairs = [(f["a"], f["b"]) for f in map(lambda w: unpack_word(layout, w), words)]
    corners = corner_words(12, signed).tolist()
    assert pairs == [(a, b) for a in corners for b in corners]


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _small_sets(seed):
    return [mul_set("mbm_mul_signed", "random", MulConfig("mbm", 16), seed, count=500),
            array_set("layer", MBM8, lanes=16, seed=seed, tile="0:0:1:1")]


def test_same_seed_same_bytes(tmp_path):
    for name in ("a", "b"):
        for vs in _small_sets(7):
            write_set(vs, tmp_path / name, commit="fixed")
    a, b = _tree_bytes(tmp_path / "a"), _tree_bytes(tmp_path / "b")
    assert len(a) == 7 + 10 and a == b
    for vs in _small_sets(8):
        write_set(vs, tmp_path / "c", commit="fixed")
    assert _tree_bytes(tmp_path / "c") != a


def test_manifest_records_provenance(mul_corner_set):
    folder = mul_corner_set
    m = json.loads((folder / "manifest.json").read_text())
    assert m["parameters"] == {"N": 8, "TRUNC": 0, "FRAC_OUT": 0, "MITCHELL": 0}
    assert m["counts"] == {"vectors": 32 * 32} and m["seed"] == 1 and m["pymodel_version"]
    assert len(m["git_commit"]) in (40, 7) and len(m["files"]) == 6
    assert load_set(folder).words["stim"][0] == "0000"


@pytest.fixture
def corner_set(tmp_path):
    return write_set(mul_set("mbm_mul", "corners", MulConfig("mbm", 4)), tmp_path)


def test_loader_refuses_sha_mismatch(corner_set):
    path = corner_set / "expect.mif"
    path.write_text(path.read_text().replace("0 : 000;", "0 : 001;"))
    with pytest.raises(MBMError, match=r"expect\.mif: sha256 [0-9a-f]{16}\.\.\. does not match the manifest"):
        load_set(corner_set)


def test_loader_refuses_corrupt_hex_even_with_matching_sha(corner_set):
    from pymodel.hw.vectors import file_sha256

    path = corner_set / "stim.hex"
    path.write_text(path.read_text().replace("01\n", "0g\n", 1))
    m = json.loads((corner_set / "manifest.json").read_text())
    m["files"]["stim.hex"] = file_sha256(path)
    (corner_set / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(MBMError, match=r"stim\.hex line 2 is '0g': allowed 2 hex digits"):
        load_set(corner_set)


def test_loader_refuses_a_manifest_whose_parameters_and_config_disagree(corner_set):
    assert load_set(corner_set).cfg == MulConfig("mbm", 4)
    path = corner_set / "manifest.json"
    m = json.loads(path.read_text())
    path.write_text(json.dumps({**m, "mul_config": {**m["mul_config"], "mult": "mitchell"}}))
    with pytest.raises(MBMError, match=r"build mbm N=4 t=0, but mul_config says mitchell N=4 t=0"):
        load_set(corner_set)
    path.write_text(json.dumps({**m, "parameters": {**m["parameters"], "FRAC_OUT": 2}}))
    with pytest.raises(MBMError, match="FRAC_OUT=2 is not allowed"):
        load_set(corner_set)


def test_loader_refuses_missing_file_and_bad_manifest(corner_set):
    (corner_set / "stim.coe").unlink()
    with pytest.raises(MBMError, match="stim.coe is missing"):
        load_set(corner_set)
    (corner_set / "manifest.json").write_text("{not json")
    with pytest.raises(MBMError, match="unreadable manifest"):
        load_set(corner_set)


def test_parse_hex_rejects_short_word():
    with pytest.raises(MBMError, match="line 1"):
        parse_hex("abc\n", Layout((Field("x", 16),)), "f.hex")


def test_bad_requests():
    with pytest.raises(MBMError, match="bits <= 8"):
        mul_set("mbm_mul", "exhaustive", MulConfig("mbm", 12))
    with pytest.raises(MBMError, match="no RTL multiplier"):
        mul_set("mbm_mul", "corners", MulConfig("exact", 8))
    with pytest.raises(MBMError, match="unknown multiplier set"):
        mul_set("mbm_mul", "everything", MBM8)


def test_cli_writes_one_set(tmp_path):
    from pymodel.cli import main

    assert main(["vectors", "--out", str(tmp_path), "--dut", "mbm_mul", "--kind", "random", "--count", "10",
                 "--bits", "12"]) == 0
    assert load_set(tmp_path / "mbm_mul" / "random-mbm-n12-t0").manifest["counts"] == {"vectors": 10}


GOLDEN = REPO_ROOT / "vectors" / "golden"


@pytest.mark.parametrize("dut", ["mbm_mul", "mbm_mul_signed"])
def test_committed_golden_sets_regenerate_byte_for_byte(dut, tmp_path):
    """vectors/golden/ is what the model says today: a change to arith or the packing shows here."""
    folder = write_set(mul_set(dut, "corners", MBM8), tmp_path, commit="golden")
    golden = GOLDEN / dut / folder.name
    assert _tree_bytes(folder) == _tree_bytes(golden)
    load_set(golden)
