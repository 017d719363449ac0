"""Packing of test-vector words and the three memory-file formats an FPGA flow loads.

Why: the same stimulus and expected results go to the Verilog replay bench (``$readmemh``
.hex), to Xilinx block-RAM initialisation (.coe) and to Intel/Altera memories (.mif), so
one packed word list is written three ways. A word is a concatenation of fields, the first
field of a layout in the most significant bits, each field a bit pattern:

* ``"u"``  unsigned value, ``"tc"`` two's complement, ``"sm"`` sign-magnitude (the top bit
  of the field is the sign; the field is N+1 bits for an N-bit magnitude).

Packing is vectorized with numpy (a bit matrix turned into hex digits), so a real layer's
hundreds of thousands of beats pack in well under a second, and :func:`unpack_hex` reads
them back the same way; :func:`unpack_word` uses bitstring and is the independent reference
the tests hold the fast paths to. A DUT's port packing is one
:class:`Layout` per port (e.g. :func:`pymodel.hw.vectors.array_ports`), written once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.core.arith import sm_decode, sm_encode, tc_decode
from pymodel.core.errors import MBMError

ENCODINGS = ("u", "tc", "sm")
FORMATS = ("hex", "coe", "mif")
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


@dataclass(frozen=True)
class Field:
    """One field of a word: name, width in bits (1..64) and encoding (u, tc or sm)."""

    name: str
    bits: int
    enc: str = "u"

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= 64 or self.enc not in ENCODINGS:
            raise MBMError(f"field {self.name}: bits={self.bits} enc={self.enc!r}: allowed 1..64 bits, u/tc/sm")

    def encode(self, values: np.ndarray) -> np.ndarray:
        """Values as uint64 bit patterns of this field, refusing what does not fit."""
        v = np.asarray(values, dtype=np.int64)
        if self.enc == "u":
            lo, hi = 0, min((1 << self.bits) - 1, (1 << 63) - 1)
        elif self.enc == "tc":
            lo, hi = -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        else:
            lo, hi = -((1 << (self.bits - 1)) - 1), (1 << (self.bits - 1)) - 1
        if v.size and (int(v.min()) < lo or int(v.max()) > hi):
            bad = int(v.min()) if int(v.min()) < lo else int(v.max())
            raise MBMError(f"field {self.name}={bad} does not fit {self.bits} bits {self.enc}: allowed {lo}..{hi}")
        if self.enc == "sm":
            return sm_encode(v, self.bits - 1).astype(np.uint64)
        return v.astype(np.uint64) & np.uint64((1 << self.bits) - 1)

    def decode(self, pattern: int) -> int:
        """The value a bit pattern of this field stands for."""
        if self.enc == "tc":
            return tc_decode(pattern, self.bits)
        if self.enc == "sm":
            return sm_decode(pattern, self.bits - 1)
        return pattern


@dataclass(frozen=True)
class Layout:
    """The fields of one word, most significant first; ``width`` is their total bits."""

    fields: tuple[Field, ...]

    @property
    def width(self) -> int:
        return sum(f.bits for f in self.fields)

    @property
    def digits(self) -> int:
        """Hex digits per word."""
        return -(-self.width // 4)

    def patterns(self) -> Layout:
        """The same layout with every field unsigned: for packing bit patterns made elsewhere
        (e.g. a sign-magnitude zero with its sign bit set)."""
        return Layout(tuple(Field(f.name, f.bits) for f in self.fields))

    def to_json(self) -> list[list]:
        return [[f.name, f.bits, f.enc] for f in self.fields]

    @classmethod
    def from_json(cls, data: Sequence[Sequence]) -> Layout:
        return cls(tuple(Field(str(n), int(b), str(e)) for n, b, e in data))


def _columns(layout: Layout, columns: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One value array per field; a 2-d array (words, k) stands for k consecutive fields."""
    cols: list[np.ndarray] = []
    for c in columns:
        a = np.asarray(c)
        cols.extend([a[:, j] for j in range(a.shape[1])] if a.ndim == 2 else [a])
    if len(cols) != len(layout.fields):
        raise MBMError(f"{len(cols)} columns for a layout of {len(layout.fields)} fields")
    return cols


def _bit_matrix(layout: Layout, cols: Sequence[np.ndarray], pad: int) -> np.ndarray:
    """(words, pad + width) uint8 bits of the packed words, most significant first, with
    ``pad`` zero bits on top."""
    n = len(cols[0]) if cols else 0
    parts = [np.zeros((n, pad), dtype=np.uint8)]
    for f, c in zip(layout.fields, cols):
        pattern = f.encode(c)
        shifts = np.arange(f.bits - 1, -1, -1, dtype=np.uint64)
        parts.append(((pattern[:, None] >> shifts) & np.uint64(1)).astype(np.uint8))
    return np.concatenate(parts, axis=1)


def pack_hex(layout: Layout, columns: Sequence[np.ndarray]) -> list[str]:
    """Hex words (lower case, zero-padded to layout.digits) from one value array per field.

    A field may be given as a 2-d array (words, k) for k consecutive fields of the layout
    (e.g. the LANES weights of a beat, lane k-1 first = most significant).
    """
    cols = _columns(layout, columns)
    n = len(cols[0]) if cols else 0
    bits = _bit_matrix(layout, cols, layout.digits * 4 - layout.width).reshape(n, layout.digits, 4)
    nibbles = bits @ np.array([8, 4, 2, 1], dtype=np.uint8)
    chars = _HEX_DIGITS[nibbles]
    return [row.tobytes().decode() for row in chars]


