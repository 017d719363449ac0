"""The peer table formats, both directions: hand-built files read back with known entries,
round trips, and one-line refusals of files that do not match their format."""

import struct

import numpy as np
import pytest

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.lut import FORMATS, load_table, save_table
from pymodel.core.table import ProductTable

from tests.core.kernel_cases import noisy_table


def test_tfapprox_hand_built(tmp_path):
    """TFApprox's README loop: a outer, b inner, one native uint16 per product."""
    path = tmp_path / "mul8u_handmade.bin"
    with open(path, "wb") as fh:
        for a in range(256):
            for b in range(256):
                fh.write(struct.pack("<H", (a * b) ^ (1 if (a, b) == (3, 5) else 0)))
    t = load_table(path)
    assert t.encoding == "unsigned" and t.bits == 8 and t.name == "mul8u_handmade"
    assert int(t.mul(3, 5)) == 14 and int(t.mul(5, 3)) == 15 and int(t.mul(255, 255)) == 65025
    assert int(t.mul(2, 200)) == 400


def test_adapt_hand_built(tmp_path):
    """AdaPT's header: rows and columns by the operands' int8 bit patterns."""
    rows = []
    for ua in range(256):
        a = ua - 256 if ua >= 128 else ua
        rows.append("{" + ", ".join(str(a * (ub - 256 if ub >= 128 else ub) + (7 if (a, ub) == (-1, 2) else 0))
                                    for ub in range(256)) + "}")
    path = tmp_path / "mul8s_handmade.h"
    path.write_text("#include <stdint.h>\n\n// a comment\nconst int16_t lut [256][256] = {" + ",\n".join(rows) + "};\n")
    t = load_table(path)
    assert t.encoding == "twos" and t.bits == 8
    assert int(t.mul(1, -128)) == -128 and int(t.mul(-128, -128)) == 16384 and int(t.mul(-1, 2)) == 5
    assert int(t.mul(127, -1)) == -127 and t.values[0, 0] == 16384  # index 0 is a = -128


def test_approxtorch_hand_built(tmp_path):
    """ApproxTorch's text table: entry (i, j) is A = i - 128 times B = j - 128 for int8."""
    path = tmp_path / "handmade.txt"
    path.write_text("\n".join(" ".join(str((i - 128) * (j - 128) - (i == 0 and j == 1)) for j in range(256))
                              for i in range(256)) + "\n")
    t = load_table(path, signed=True)
    assert t.encoding == "twos" and int(t.mul(-128, -127)) == 16255 and int(t.mul(3, -4)) == -12
    with pytest.raises(MBMError, match="is negative: allowed products >= 0 for unsigned operands"):
        load_table(path)  # uint8 tables (entry (i, j) is i times j) cannot hold these


