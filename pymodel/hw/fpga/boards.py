"""ECP5 boards the bring-up flow knows: device, package, speed grade, oscillator, reset
button polarity and the constraint file, plus each device's capacity.

Why a table: `--board NAME` is all a user types; everything nextpnr and the bring-up top
need about the board follows from it, and a new ECP5 board is one :class:`Board` entry and
one .lpf file with the top's five ports (docs/fpga.md). Device capacities are Lattice's
(ECP5 family data sheet, FPGA-DS-02012); the flow checks a vector set against the block
RAM before synthesis and takes the counts for utilization from nextpnr's own report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pymodel.core.errors import MBMError

BOARDS_DIR = Path(__file__).resolve().parent / "boards"
#: bits of one ECP5 block RAM (DP16KD, "EBR")
EBR_BITS = 18 * 1024


@dataclass(frozen=True)
class Device:
    """An ECP5 part: nextpnr's device option and what it holds."""

    name: str  #: e.g. LFE5U-85F
    nextpnr: str  #: nextpnr-ecp5 device flag without dashes, e.g. 85k
    lut4: int
    ff: int
    ebr: int  #: DP16KD block RAMs, 18 kbit each
    dsp: int  #: MULT18X18D multipliers


DEVICES = {
    d.name: d
    for d in (
        Device("LFE5U-25F", "25k", 24288, 24288, 56, 28),
        Device("LFE5U-45F", "45k", 43848, 43848, 108, 72),
        Device("LFE5U-85F", "85k", 83640, 83640, 208, 156),
    )
}


@dataclass(frozen=True)
class Board:
    """A board: its device, package, speed grade, oscillator and constraint file."""

    name: str
    device: Device
    package: str
    speed: int
    clock_mhz: float  #: the oscillator on the constraint file's clk_i pin
    reset_active_low: bool  #: the reset button reads 0 while pressed
    lpf: Path  #: its header names the public constraint file the sites come from

    @property
    def ebr_kbit(self) -> int:
        return self.device.ebr * EBR_BITS // 1024


BOARDS = {
    b.name: b
    for b in (
        Board(f"ulx3s-{size}f", DEVICES[f"LFE5U-{size}F"], "CABGA381", 6, 25.0, True, BOARDS_DIR / "ulx3s.lpf")
        for size in (25, 45, 85)
    )
}
DEFAULT_BOARD = "ulx3s-85f"


def board(name: str) -> Board:
    """The named board, or a one-line error listing the known ones."""
    try:
        return BOARDS[name]
    except KeyError:
        raise MBMError(f"unknown board {name!r}: allowed {', '.join(BOARDS)}") from None