def words32(layout: Layout) -> int:
    """uint32 words a packed word of ``layout`` takes in binary (as Verilator stores a port)."""
    return -(-layout.width // 32)


def pack_words(layout: Layout, columns: Sequence[np.ndarray]) -> np.ndarray:
    """The words of :func:`pack_hex` in binary: (words, :func:`words32`) uint32, least
    significant 32 bits first (Verilator's port layout; little-endian bytes on disk)."""
    cols = _columns(layout, columns)
    bits = _bit_matrix(layout, cols, words32(layout) * 32 - layout.width)[:, ::-1]
    return np.packbits(bits, axis=1, bitorder="little").view("<u4")


def pack_named(layout: Layout, columns: Mapping[str, np.ndarray]) -> list[str]:
    """:func:`pack_hex` with the value array of each field given by its name."""
    return pack_hex(layout, [columns[f.name] for f in layout.fields])


def spread(prefix: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """(rows, k) values as the columns of fields ``<prefix>0`` .. ``<prefix>k-1``."""
    return {f"{prefix}{i}": values[:, i] for i in range(values.shape[1])}


def gather(prefix: str, columns: Mapping[str, np.ndarray], count: int) -> np.ndarray:
    """The inverse of :func:`spread`: (rows, count), field ``<prefix>0`` first."""
    return np.stack([columns[f"{prefix}{i}"] for i in range(count)], axis=1)


def unpack_hex(layout: Layout, words: Sequence[str]) -> dict[str, np.ndarray]:
    """Field values (int64) of hex words, vectorized: the inverse of :func:`pack_hex`."""
    n = len(words)
    text = np.frombuffer("".join(words).encode(), dtype=np.uint8).reshape(n, layout.digits)
    nibbles = np.where(text >= ord("a"), text - ord("a") + 10, text - ord("0")).astype(np.uint8)
    bits = np.unpackbits(nibbles[:, :, None], axis=2)[:, :, 4:].reshape(n, -1)[:, layout.digits * 4 - layout.width :]
    return _fields(layout, bits)


def unpack_words(layout: Layout, words: np.ndarray) -> dict[str, np.ndarray]:
    """Field values (int64) of binary words (n, :func:`words32`): the inverse of :func:`pack_words`."""
    w = np.ascontiguousarray(words, dtype="<u4")
    bits = np.unpackbits(w.view(np.uint8), axis=1, bitorder="little")[:, : layout.width][:, ::-1]
    return _fields(layout, bits)


def _fields(layout: Layout, bits: np.ndarray) -> dict[str, np.ndarray]:
    """Field values of a (words, width) bit matrix, most significant bit first."""
    out, pos = {}, 0
    for f in layout.fields:
        weights = np.left_shift(np.uint64(1), np.arange(f.bits - 1, -1, -1, dtype=np.uint64))
        pattern = (bits[:, pos : pos + f.bits].astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
        pos += f.bits
        if f.enc == "tc":  # sign-extend by an arithmetic shift of the field at the top of 64 bits
            top = np.uint64(64 - f.bits)
            out[f.name] = (pattern << top).view(np.int64) >> np.int64(64 - f.bits)
        elif f.enc == "sm":
            mag = (pattern & np.uint64((1 << (f.bits - 1)) - 1)).astype(np.int64)
            out[f.name] = np.where(pattern >> np.uint64(f.bits - 1), -mag, mag)
        else:
            out[f.name] = pattern.astype(np.int64)
    return out


def unpack_word(layout: Layout, word: str) -> dict[str, int]:
    """Field values of one hex word (bitstring reference decoder)."""
    import bitstring

    bits = bitstring.Bits(hex=word)
    pad = len(bits) - layout.width
    fmt = ", ".join(([f"uint:{pad}"] if pad else []) + [f"uint:{f.bits}" for f in layout.fields])
    raw = bits.unpack(fmt)[1 if pad else 0 :]
    return {f.name: f.decode(int(r)) for f, r in zip(layout.fields, raw)}


def render(words: Sequence[str], fmt: str, width: int) -> str:
    """The text of a memory file: ``hex`` ($readmemh), ``coe`` (Xilinx) or ``mif`` (Intel)."""
    if fmt == "hex":
        return "".join(w + "\n" for w in words)
    if fmt == "coe":
        body = ",\n".join(words)
        return f"memory_initialization_radix=16;\nmemory_initialization_vector=\n{body};\n"
    if fmt == "mif":
        lines = "".join(f"{i} : {w};\n" for i, w in enumerate(words))
        return (
            f"WIDTH={width};\nDEPTH={len(words)};\nADDRESS_RADIX=UNS;\nDATA_RADIX=HEX;\n"
            f"CONTENT BEGIN\n{lines}END;\n"
        )
    raise MBMError(f"unknown memory format {fmt!r}: allowed {', '.join(FORMATS)}")


_HEX_LINE = re.compile(r"^[0-9a-f]+$")


def parse_hex(text: str, layout: Layout, where: str) -> list[str]:
    """Words of a .hex file, refusing a line that is not layout.digits hex digits."""
    digits = layout.digits
    words = text.split("\n")
    if words and words[-1] == "":
        words.pop()
    if re.fullmatch(f"(?:[0-9a-f]{{{digits}}}\n)*", text):  # fast path: one scan of the file
        return words
    for i, w in enumerate(words):
        if len(w) != digits or not _HEX_LINE.match(w):
            raise MBMError(f"{where} line {i + 1} is {w[:40]!r}: allowed {digits} hex digits")
    return words


def write_memory(stem: Path, words: Sequence[str], layout: Layout) -> list[Path]:
    """Write stem.hex, stem.coe and stem.mif; returns their paths."""
    paths = []
    for fmt in FORMATS:
        path = stem.with_suffix(f".{fmt}")
        path.write_text(render(words, fmt, layout.width))
        paths.append(path)
    return paths
