"""convert-dataflow-to-hls: ROM layouts, the host/kernel split and the semantics of the result.

The ROM tests decode the packed words by the layout documented in the pass
(and in include/qnn/mvau.h, activation.h), bit by bit, independently of the
packing code. The semantics test runs the module before the pass in the
interpreter and after it with the host part in the interpreter and the
kernel in C simulation (run_module_csim): the outputs must be equal.
"""

from __future__ import annotations

import numpy as np
import pytest
from hls_modules import BIPOLAR, Chain, ascending, binary_chain, random_input
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException

from qnn_mlir.backends.hls.csim import run_module_csim
from qnn_mlir.diagnostics import parse_module_text, verify_module
from qnn_mlir.dialects import dataflow, hls, make_context
from qnn_mlir.interpreter import run_module
from qnn_mlir.passes.convert_dataflow_to_hls import ConvertDataflowToHLS
from qnn_mlir.tools.qnn_translate import module_to_text

MIXED = ((4, 0), (8, 3), (6, 4), (2, 0))  # the binary-mixed folding of test_hls_backend.py


def convert(text: str) -> ModuleOp:
    module = parse_module_text(make_context(), text, "test.mlir")
    ConvertDataflowToHLS().apply(make_context(), module)
    verify_module(module)
    return module


def device(module: ModuleOp, name: str = "acc") -> tuple[dict[str, hls.RomOp], hls.KernelOp]:
    nested = next(op for op in module.ops if isinstance(op, ModuleOp))
    assert nested.sym_name.data == f"{name}_hls"
    roms = {op.sym_name.data: op for op in nested.ops if isinstance(op, hls.RomOp)}
    kernel = next(op for op in nested.ops if isinstance(op, hls.KernelOp))
    return roms, kernel


def field(word: int, index: int, bits: int, signed: bool) -> int:
    value = (word >> (index * bits)) & ((1 << bits) - 1)
    return value - (1 << bits) if signed and value >= 1 << (bits - 1) else value


