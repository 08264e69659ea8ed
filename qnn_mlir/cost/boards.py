"""The target boards: one table for the cost model, the folding and the emitters.

Each board gives its FPGA part, the fabric clock a design runs at, its
resources, the width of the AXI ports the DMA uses and the bandwidth the DMA
sustains into the fabric. Resources are the vendor's figures for the part;
the DMA figures are estimates (FACTS: Pynq-Z1's AXI DMA at 100 MHz moves
about 400 MB/s; the Zynq UltraScale+ boards are given half their 128-bit HP
port's peak at 200 MHz, the same ratio as the Pynq).

The target of a module is recorded as the module attribute `dataflow.target`
(`target_attribute`), so that every stage, `qnn-opt` and `qnn-translate
--to-hls` know it; `module_target` reads it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp, StringAttr

from qnn_mlir.cost.resources import Resources

TARGET_ATTR = "dataflow.target"
"""Module attribute naming the target board."""

DEFAULT_BOARD = "pynq-z1"


@dataclass(frozen=True)
class Board:
    """An FPGA board: its part, clock, resources and DMA."""

    name: str
    """The key users type (`--board pynq-z1`)."""
    title: str
    part: str
    clock_mhz: float
    lut: int
    ff: int
    bram18: int
    uram: int
    dsp: int
    axi_data_bits: int
    """Width of the AXI HP port the DMA reads and writes memory through."""
    dma_mbytes_per_s: float
    """What the AXI DMA sustains between memory and the fabric, MB/s (both directions)."""

    @property
    def clock_period_ns(self) -> str:
        """The clock period for `create_clock -period`."""
        return f"{1000.0 / self.clock_mhz:g}"

    def capacity(self) -> Resources:
        """All of the part's LUT, BRAM18, URAM and DSP."""
        return Resources(self.lut, self.bram18, self.uram, self.dsp)


BOARDS: dict[str, Board] = {board.name: board for board in (
    Board("pynq-z1", "Pynq-Z1", "xc7z020clg400-1", 100.0, 53_200, 106_400, 280, 0, 220, 64,
          400.0),
    Board("pynq-z2", "Pynq-Z2", "xc7z020clg400-1", 100.0, 53_200, 106_400, 280, 0, 220, 64,
          400.0),
    Board("ultra96-v2", "Ultra96-V2", "xczu3eg-sbva484-1-i", 200.0, 70_560, 141_120, 432, 0,
          360, 128, 1600.0),
    Board("zcu104", "ZCU104", "xczu7ev-ffvc1156-2-e", 200.0, 230_400, 460_800, 624, 96, 1_728,
          128, 1600.0),
    Board("kv260", "KV260", "xck26-sfvc784-2LV-c", 200.0, 117_120, 234_240, 288, 64, 1_248,
          128, 1600.0),
)}

ALIASES = {"ultra96": "ultra96-v2"}


def known_boards() -> str:
    """The board names, for diagnostics."""
    return ", ".join(BOARDS)


def get_board(name: str) -> Board:
    """The board called `name` (case-insensitive); ValueError listing the known boards."""
    key = name.lower()
    board = BOARDS.get(ALIASES.get(key, key))
    if board is None:
        raise ValueError(f"unknown board '{name}': the known boards are {known_boards()}")
    return board


def target_attribute(board: Board) -> StringAttr:
    """The value of the `dataflow.target` module attribute for `board`."""
    return StringAttr(board.name)


def module_target(module: ModuleOp) -> Board:
    """The board the module targets (its `dataflow.target`), else the default board."""
    attr = module.attributes.get(TARGET_ATTR)
    if attr is None:
        return BOARDS[DEFAULT_BOARD]
    if not isinstance(attr, StringAttr):
        raise ValueError(f"module attribute {TARGET_ATTR} must be a board name string such as "
                         f'"{DEFAULT_BOARD}", got {attr}')
    return get_board(attr.data)


def set_target(module: ModuleOp, board: Board) -> None:
    """Record `board` as the module's target."""
    module.attributes[TARGET_ATTR] = target_attribute(board)


@dataclass(frozen=True)
class Budget:
    """The fractions of a board's LUT, BRAM (and URAM) and DSP a design may use."""

    lut: float = 0.7
    bram: float = 0.8
    dsp: float = 0.8

    def of(self, board: Board) -> Resources:
        """The resources a design may use on `board`."""
        return Resources(int(board.lut * self.lut), int(board.bram18 * self.bram),
                         int(board.uram * self.bram), int(board.dsp * self.dsp))

    def text(self) -> str:
        """`LUT 70%, BRAM 80%, DSP 80%`."""
        return f"LUT {self.lut * 100:g}%, BRAM {self.bram * 100:g}%, DSP {self.dsp * 100:g}%"

    def option_text(self) -> str:
        """`lut=0.7,bram=0.8,dsp=0.8`: the budget as `parse_budget` reads it back, built
        from numbers alone, so that it can go into a pass option as it is."""
        return f"lut={self.lut!r},bram={self.bram!r},dsp={self.dsp!r}"


BUDGET_KEYS = ("lut", "bram", "dsp")

BUDGET_FORMS = "a fraction such as 0.5 for every resource, or lut=0.7,bram=0.8,dsp=0.8"


def _budget_fraction(value: str) -> float:
    """`0.6` or `60%` -> 0.6; ValueError unless it is in (0, 1]."""
    number = value.strip()
    percent = number.endswith("%")
    try:
        result = float(number.removesuffix("%")) / (100.0 if percent else 1.0)
    except ValueError:
        raise ValueError(f"budget value '{value}' is not a number; give {BUDGET_FORMS}"
                         ) from None
    if not 0 < result <= 1:  # also false for NaN
        raise ValueError(f"budget value '{value}' must be a fraction in (0, 1] or a "
                         "percentage in (0%, 100%]")
    return result


def parse_budget(text: str) -> Budget:
    """`0.6` (every resource) or `lut=0.7,bram=0.8,dsp=0.8` (fractions, or percentages with
    `%`; resources not named keep the default); empty: the default budget. ValueError
    saying what is wrong: an unknown or repeated resource, an empty entry, a value that is
    not a number in (0, 1]."""
    if not text.strip():
        return Budget()
    if "=" not in text:
        share = _budget_fraction(text)
        return Budget(share, share, share)
    values = Budget().__dict__.copy()
    given: set[str] = set()
    for item in re.split(r"\s*,\s*", text.strip()):
        if not item:
            raise ValueError(f"budget '{text}' has an empty entry (two commas in a row, or "
                             "one at an end)")
        key, equals, value = item.partition("=")
        key = key.strip().lower()
        if not equals:
            raise ValueError(f"budget entry '{item}' is not resource=fraction; give "
                             f"{BUDGET_FORMS}")
        if key not in BUDGET_KEYS:
            raise ValueError(f"budget key '{key}' is not one of {', '.join(BUDGET_KEYS)}")
        if key in given:
            raise ValueError(f"budget key '{key}' is given twice")
        given.add(key)
        values[key] = _budget_fraction(value)
    return Budget(**values)
