"""The cost model against FINN's published figures (the TFC/CNV notebooks) and its own formulas."""

from __future__ import annotations

import pytest
from xdsl.parser import Parser

from qnn_mlir.cost.boards import BOARDS, Budget, get_board, parse_budget
from qnn_mlir.cost.cycles import cycles_per_layer, target_cycles, throughput_fps
from qnn_mlir.cost.design import estimate
from qnn_mlir.cost.folding import fold_layer
from qnn_mlir.cost.resources import Resources, bram18, signed_bits
from qnn_mlir.dialects import make_context

PYNQ = get_board("pynq-z1")

FINN_CNV_W1A1 = [  # (PE, SIMD, MW, MH, output pixels) from FINN's CNV-w1a1 notebook
    (16, 3, 27, 64, 900), (32, 32, 576, 64, 784), (16, 32, 576, 128, 144),
    (16, 32, 1152, 128, 100), (4, 32, 1152, 256, 9), (1, 32, 2304, 256, 1),
    (1, 4, 256, 512, 1), (1, 8, 512, 512, 1), (5, 1, 512, 10, 1),
]


def mvau_cycles(mw: int, mh: int, simd: int, pe: int, vectors: int = 1) -> int:
    """FINN's MVAU model, written out here as the oracle: NF * SF per input vector."""
    return (mh // pe) * (mw // simd) * vectors


def test_finn_cnv_w1a1_bottleneck_is_32768_cycles():
    cycles = [mvau_cycles(mw, mh, simd, pe, pixels) for pe, simd, mw, mh, pixels in FINN_CNV_W1A1]
    assert max(cycles) == 32768
    assert throughput_fps(cycles, 100) == pytest.approx(3051.76, rel=1e-4)
    assert target_cycles(1_560_000, 100) == 64
    assert throughput_fps([], 100) == float("inf")


def test_bram18_aspect_ratios():
    assert bram18(16384, 1) == 1 and bram18(16385, 1) == 2
    assert bram18(8192, 2) == 1
    assert bram18(4096, 4) == 1 and bram18(4096, 8) == 2 and bram18(2048, 8) == 1
    assert bram18(2048, 9) == 1 and bram18(2048, 18) == 2
    assert bram18(1024, 18) == 1 and bram18(600, 36) == 2
    assert bram18(512, 36) == 1 and bram18(512, 72) == 2
    assert bram18(0, 8) == 0


def test_boards():
    assert (PYNQ.lut, PYNQ.bram18, PYNQ.dsp, PYNQ.clock_mhz) == (53_200, 280, 220, 100.0)
    assert Budget().of(PYNQ) == Resources(37_240, 224, 0, 176)
    assert BOARDS["zcu104"].uram == 96
    assert get_board("Ultra96").name == "ultra96-v2"
    assert set(BOARDS) >= {"pynq-z1", "pynq-z2", "ultra96-v2", "zcu104", "kv260"}
    with pytest.raises(ValueError, match="unknown board 'zc706': the known boards are pynq-z1, "
                       "pynq-z2, ultra96-v2, zcu104, kv260"):
        get_board("zc706")


def test_budgets():
    assert parse_budget("0.5") == Budget(0.5, 0.5, 0.5)
    assert parse_budget("lut=60%, dsp=0.9") == Budget(0.6, 0.8, 0.9)
    for bad, message in (("lut=2", "fraction in"), ("ff=0.5", "not one of"), ("x", "number")):
        with pytest.raises(ValueError, match=message):
            parse_budget(bad)


MODULE = """
func.func @layers(%x: !dataflow.stream<1x784x!quant.bipolar, 1>,
                  %y: !dataflow.stream<1x64xsi8, 1>) {
  %a = dataflow.mvau %x MW 784 MH 64 SIMD 49 PE 16 {name = "fc0", xnor,
        weights = dense<true> : tensor<784x64xi1>, thresholds = dense<392> : tensor<64x1xi32>}
      : !dataflow.stream<1x784x!quant.bipolar, 1> -> !dataflow.stream<1x64x!quant.bipolar, 16>
  %b = dataflow.mvau %y MW 64 MH 64 SIMD 1 PE 1 {name = "fc1",
        weights = dense<1> : tensor<64x64xsi4>}
      : !dataflow.stream<1x64xsi8, 1> -> !dataflow.stream<1x64xsi16, 1>
  %c = dataflow.thresholding %y PE 4 {thresholds = dense<0> : tensor<1x1xi32>}
      : !dataflow.stream<1x64xsi8, 1> -> !dataflow.stream<1x64xui1, 4>
  func.return
}
"""

TFC_W1A1 = """
func.func @tfc(%x: !dataflow.stream<1x784x!quant.bipolar, 49>) {
  %0 = dataflow.mvau %x MW 784 MH 64 SIMD 49 PE 16 {name = "fc0", xnor,
        weights = dense<true> : tensor<784x64xi1>, thresholds = dense<392> : tensor<64x1xi32>}
      : !dataflow.stream<1x784x!quant.bipolar, 49> -> !dataflow.stream<1x64x!quant.bipolar, 16>
  %1 = dataflow.mvau %0 MW 64 MH 64 SIMD 8 PE 8 {name = "fc1", xnor,
        weights = dense<true> : tensor<64x64xi1>, thresholds = dense<32> : tensor<64x1xi32>}
      : !dataflow.stream<1x64x!quant.bipolar, 16> -> !dataflow.stream<1x64x!quant.bipolar, 8>
  %2 = dataflow.mvau %1 MW 64 MH 64 SIMD 8 PE 8 {name = "fc2", xnor,
        weights = dense<true> : tensor<64x64xi1>, thresholds = dense<32> : tensor<64x1xi32>}
      : !dataflow.stream<1x64x!quant.bipolar, 8> -> !dataflow.stream<1x64x!quant.bipolar, 8>
  %3 = dataflow.mvau %2 MW 64 MH 10 SIMD 8 PE 10 {name = "fc3", xnor,
        weights = dense<true> : tensor<64x10xi1>}
      : !dataflow.stream<1x64x!quant.bipolar, 8> -> !dataflow.stream<1x10xui7, 10>
  func.return
}
"""


def _ops(text: str = MODULE):
    module = Parser(make_context(), text).parse_module()
    return module, [op for op in module.walk() if op.name.startswith("dataflow.")]


def test_cycles_of_the_ops():
    module, (fc0, fc1, threshold) = _ops()
    assert cycles_per_layer(module) == {"fc0": 64, "fc1": 4096, "thresholding_2": 16}
    assert fc0.cycles() == mvau_cycles(784, 64, 49, 16)
    assert fc1.cycles({"PE": 8, "SIMD": 8}) == 64
    assert threshold.cycles({"PE": 16}) == 4


def finn_r_luts(pe: int, simd: int, operand_bits: int, acc: int, thresholds: bool) -> int:
    """FACTS.md's FINN-R formula with LUT multipliers, written out as the test's oracle."""
    mult = simd * (2 * -(-operand_bits // 6) - 1) * operand_bits
    addertree = operand_bits * (2 * simd - 1)
    thr = comp = acc if thresholds else 0  # (2^1 - 1) * acc for bipolar outputs
    return round(300 + 1.1 * pe * (mult + addertree + acc + thr + comp))


def test_tfc_w1a1_notebook_folding_against_hand_computed_finn_r():
    module, layers = _ops(TFC_W1A1)
    assert [op.cycles() for op in layers] == [64, 64, 64, 8]
    result = estimate(layers, PYNQ, Budget())
    assert result.compute_fps == pytest.approx(1.5625e6)
    assert result.latency_cycles == 200
    # Per layer: FINN-R compute LUTs; weights of 64 / 64 / 64 / 8 words (<= 128: LUTRAM,
    # one LUT per bit of width per 64 words); the input buffer of MW / SIMD words; no BRAM.
    # popcount accumulators: [0, 784] -> 10 bits, [0, 64] -> 7 bits.
    expected = [
        finn_r_luts(16, 49, 2, 10, True) + 16 * 49 + 49,  # 5967 + 784 + 49
        finn_r_luts(8, 8, 2, 7, True) + 8 * 8 + 8,  # 890 + 64 + 8
        finn_r_luts(8, 8, 2, 7, True) + 8 * 8 + 8,
        finn_r_luts(10, 8, 2, 7, False) + 10 * 8 + 8,  # 883 + 80 + 8
    ]
    assert expected == [6800, 962, 962, 971]
    assert [layer.resources for layer in result.layers] == [Resources(lut=n) for n in expected]
    assert result.fits


def test_memory_and_dsps():
    _, (fc0, fc1, threshold) = _ops()
    assert signed_bits(*fc0.accumulator_range()) == 10  # popcount in [0, 784]
    assert signed_bits(*fc1.accumulator_range()) == 14  # [64 * -128, 64 * 127]
    # 4-bit x 8-bit products go to DSPs: one per multiplier, no mult term in the LUTs;
    # 4096 weight words of 4 bits: one BRAM18 (4K x 4); the 64-word input buffer in LUTRAM.
    fc1_cost = fc1.resources(PYNQ)
    assert fc1_cost.dsp == 1 and fc1_cost.bram18 == bram18(4096, 4) == 1
    assert fc1_cost.lut == round(300 + 1.1 * (12 * 1 + 14)) + 8
    # thresholding: PE comparators of the 8 input bits, thresholds of 16 words in LUTRAM
    assert threshold.resources(PYNQ) == Resources(lut=round(1.1 * 4 * 8) + 4 * 8)


def test_fold_layer_follows_finn():
    _, (fc0, fc1, threshold) = _ops()
    # SIMD through the divisors of 784 up to 28 (49 bits > 36), then PE until < 100 cycles
    assert fold_layer(fc0, 100) == {"SIMD": 28, "PE": 32}
    # 4-bit weights: SIMD stops at 8 (32 bits; 16 would be 64), 512 cycles; PE 8 gives 64
    assert fold_layer(fc1, 100) == {"SIMD": 8, "PE": 8}
    assert fold_layer(fc1, 10**9) == {"SIMD": 1, "PE": 1}
    assert fold_layer(threshold, 10) == {"PE": 8}
