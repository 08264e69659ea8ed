"""Target boards: FPGA part, resources and clock (vendor figures)."""

from __future__ import annotations

from dataclasses import dataclass

LUT_HEADROOM = 0.7
"""Fraction of the LUTs a design may use and still route."""
MEMORY_DSP_HEADROOM = 0.8
"""Fraction of the BRAM and DSPs a design may use."""


@dataclass(frozen=True)
class Board:
    """An FPGA board: its part, resources and the clock a design runs at."""

    name: str
    part: str
    lut: int
    ff: int
    bram36: int
    dsp: int
    clock_mhz: float
    """The default clock of the fabric."""
    max_clock_mhz: float
    uram: int = 0

    @property
    def bram18(self) -> int:
        """BRAM18 blocks: each BRAM36 is two."""
        return 2 * self.bram36

    def budget(self) -> dict[str, int]:
        """The resources a design may use, with routing headroom."""
        return {
            "LUT": int(self.lut * LUT_HEADROOM),
            "BRAM18": int(self.bram18 * MEMORY_DSP_HEADROOM),
            "DSP": int(self.dsp * MEMORY_DSP_HEADROOM),
        }


_PYNQ = dict(part="xc7z020clg400-1", lut=53_200, ff=106_400, bram36=140, dsp=220,
             clock_mhz=100.0, max_clock_mhz=100.0)

BOARDS: dict[str, Board] = {
    "pynq-z1": Board("pynq-z1", **_PYNQ),
    "pynq-z2": Board("pynq-z2", **_PYNQ),
    "ultra96": Board("ultra96", "xczu3eg", 70_560, 141_120, 216, 360, 200.0, 300.0),
    "zcu104": Board("zcu104", "xczu7ev", 230_400, 460_800, 312, 1_728, 200.0, 300.0, uram=96),
}


def get_board(name: str) -> Board:
    """The board called `name` (case-insensitive); ValueError naming the known boards."""
    board = BOARDS.get(name.lower())
    if board is None:
        raise ValueError(f"unknown board '{name}': choose among {', '.join(BOARDS)}")
    return board
