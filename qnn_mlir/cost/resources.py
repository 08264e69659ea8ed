"""Resource estimates of streaming layers: LUT, BRAM18, URAM and DSP (FINN-R's model).

Estimates, not synthesis results: they rank foldings and flag designs that
cannot fit a board; the synthesis report is the truth. The formulas take
plain numbers, so every layer op (qnn_mlir/dialects/dataflow_layers/) can
state its own cost from them:

* FINN-R's MVAU LUT model (`mvau_compute_luts`): 300 + 1.1 * PE * (mult +
  addertree + acc + thr + comp);
* Xilinx BRAM18 aspect ratios for a memory (`bram18`), and LUTRAM for memories
  of at most `LUTRAM_MAX_DEPTH` words (`memory`): one LUT6 holds 64 x 1 bits.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from math import ceil

LUTRAM_MAX_DEPTH = 128
"""Memories this shallow go to LUTRAM instead of BRAM (FINN's rule of thumb)."""

LUTRAM_BITS_PER_LUT = 64
"""A LUT6 used as distributed RAM holds 64 x 1 bits."""

LUT_MULTIPLIER_MAX_BITS = 8
"""Products of operands with at most this many bits together stay in LUTs; wider
ones use one DSP48 slice per multiplier (FINN's `resType` "auto" makes a similar call)."""


@dataclass(frozen=True)
class Resources:
    """FPGA resources of a layer or a design."""

    lut: int = 0
    bram18: int = 0
    uram: int = 0
    dsp: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, int]:
        """{"LUT": ..., "BRAM18": ..., "URAM": ..., "DSP": ...}, the names of reports."""
        return {"LUT": self.lut, "BRAM18": self.bram18, "URAM": self.uram, "DSP": self.dsp}


def bram18(depth: int, width: int) -> int:
    """BRAM18 blocks for a memory of `depth` words of `width` bits (Xilinx aspect ratios)."""
    if depth <= 0 or width <= 0:
        return 0
    if width == 1:
        return ceil(depth / 16384)
    if width == 2:
        return ceil(depth / 8192)
    if width <= 4:
        return ceil(depth / 4096) * ceil(width / 4)
    if width <= 9:
        return ceil(depth / 2048) * ceil(width / 9)
    if width <= 18 or depth > 512:
        return ceil(depth / 1024) * ceil(width / 18)
    return ceil(depth / 512) * ceil(width / 36)


def memory(depth: int, width: int, copies: int = 1) -> Resources:
    """`copies` memories of `depth` words of `width` bits: LUTRAM when shallow, else BRAM18."""
    if depth <= 0 or width <= 0:
        return Resources()
    if depth <= LUTRAM_MAX_DEPTH:
        return Resources(lut=copies * width * ceil(depth / LUTRAM_BITS_PER_LUT))
    return Resources(bram18=copies * bram18(depth, width))


def signed_bits(low: int, high: int) -> int:
    """Bits of the narrowest integer holding [low, high] (unsigned when low >= 0)."""
    if low >= 0:
        return max(high.bit_length(), 1)
    return max((-low - 1).bit_length(), high.bit_length()) + 1


def multipliers_on_dsps(weight_bits: int, input_bits: int, xnor: bool) -> bool:
    """Whether a product of these operands uses a DSP slice (see LUT_MULTIPLIER_MAX_BITS)."""
    return not xnor and weight_bits > 1 and weight_bits + input_bits > LUT_MULTIPLIER_MAX_BITS


def threshold_luts(out_bits: int, compared_bits: int) -> int:
    """FINN-R's thr + comp: 2^B - 1 thresholds of `compared_bits` held and compared in LUTs."""
    return 2 * (2**out_bits - 1) * compared_bits


def mvau_compute_luts(pe: int, simd: int, weight_bits: int, input_bits: int, acc_bits: int,
                      out_bits: int | None, on_dsps: bool) -> int:
    """FINN-R: 300 + 1.1 * PE * (mult + addertree + acc + thr + comp).

    With Q = SIMD and operand bits W + A: mult = Q * (2 * ceil((W + A) / 6) - 1) * (W + A)
    (0 on DSPs), addertree = (W + A) * (2Q - 1), acc the accumulator bits, thr = comp =
    (2^B - 1) * acc for B output bits (`out_bits` None: no thresholds).
    """
    operand_bits = weight_bits + input_bits
    mult = 0 if on_dsps else simd * (2 * ceil(operand_bits / 6) - 1) * operand_bits
    addertree = operand_bits * (2 * simd - 1)
    thresholds = threshold_luts(out_bits, acc_bits) if out_bits is not None else 0
    return round(300 + 1.1 * pe * (mult + addertree + acc_bits + thresholds))