def test_hex_reads_back_the_readmemh_words(tmp_path):
    """4-bit two's-complement table of 7-bit products in 2-digit words: sign-extended from
    product_bits, not from the digit count."""
    ops = np.arange(-8, 8)
    words = [format(int(v) & 0x7F, "02x") for v in (ops[:, None] * ops[None, :] // 2).ravel()]
    path = tmp_path / "t.hex"
    path.write_text("\n".join(words) + "\n")
    t = load_table(path, signed=True, product_bits=7)
    assert int(t.mul(-8, 7)) == -28 and int(t.mul(-8, -8)) == 32 and int(t.mul(3, 3)) == 4
    assert int(load_table(path, signed=True).mul(-8, 7)) == 100  # 8-bit words: -28 & 0x7f
    with pytest.raises(MBMError, match="is wider than product_bits=6"):
        load_table(path, signed=True, product_bits=6)


ROUND_TRIPS = [
    ("npy", noisy_table("twos", 8, seed=1)),
    ("npy", ProductTable.from_config(MulConfig("mbm", 6), signed=True)),
    ("hex", noisy_table("twos", 6, seed=2)),
    ("hex", ProductTable.from_config(MulConfig("mbm", 5, frac_out=True))),
    ("tfapprox", noisy_table("unsigned", 8, seed=6)),
    ("adapt", noisy_table("twos", 8, seed=3)),
    ("approxtorch", noisy_table("twos", 8, seed=4)),
    ("approxtorch", noisy_table("unsigned", 8, seed=5)),
]


@pytest.mark.parametrize("fmt,table", ROUND_TRIPS, ids=lambda v: getattr(v, "name", v))
def test_round_trip(tmp_path, fmt, table):
    path = tmp_path / f"t.{fmt}"
    save_table(table, path, fmt)
    back = load_table(path, fmt, signed=table.signed, product_bits=table.product_bits if fmt == "hex" else None)
    assert back.encoding == table.encoding and np.array_equal(back.values, table.values)
    assert back.sha256 == table.sha256


def test_tfapprox_file_is_two_bytes_per_product(tmp_path):
    table = noisy_table("unsigned", 8, seed=6)
    save_table(table, tmp_path / "t.bin", "tfapprox")
    data = (tmp_path / "t.bin").read_bytes()
    assert len(data) == 131072 and struct.unpack_from("<H", data, 2 * (3 * 256 + 5))[0] == table.values[3, 5]


def test_adapt_header_layout(tmp_path):
    """Our header is what AdaPT's kernel indexes: row 1 column 128 is 1 x -128."""
    table = noisy_table("twos", 8, seed=7)
    save_table(table, tmp_path / "m.h", "adapt")
    text = (tmp_path / "m.h").read_text()
    assert text.startswith("#include <stdint.h>\n\nconst int16_t lut [256][256] = {{") and text.endswith("}};\n")
    rows = text.split("= {", 1)[1].rstrip("\n").split("\n")
    assert len(rows) == 256
    row1 = [int(v) for v in rows[1].strip("{},;\n").split(", ")]
    assert row1[128] == int(table.mul(1, -128)) and row1[255] == int(table.mul(1, -1))


@pytest.mark.parametrize("fmt,table,message", [
    ("tfapprox", noisy_table("twos", 8, seed=1), "the tfapprox format holds unsigned 8-bit tables: got twos N=8"),
    ("tfapprox", noisy_table("unsigned", 6, seed=1), "holds unsigned 8-bit tables: got unsigned N=6"),
    ("tfapprox", ProductTable(np.full((256, 256), 70000), "unsigned"),
     "product 70000 does not fit the tfapprox format's uint16: allowed 0..65535"),
    ("adapt", noisy_table("unsigned", 8, seed=1), "the adapt format holds twos 8-bit tables: got unsigned N=8"),
    ("adapt", ProductTable(np.full((256, 256), -40000), "twos"), "product -40000 does not fit the adapt format's int16"),
    ("approxtorch", ProductTable.from_config(MulConfig("mbm", 7), signed=True),
     "the approxtorch format holds twos or unsigned 8-bit tables: got signmag N=7"),
    ("csv", noisy_table("twos", 8, seed=1), "unknown LUT format 'csv': allowed npy, hex, tfapprox, adapt, approxtorch"),
])
def test_tables_a_format_cannot_hold_are_refused(tmp_path, fmt, table, message):
    with pytest.raises(MBMError, match=message):
        save_table(table, tmp_path / "x", fmt)


def _write(path, content):
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


@pytest.mark.parametrize("name,content,kwargs,message", [
    ("a.bin", b"\0" * 1000, {}, "a.bin: 1000 bytes is not a TFApprox table: allowed 131072"),
    ("a.bin", b"\0" * 131072, {"signed": True}, "TFApprox tables are unsigned"),
    ("a.h", "int main() { return 0; }", {}, "a.h is not an AdaPT header"),
    ("a.h", "const int16_t lut [16][16] = {{1}};", {}, r"array \[16\]\[16\] is not an AdaPT table: allowed \[256\]\[256\]"),
    ("a.h", "const int16_t lut [256][256] = {{1, x}};", {}, "'x' in the array: allowed integer literals only"),
    ("a.h", "const int16_t lut [256][256] = {" + ",".join(["{1, 2}"] * 256) + "};", {}, r"rows of \[2\] entries"),
    ("a.h", "const int8_t lut [256][256] = {" + ",".join(["{" + ", ".join(["300"] * 256) + "}"] * 256) + "};", {},
     "entry 300 does not fit int8_t"),
    ("a.txt", "1 2 3", {}, "a.txt: 3 entries is not an ApproxTorch table: allowed 65536"),
    ("a.txt", " ".join(["1"] * 65535 + ["1.5"]), {}, "'1.5' is not an integer"),
    ("a.npy", b"not numpy", {}, "a.npy is not a numpy .npy array"),
    ("a.hex", "1\n2\n3\n", {}, "a.hex: 3 hex words is not a square table"),
    ("a.hex", "01\n2\n3\n4\n", {}, r"hex words of \[1, 2\] digits"),
    ("a.hex", "g\n2\n3\n4\n", {}, "'g' is not a hex word"),
    ("a.csv", "1", {}, "cannot tell the LUT format of 'a.csv' from its suffix"),
])
def test_files_that_do_not_match_their_format_are_refused(tmp_path, name, content, kwargs, message):
    with pytest.raises(MBMError, match=message) as err:
        load_table(_write(tmp_path / name, content), **kwargs)
    assert "\n" not in str(err.value)


def test_npy_tables_are_validated(tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((256, 256)))
    with pytest.raises(MBMError, match="dtype float64"):
        load_table(tmp_path / "f.npy")
    np.save(tmp_path / "o.npy", np.zeros((3, 3), object), allow_pickle=True)
    with pytest.raises(MBMError, match="o.npy is not a numpy .npy array"):
        load_table(tmp_path / "o.npy")
    with pytest.raises(MBMError, match="does not exist"):
        load_table(tmp_path / "missing.npy")


def test_every_format_is_tested():
    assert {f for f, _ in ROUND_TRIPS} == set(FORMATS)
