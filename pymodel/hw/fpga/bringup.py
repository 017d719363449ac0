"""The bring-up top's build inputs from one vector set: parameters, ROM files, block RAM.

Why: a vector set's manifest already says everything the hardware needs (DUT, N/TRUNC/
FRAC_OUT/MITCHELL, word layouts, count), so the top is configured from it rather than by
hand, and a set too large for the board is refused before synthesis, naming what it needs
and what the device has. The words are the set's own .hex files (verified against the
manifest's sha256 by :func:`pymodel.hw.vectors.load_set`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.hw.fpga import uart
from pymodel.hw.fpga.boards import Board
from pymodel.hw.vectors import LoadedSet, load_set

DEFAULT_SET = "mbm_mul/exhaustive-mbm-n8-t0"
#: vector-set DUT -> SIGNED of mbm_mul_axis (the MAC array has no bring-up adapter yet)
DUT_SIGNED = {"mbm_mul": 0, "mbm_mul_signed": 1}
#: DP16KD aspect ratios (depth, width); the ROMs map onto whichever needs fewest blocks
EBR_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18))
LATENCY = 2
STALL_PCT = 25
BAUD = 115200
#: cycles without a result after which the top ends the run as FAIL (mbm_bringup_top)
WATCHDOG = 65536


def ebr_blocks(depth: int, width: int) -> int:
    """Block RAMs one depth x width ROM needs in the best DP16KD shape."""
    return min(-(-depth // d) * -(-width // w) for d, w in EBR_SHAPES)


def available_sets(vectors: Path) -> list[str]:
    """Names (folder below ``vectors``) of every set with a manifest."""
    return sorted(str(m.parent.relative_to(vectors)) for m in vectors.glob("**/manifest.json"))


@dataclass
class Bringup:
    """One bring-up build: the set, the board, the clock and the top's parameters."""

    name: str  #: the set's folder below vectors/, e.g. mbm_mul/exhaustive-mbm-n8-t0
    vs: LoadedSet
    board: Board
    clock_mhz: float
    stall_pct: int
    baud: int = BAUD
    #: bringup_clock's PLL parameters (pymodel.hw.fpga.clock.pll); empty: the oscillator
    pll: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return int(self.vs.manifest["counts"]["vectors"])

    @property
    def widths(self) -> dict[str, int]:
        return {m: self.vs.layout(m).width for m in ("stim", "expect")}

    @property
    def text(self) -> bytes:
        return uart.template(self.name)

    @property
    def clks_per_bit(self) -> int:
        return round(self.clock_mhz * 1e6 / self.baud)

    @property
    def expected_crc(self) -> int:
        return uart.results_crc(self.vs.words["expect"], self.widths["expect"])

    def ebr_need(self) -> dict[str, int]:
        """Block RAMs per ROM (the text ROM is small enough for LUTs; counted anyway)."""
        need = {m: ebr_blocks(self.count, w) for m, w in self.widths.items()}
        need["text"] = 1
        return need

    def parameters(self) -> dict[str, int | str]:
        """mbm_bringup_top's parameters (strings are $readmemh file names in the build folder)."""
        p = self.vs.manifest["parameters"]
        return {
            "N": p["N"], "TRUNC": p["TRUNC"], "FRAC_OUT": p["FRAC_OUT"], "MITCHELL": p["MITCHELL"],
            "SIGNED": DUT_SIGNED[self.vs.manifest["dut"]], "LATENCY": LATENCY, "COUNT": self.count,
            "STIM_FILE": "stim.hex", "EXPECT_FILE": "expect.hex", "TEXT_FILE": "text.hex",
            "TEXT_LEN": len(self.text), "CLK_HZ": round(self.clock_mhz * 1e6), "BAUD": self.baud,
            "STALL_PCT": self.stall_pct, "RST_ACTIVE_LOW": int(self.board.reset_active_low),
            "WATCHDOG": WATCHDOG, **self.pll,
        }

    def write_roms(self, folder: Path) -> None:
        """stim.hex, expect.hex (the set's words) and text.hex (the line template)."""
        folder.mkdir(parents=True, exist_ok=True)
        for mem in ("stim", "expect"):
            (folder / f"{mem}.hex").write_text("\n".join(self.vs.words[mem]) + "\n")
        (folder / "text.hex").write_text("".join(f"{b:02x}\n" for b in self.text))


def plan(set_name: str, vectors: Path, board: Board, clock_mhz: float, stall_pct: int = STALL_PCT,
         baud: int = BAUD) -> Bringup:
    """Load and check the named set for this board (one-line MBMError on any bad input)."""
    folder = Path(vectors) / set_name
    if not (folder / "manifest.json").is_file():
        known = available_sets(Path(vectors))
        hint = f"allowed {', '.join(known)}" if known else f"no sets under {vectors}: run `make vectors`"
        raise MBMError(f"unknown vector set {set_name!r} under {vectors}: {hint}")
    if not 0 <= stall_pct <= 99:
        raise MBMError(f"--stall={stall_pct} is out of range: allowed 0..99 (percent)")
    if not 9600 <= baud <= clock_mhz * 1e6 / 8:
        raise MBMError(f"--baud={baud} is out of range at {clock_mhz:g} MHz: allowed 9600..{int(clock_mhz * 1e6 / 8)}")
    vs = load_set(folder)
    dut = vs.manifest["dut"]
    if dut not in DUT_SIGNED:
        raise MBMError(f"set {set_name!r} is for {dut}: the bring-up top drives {', '.join(DUT_SIGNED)}")
    b = Bringup(set_name, vs, board, clock_mhz, stall_pct, baud)
    need = b.ebr_need()
    if sum(need.values()) > board.device.ebr:
        bits = sum(b.count * w for w in b.widths.values())
        raise MBMError(
            f"set {set_name!r} needs {sum(need.values())} block RAMs ({b.count} words x "
            f"{'+'.join(str(w) for w in b.widths.values())} bits = {bits / 1024:.0f} kbit) but the "
            f"{board.device.name} on {board.name} has {board.device.ebr} x 18 kbit = {board.ebr_kbit} kbit: "
            f"allowed a smaller set or a larger device")
    return b

