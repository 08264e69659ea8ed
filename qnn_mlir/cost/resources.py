"""Memory and LUT estimates of the layers (FINN-R's model).

Estimates, not synthesis results: they rank foldings and flag designs that
cannot fit a board; the synthesis report is the truth.
"""

from __future__ import annotations

from math import ceil

from qnn_mlir.dialects.dataflow import MVAUOp
from qnn_mlir.dialects.datatypes import element_bits

LUTRAM_MAX_DEPTH = 128
"""Memories this shallow go to LUTRAM instead of BRAM."""


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


def mvau_weight_memory(op: MVAUOp) -> tuple[int, int]:
    """(depth, width) of the weight memory: MW*MH/(PE*SIMD) words of PE*SIMD*W bits."""
    mw, mh = op.MW.value.data, op.MH.value.data
    pe, simd = op.PE.value.data, op.SIMD.value.data
    weight_bits = element_bits(op.weights.get_element_type())
    return mw * mh // (pe * simd), pe * simd * weight_bits


def mvau_bram18(op: MVAUOp) -> int:
    """BRAM18 of the weights (0 when they are shallow enough for LUTRAM)."""
    depth, width = mvau_weight_memory(op)
    return 0 if depth <= LUTRAM_MAX_DEPTH else bram18(depth, width)


def accumulator_bits(op: MVAUOp) -> int:
    """Bits of the narrowest accumulator that holds the exact accumulator range."""
    low, high = op.accumulator_range()
    if low >= 0:
        return max(high.bit_length(), 1)
    return max((-low - 1).bit_length(), high.bit_length()) + 1


def mvau_luts(op: MVAUOp, multipliers_on_dsps: bool = False) -> int:
    """FINN-R: 300 + 1.1 * PE * (mult + addertree + acc + thr + comp), thresholds in LUTs."""
    weight_bits = element_bits(op.weights.get_element_type())
    input_bits = element_bits(op.in_type.element_type)
    simd, pe = op.SIMD.value.data, op.PE.value.data
    operand_bits = weight_bits + input_bits
    mult = 0 if multipliers_on_dsps else simd * (2 * ceil(operand_bits / 6) - 1) * operand_bits
    addertree = operand_bits * (2 * simd - 1)
    acc = accumulator_bits(op)
    thr = comp = 0
    if op.thresholds is not None:
        thr = comp = (2 ** element_bits(op.out_type.element_type) - 1) * acc
    return round(300 + 1.1 * pe * (mult + addertree + acc + thr + comp))
