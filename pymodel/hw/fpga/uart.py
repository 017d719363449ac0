"""The bring-up's UART result line: its template, its parser, and the CRC a host expects.

Why here: the line is the whole interface between the board and the engineer (or a test);
the top prints it from the template :func:`template` builds, and :func:`check_line` judges
a received line against the vector set itself, recomputing the CRC-32 of the expected
products, so neither the RTL bench nor the silicon is trusted to grade itself.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from pymodel.core.errors import MBMError

#: control bytes of the template, replaced by rtl/bringup/bringup_report.v
STATUS, N, FAIL, FIRST, CRC = (chr(c) for c in range(1, 6))
LINE = re.compile(
    r"MBM BRINGUP (?P<status>PASS|FAIL|TIMEOUT) set=(?P<set>\S+) n=(?P<n>\d+) fail=(?P<fail>\d+) "
    r"first=(?P<first>-|\d+) crc=(?P<crc>[0-9a-f]{8})"
)


def template(set_name: str) -> bytes:
    """The line with its fields as control bytes, NUL-terminated (the top's text ROM)."""
    if not re.fullmatch(r"[A-Za-z0-9_./+-]{1,100}", set_name):
        raise MBMError(f"set name {set_name!r} cannot go on the UART line: allowed 1..100 of A-Z a-z 0-9 _ . / + -")
    text = f"MBM BRINGUP {STATUS} set={set_name} n={N} fail={FAIL} first={FIRST} crc={CRC}\r\n"
    return text.encode("ascii") + b"\0"


def results_crc(words: Sequence[str], width: int) -> int:
    """CRC-32 of hex result words as rtl/bringup/bringup_crc32.v folds them: each word in
    ceil(width/8) bytes, least significant first, as zlib.crc32."""
    nbytes = (width + 7) // 8
    return zlib.crc32(b"".join(int(w, 16).to_bytes(nbytes, "little") for w in words))


@dataclass(frozen=True)
class LineCheck:
    """A received line judged against the set: PASS only if every field is as it must be."""

    line: str
    status: str  #: PASS or FAIL
    fail: int | None
    first: int | None
    why: str  #: empty for PASS


def check_line(line: str | None, set_name: str, count: int, crc: int) -> LineCheck:
    """Judge the line: the top must say PASS for this set, with n = count, fail = 0 and
    the CRC of the expected products; anything else is FAIL with the reason."""
    m = LINE.fullmatch(line.strip()) if line else None
    if m is None:
        return LineCheck(line or "", "FAIL", None, None, f"no result line (got {line!r})")
    fail = int(m["fail"])
    first = None if m["first"] == "-" else int(m["first"])
    problems = []
    if m["status"] == "TIMEOUT":
        problems.append(f"the design's watchdog ended the run: no result came after {m['n']} of {count}")
    elif m["status"] != "PASS":
        problems.append(f"the design reports FAIL (fail={fail}, first={m['first']})")
    if m["set"] != set_name:
        problems.append(f"set={m['set']}, built for {set_name}")
    if int(m["n"]) != count:
        problems.append(f"n={m['n']} of {count} results")
    if fail:
        problems.append(f"{fail} mismatches, the first at index {first}")
    if int(m["crc"], 16) != crc:
        problems.append(f"crc={m['crc']}, the expected products give {crc:08x}")
    return LineCheck(line.strip(), "FAIL" if problems else "PASS", fail, first, "; ".join(problems))