@pytest.mark.parametrize("weight_type, simd, pe", [("si2", 4, 2), ("si2", 1, 8), ("i1", 6, 4)])
def test_weight_rom_layout(weight_type, simd, pe):
    rng = np.random.default_rng(0)
    mw, mh = 12, 8
    low, high = (-2, 1) if weight_type == "si2" else (0, 1)
    weights = rng.integers(low, high + 1, size=(mw, mh))
    chain = Chain((1, mw), BIPOLAR if weight_type == "i1" else "si2", simd)
    chain.mvau(weights, weight_type, simd, pe, "si6")
    roms, _ = device(convert(chain.module()))
    rom = roms["mvau0_weights"]
    bits = 2 if weight_type == "si2" else 1
    assert rom.width.value.data == pe * simd * bits  # PE * SIMD * WBITS
    assert rom.depth.value.data == mw * mh // (pe * simd)  # WMEM
    words = rom.word_values()
    sf_count = mw // simd
    for nf in range(mh // pe):
        for sf in range(sf_count):
            for p in range(pe):
                for s in range(simd):
                    value = field(words[nf * sf_count + sf], p * simd + s, bits,
                                  signed=weight_type == "si2")
                    assert value == weights[sf * simd + s, nf * pe + p]


def test_threshold_rom_layout_per_channel_and_shared():
    rng = np.random.default_rng(1)
    per_channel = ascending(rng, 8, 3, -300, 300)
    chain = Chain((1, 8), "si12", 4)
    chain.thresholding(4, per_channel, "i32", "ui2")
    chain.thresholding(2, np.array([[-1, 5]]), "i32", "si3", out_bias=-1)
    roms, kernel = device(convert(chain.module()))
    calls = [op for op in kernel.body.block.ops if isinstance(op, hls.CallOp)]
    first, shared = roms["thresholding0_thresholds"], roms["thresholding1_thresholds"]
    # One word per channel: 8 words of 3 thresholds of 10 bits (range [-300, 300]),
    # whatever PE (4 here), so a word never grows with the folding.
    assert "qnn::SInt<10>" in [getattr(a, "data", None) for a in calls[0].template_args.data]
    assert (first.width.value.data, first.depth.value.data) == (3 * 10, 8)
    for channel, word in enumerate(first.word_values()):
        for i in range(3):
            assert field(word, i, 10, signed=True) == per_channel[channel, i]
    # A shared row is repeated for every channel.
    assert [[field(w, k, 4, signed=True) for k in range(2)] for w in shared.word_values()] == \
        [[-1, 5]] * 8


def test_host_calls_a_declared_kernel():
    module = convert(binary_chain(MIXED).module())
    main, declaration = (op for op in module.ops if isinstance(op, func.FuncOp))
    call = next(op for op in main.body.ops if isinstance(op, func.CallOp))
    assert call.callee.string_value() == "acc"
    assert declaration.sym_name.data == "acc" and declaration.sym_visibility.data == "private"
    assert not declaration.body.blocks
    assert str(declaration.attributes["hls.kernel"]) == "@acc_hls::@acc"
    assert not any(isinstance(op, dataflow.AcceleratorOp) for op in module.walk())
    roms, kernel = device(module)
    assert sorted(roms) == ["mvau0_thresholds", "mvau0_weights", "mvau1_weights",
                            "thresholding0_thresholds"]
    assert [arg.type.width.data for arg in kernel.body.block.args] == [128, 8]  # whole bytes
    assert list(kernel.attributes["frame_words"].get_values()) == [6, 3]
    # The printed HLS form reads back unchanged.
    text = module_to_text(module)
    assert module_to_text(parse_module_text(make_context(), text, "round.mlir")) == text


def test_host_ops_run_in_the_interpreter_and_the_kernel_in_csim():
    prologue = ("  %two = arith.constant dense<2.0> : tensor<f32>\n"
                "  %one = arith.constant dense<1.0> : tensor<f32>\n"
                "  %scaled = quant.mul %arg, %two : (tensor<1x24xf32>, tensor<f32>) "
                "-> tensor<1x24xf32>\n"
                "  %x = quant.sub %scaled, %one : (tensor<1x24xf32>, tensor<f32>) "
                "-> tensor<1x24xf32>\n")
    chain = binary_chain(MIXED)
    text = chain.module(prologue=prologue, arg_type="tensor<1x24xf32>")
    x = random_input(chain, 200, np.random.default_rng(2)) / 2
    (expected,) = run_module(parse_module_text(make_context(), text, "before.mlir"), [x])
    (actual,) = run_module_csim(convert(text), [x])
    assert np.array_equal(actual, expected)


def test_layer_names_name_the_cpp_objects():
    text = binary_chain(MIXED).module().replace(
        "dataflow.mvau %v1 MW 24 MH 12 SIMD 8 PE 3 {",
        'dataflow.mvau %v1 MW 24 MH 12 SIMD 8 PE 3 {name = "fc0", ')
    roms, kernel = device(convert(text))
    assert "fc0_weights" in roms and "mvau0_weights" in roms  # the other MVAU is mvau0
    assert any(op.stream.name_hint == "fc0_out" for op in kernel.body.block.ops
               if isinstance(op, hls.StreamOp))


SMALL = """
func.func @main(%x: tensor<1x8x!quant.bipolar>) -> (tensor<1x4xui4>, tensor<1x1xui2>) {
  %y:2 = dataflow.accelerator @acc(%x) : (tensor<1x8x!quant.bipolar>) -> (tensor<1x4xui4>, tensor<1x1xui2>) {
  ^bb0(%in: !dataflow.stream<1x8x!quant.bipolar, 4>):
    %h = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xui4, 2>
    %l = dataflow.label_select %h K 1 PE 2 : !dataflow.stream<1x4xui4, 2> -> !dataflow.stream<1x1xui2, 1>
    dataflow.yield %h, %l : !dataflow.stream<1x4xui4, 2>, !dataflow.stream<1x1xui2, 1>
  }
  func.return %y#0, %y#1 : tensor<1x4xui4>, tensor<1x1xui2>
}
"""  # noqa: E501


@pytest.mark.parametrize("text, message", [
    (binary_chain(MIXED).module().replace("func.func @main", "func.func @acc"),
     "needs the module-level symbol @acc, which is already taken"),
    # %h is both an output and the label select's input: a stream has one consumer.
    (SMALL, "the output of mvau0 has 2 consumers"),
    # An MVAU reading fold 4 with SIMD 2: dataflow-insert-dwc has not run.
    (SMALL.replace("SIMD 4", "SIMD 2"), "insert a data width converter"),
])
def test_errors_are_diagnostics(text, message):
    module = parse_module_text(make_context(), text, "test.mlir")
    with pytest.raises(DiagnosticException, match=message):
        ConvertDataflowToHLS().apply(make_context(), module)
