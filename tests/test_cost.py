"""The cost model against FINN's published figures (the TFC/CNV notebooks) and its own formulas."""

from __future__ import annotations

import pytest
from xdsl.parser import Parser

from qnn_mlir.cost.boards import BOARDS, get_board
from qnn_mlir.cost.cycles import (
    cycles_per_layer,
    dwc_cycles,
    label_select_cycles,
    latency_cycles,
    mvau_cycles,
    target_cycles,
    thresholding_cycles,
    throughput_fps,
)
from qnn_mlir.cost.folding import fold_layer
from qnn_mlir.cost.resources import accumulator_bits, bram18, mvau_bram18, mvau_luts
from qnn_mlir.dialects import make_context

FINN_CNV_W1A1 = [  # (PE, SIMD, MW, MH, output pixels) from FINN's CNV-w1a1 notebook
    (16, 3, 27, 64, 900), (32, 32, 576, 64, 784), (16, 32, 576, 128, 144),
    (16, 32, 1152, 128, 100), (4, 32, 1152, 256, 9), (1, 32, 2304, 256, 1),
    (1, 4, 256, 512, 1), (1, 8, 512, 512, 1), (5, 1, 512, 10, 1),
]


def test_tfc_w1a1_cycles_and_fps():
    layers = [(16, 49, 784, 64), (8, 8, 64, 64), (8, 8, 64, 64), (10, 8, 64, 10)]
    cycles = [mvau_cycles(mw, mh, simd, pe) for pe, simd, mw, mh in layers]
    assert cycles == [64, 64, 64, 8]
    assert throughput_fps(cycles, 100) == pytest.approx(1.5625e6)
    assert latency_cycles(cycles) == 200


def test_cnv_w1a1_bottleneck_is_32768_cycles():
    cycles = [mvau_cycles(mw, mh, simd, pe, pixels) for pe, simd, mw, mh, pixels in FINN_CNV_W1A1]
    assert max(cycles) == 32768
    assert throughput_fps(cycles, 100) == pytest.approx(3051.76, rel=1e-4)


def test_other_layers():
    assert thresholding_cycles(64, 4) == 16
    assert thresholding_cycles(64, 4, vectors=9) == 144
    assert label_select_cycles(10, 2) == 5
    assert dwc_cycles(49, 16) == 49
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
    pynq = get_board("Pynq-Z1")
    assert (pynq.lut, pynq.bram36, pynq.dsp, pynq.clock_mhz) == (53_200, 140, 220, 100.0)
    assert pynq.budget() == {"LUT": 37_240, "BRAM18": 224, "DSP": 176}
    assert BOARDS["zcu104"].uram == 96
    with pytest.raises(ValueError, match="unknown board 'kv260': choose among pynq-z1, pynq-z2"):
        get_board("kv260")


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


def _ops():
    module = Parser(make_context(), MODULE).parse_module()
    return module, [op for op in module.walk() if op.name.startswith("dataflow.")]


def test_cycles_of_the_ops():
    module, _ = _ops()
    assert cycles_per_layer(module) == {"fc0": 64, "fc1": 4096, "thresholding_2": 16}


def test_memory_and_luts():
    _, (fc0, fc1, _) = _ops()
    assert accumulator_bits(fc0) == 10  # popcount in [0, 784]
    assert accumulator_bits(fc1) == 14  # [64 * -128, 64 * 127]
    assert mvau_bram18(fc0) == 0  # 64 words deep: LUTRAM
    assert mvau_bram18(fc1) == 1  # 4096 words of 4 bits: one BRAM18 (4K x 4)
    # FINN-R: 300 + 1.1 * PE * (mult + addertree + acc + thr + comp)
    mult, addertree, acc, thr = 49 * (2 * 1 - 1) * 2, 2 * 97, 10, 10
    assert mvau_luts(fc0) == round(300 + 1.1 * 16 * (mult + addertree + acc + 2 * thr))


def test_fold_layer_follows_finn():
    _, (fc0, fc1, threshold) = _ops()
    # SIMD through the divisors of 784 up to 28 (49 bits > 36), then PE until < 100 cycles
    assert fold_layer(fc0, 100) == {"PE": 32, "SIMD": 28}
    # 4-bit weights: SIMD stops at 8 (32 bits; 16 would be 64), 512 cycles; PE 8 gives 64
    assert fold_layer(fc1, 100) == {"PE": 8, "SIMD": 8}
    assert fold_layer(fc1, 10**9) == {"PE": 1, "SIMD": 1}
    assert fold_layer(threshold, 10) == {"PE": 8}
