"""Bad input to the console tools is a diagnostic, never a crash.

The rule (README, "Tools"): an invalid input gets a message that says
where (file, file:line:col or the ONNX node name) and what is wrong, exit
code 1, no Python traceback, and no output file, half-written or otherwise.

Each `Case` below writes one invalid input into a temporary directory, runs
`qnn-translate` or `qnn-opt` on it as a subprocess with `-o out.mlir`, and
checks all of that. tests/invalid_inputs.md lists every case with the
diagnostic it gets; regenerate its table with `python tests/test_diagnostics.py`.

A case whose `problem` is set shows a tool defect: its test asserts the
behaviour the rule asks for and fails until the tool is fixed (not xfail:
a test that cannot fail is a defect). Clear `problem` with the fix.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx_builders import (
    QONNX_DOMAIN,
    QUANT_PARAMETERS,
    cyclic_model,
    initializer,
    make_model,
    qcdq_model,
    quant_model,
    quant_node,
    single_node,
    valid_model,
)

BIN_DIR = os.path.dirname(sys.executable)
OUTPUT = "out.mlir"

# ---------------------------------------------------------------------------
# Input writers: each returns a function that creates the input file at a path
# ---------------------------------------------------------------------------

Writer = Callable[[Path], None]


def onnx_file(model: onnx.ModelProto) -> Writer:
    return lambda path: onnx.save(model, path)


def bytes_file(data: bytes) -> Writer:
    return lambda path: path.write_bytes(data)


def text_file(text: str) -> Writer:
    return lambda path: path.write_text(text, encoding="utf-8")


def directory() -> Writer:
    return lambda path: path.mkdir()


def truncated_onnx() -> Writer:
    return lambda path: path.write_bytes(valid_model().SerializeToString()[:150])


def missing_external_data() -> Writer:
    """A model whose weights live in `<name>.data`, which is then deleted."""

    def write(path: Path) -> None:
        onnx.save(valid_model(), path, save_as_external_data=True,
                  location=f"{path.name}.data", size_threshold=0)
        (path.parent / f"{path.name}.data").unlink()

    return write


def quant_with(scale=0.5, zeropt=0.0, bits=4.0) -> onnx.ModelProto:
    """x -> Quant -> y with the given scale, zero point and bit width initializers."""
    return make_model([quant_node()], [initializer("scale", scale),
                                       initializer("zeropt", zeropt), initializer("bits", bits)])


def with_graph_input(model: onnx.ModelProto, name: str, shape) -> onnx.ModelProto:
    """`model` with one more graph input declaration (FLOAT of `shape`) named `name`."""
    model.graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    return model


def with_output_twice(model: onnx.ModelProto) -> onnx.ModelProto:
    model.graph.output.append(model.graph.output[0])
    return model


# ---------------------------------------------------------------------------
# IR snippets for qnn-opt
# ---------------------------------------------------------------------------

def relu_ir(op: str = "quant.relu %x", arg: str = "tensor<1x4xf32>",
            operand: str | None = None, result: str | None = None) -> str:
    """A function of one quant.relu; each case breaks one of the pieces.

    `arg` is the type of %x, `operand` the type the op says it has, `result` the
    type of the op's result and of the function's result.
    """
    operand = operand or arg
    result = result or arg
    return (
        f"func.func @main(%x: {arg}) -> {result} {{\n"
        f"  %r = {op} : ({operand}) -> {result}\n"
        f"  func.return %r : {result}\n"
        "}\n"
    )


USE_BEFORE_DEFINITION = """\
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %b = quant.relu %a : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %a = quant.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %b : tensor<1x4xf32>
}
"""

DENSE_OUT_OF_RANGE = """\
func.func @main() -> tensor<si4> {
  %c = arith.constant dense<9> : tensor<si4>
  func.return %c : tensor<si4>
}
"""

MATMUL_MISMATCH = """\
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<1.0> : tensor<5x3xf32>
  %y = quant.matmul %x, %w : (tensor<1x4xf32>, tensor<5x3xf32>) -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}
"""


def int_quant_ir(properties: str) -> str:
    """A quant.int_quant with the given property dictionary."""
    return (
        "func.func @main(%x: tensor<1x4xf32>, %s: tensor<f32>) -> tensor<1x4xf32> {\n"
        f"  %q = quant.int_quant %x, %s, %s {{{properties}}} : "
        "(tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>\n"
        "  func.return %q : tensor<1x4xf32>\n"
        "}\n"
    )


SPLIT_INPUT = (
    "func.func @a(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {\n"
    "  func.return %x : tensor<1x4xf32>\n"
    "}\n"
    "// -----\n"
    + "// comment\n" * 5
    + MATMUL_MISMATCH
    + "// trailing comment\n" * 5
)
"""The second chunk's matmul is on line 12 of the file."""

VALID_IR = relu_ir()

WIDTH_SCALE_IR = """\
func.func @main(%x: tensor<1x1x2x3xf32>, %z: tensor<f32>) -> tensor<1x1x2x3xf32> {
  %s = arith.constant dense<[[[[0.5, 1.0, 2.0]]]]> : tensor<1x1x1x3xf32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %q = quant.int_quant %x, %s, %zero {bitwidth = 2 : i64, signed = false, narrow = false}
      : (tensor<1x1x2x3xf32>, tensor<1x1x1x3xf32>, tensor<f32>) -> tensor<1x1x2x3xf32>
  func.return %q : tensor<1x1x2x3xf32>
}
"""
"""An activation quantizer whose scale varies along the width (axis 3)."""
ZERO_SCALE_IR = WIDTH_SCALE_IR.replace("[[[[0.5, 1.0, 2.0]]]]", "[[[[0.5, 0.0, 2.0]]]]")
"""A quantizer whose constant per-channel scale has a 0."""
COMPUTED_ZERO_IR = WIDTH_SCALE_IR.replace("%s, %zero", "%s, %z").replace(
    "[[[[0.5, 1.0, 2.0]]]]", "[[[[0.5, 0.5, 0.5]]]]")
"""The same with a per-tensor scale but a zero point that is a function argument."""

# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One invalid input, the command that reads it, and what stderr must say."""

    id: str
    tool: str  # "qnn-translate" (always --import-onnx) or "qnn-opt"
    what: str  # the invalid input, in words, for tests/invalid_inputs.md
    filename: str
    write: Writer | None  # None: the input file does not exist
    expected: tuple[str, ...]  # substrings of stderr: where and what
    args: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    output: str = OUTPUT
    problem: str = ""  # a known tool defect; the test fails until it is fixed


def translate(id: str, what: str, filename: str, write: Writer | None, *expected: str,
              **options) -> Case:
    return Case(id, "qnn-translate", what, filename, write, expected, **options)


def opt(id: str, what: str, filename: str, write: Writer | None, *expected: str,
        **options) -> Case:
    return Case(id, "qnn-opt", what, filename, write, expected, **options)


TRANSLATE_CASES = [
    # -- the file --------------------------------------------------------------------------
    translate("missing-file", "input file does not exist", "missing.onnx", None,
              "missing.onnx: error: no such file"),
    translate("directory", "input path is a directory", "model_dir.onnx", directory(),
              "model_dir.onnx: error:", "directory"),
    translate("random-bytes", "256 random bytes", "random.onnx",
              bytes_file(random.Random(0).randbytes(256)),
              "random.onnx: error: not a readable ONNX model"),
    translate("empty-file", "empty (0-byte) file", "blank.onnx", bytes_file(b""),
              "blank.onnx: error:", "empty"),
    translate("text-file", "a plain text file", "notes.onnx",
              text_file("this is not an ONNX model\n"),
              "notes.onnx: error: not a readable ONNX model"),
    translate("mlir-as-onnx", "an .mlir text file given to --import-onnx", "model.mlir",
              text_file(VALID_IR), "model.mlir: error: not a readable ONNX model"),
    translate("truncated-onnx", "a valid model cut after 150 bytes", "truncated.onnx",
              truncated_onnx(), "truncated.onnx: error: not a readable ONNX model"),
    translate("missing-external-data", "weights in weights.onnx.data, which is missing",
              "weights.onnx", missing_external_data(),
              "weights.onnx: error: not a readable ONNX model", "weights.onnx.data"),
    # -- the graph -------------------------------------------------------------------------
    translate("no-nodes", "a graph with no nodes", "no_nodes.onnx",
              onnx_file(make_model([], output="x")),
              "no_nodes.onnx: error: the ONNX graph has no nodes"),
    translate("int8-input", "graph input of type INT8", "int8.onnx",
              onnx_file(single_node("Relu", input_type=TensorProto.INT8)),
              "int8.onnx: error: graph input 'x' has ONNX element type INT8",
              "only FLOAT is supported"),
    translate("symbolic-input-shape", "graph input of shape [N, 4] (symbolic batch)",
              "symbolic.onnx", onnx_file(single_node("Relu", input_shape=("N", 4))),
              "symbolic.onnx: error: graph input 'x' has shape ['N', 4]",
              "only static shapes are supported"),
    translate("no-input-shape", "graph input without any shape", "shapeless.onnx",
              onnx_file(single_node("Relu", input_shape=None)),
              "shapeless.onnx: error: graph input 'x' has shape unknown",
              "export with a fixed input shape"),
    translate("undefined-output", "graph output 'nowhere' that no node produces",
              "undefined_output.onnx",
              onnx_file(make_model([helper.make_node("Relu", ["x"], ["r"], name="relu")],
                                   output="nowhere")),
              "undefined_output.onnx: error: graph output:",
              "'nowhere' is not produced by any node"),
    translate("undefined-node-input", "a node reading tensor 'ghost' that nothing produces",
              "undefined_input.onnx", onnx_file(single_node("Relu", ["ghost"], name="relu")),
              "node 'relu' (op type 'Relu')", "'ghost' is not produced by any node"),
    translate("cyclic-graph", "a graph with a cycle (a = x + b, b = relu(a))", "cyclic.onnx",
              onnx_file(cyclic_model()), "cyclic.onnx: error: the graph has a cycle",
              "these nodes can never run: 'add'", forbidden=("op type and domain",)),
    # -- the ops ---------------------------------------------------------------------------
    translate("unknown-op-softmax", "standard ONNX Softmax (not supported)", "softmax.onnx",
              onnx_file(single_node("Softmax", name="softmax")),
              "softmax.onnx: node 'softmax' (op type 'Softmax'): error: unsupported op",
              "Supported op types: Add,"),
    translate("unknown-op-foo", "made-up op Foo in the default domain", "foo.onnx",
              onnx_file(single_node("Foo", name="foo")),
              "node 'foo' (op type 'Foo'): error: unsupported op (domain 'ai.onnx')"),
    translate("custom-domain-op", "Relu in custom domain com.example", "custom.onnx",
              onnx_file(single_node("Relu", name="relu", domain="com.example",
                                    opsets=(("", 13), ("com.example", 1)))),
              "node 'relu' (op type 'Relu'): error: unsupported op domain 'com.example'",
              "supported: standard ONNX and the QONNX domains"),
    translate("unknown-qonnx-op", "made-up op Foo in the QONNX domain", "qonnx_foo.onnx",
              onnx_file(single_node("Foo", name="foo", domain=QONNX_DOMAIN)),
              "qonnx_foo.onnx: node 'foo' (op type 'Foo'): error: unsupported QONNX op",
              "supported QONNX ops: Quant, BipolarQuant, Trunc, MultiThreshold"),
    # -- the attributes and constant inputs ------------------------------------------------
    translate("maxpool-ceil-mode", "MaxPool ceil_mode=1", "maxpool_ceil.onnx",
              onnx_file(single_node("MaxPool", name="pool", kernel_shape=[2, 2],
                                    strides=[2, 2], ceil_mode=1, input_shape=(1, 1, 5, 5))),
              "node 'pool' (op type 'MaxPool'): error: unsupported value 1 of attribute "
              "'ceil_mode'"),
    translate("maxpool-no-kernel-shape", "MaxPool without the required kernel_shape",
              "maxpool_kernel.onnx",
              onnx_file(single_node("MaxPool", name="pool", input_shape=(1, 1, 4, 4))),
              "node 'pool' (op type 'MaxPool')", "kernel_shape"),
    translate("conv-auto-pad-unknown", "Conv auto_pad=SAME_MIDDLE", "conv_same.onnx",
              onnx_file(single_node("Conv", ["x", "w"], name="conv", kernel_shape=[3, 3],
                                    auto_pad="SAME_MIDDLE", input_shape=(1, 1, 5, 5),
                                    initializers=[initializer("w", np.ones((2, 1, 3, 3)))])),
              "node 'conv' (op type 'Conv'): error: auto_pad 'SAME_MIDDLE' is not an ONNX "
              "value (NOTSET, VALID, SAME_UPPER, SAME_LOWER)"),
    translate("conv-1d", "1-D Conv (kernel_shape [3])", "conv1d.onnx",
              onnx_file(single_node("Conv", ["x", "w"], name="conv", kernel_shape=[3],
                                    input_shape=(1, 1, 5),
                                    initializers=[initializer("w", np.ones((2, 1, 3)))])),
              "node 'conv' (op type 'Conv'): error: only 2-D windows are supported"),
    translate("relu-unknown-attribute", "Relu with an attribute alpha=0.1", "relu_alpha.onnx",
              onnx_file(single_node("Relu", name="relu", alpha=0.1)),
              "node 'relu' (op type 'Relu'): error: unsupported attribute 'alpha'"),
    translate("quant-rounding-mode-banana", "Quant rounding_mode=\"BANANA\"", "banana.onnx",
              onnx_file(quant_model(quant_node(rounding_mode="BANANA"))),
              "node 'quant' (op type 'Quant'): error: rounding_mode 'BANANA' is not one of"),
    translate("quant-rounding-mode-int", "Quant rounding_mode=3 (an int, not a string)",
              "rounding_int.onnx", onnx_file(quant_model(quant_node(rounding_mode=3))),
              "node 'quant' (op type 'Quant')", "rounding_mode"),
    translate("quant-signed-string", "Quant signed=\"yes\" (a string, not 0/1)",
              "signed_string.onnx", onnx_file(quant_model(quant_node(signed="yes"))),
              "node 'quant' (op type 'Quant')", "signed"),
    translate("quant-computed-bitwidth", "Quant whose bitwidth input is computed (Relu(x))",
              "computed_bits.onnx",
              onnx_file(make_model([helper.make_node("Relu", ["x"], ["dyn_bits"], name="relu"),
                                    quant_node(bitwidth="dyn_bits")], QUANT_PARAMETERS)),
              "node 'quant' (op type 'Quant'): error: input 3 (bitwidth) must be a constant "
              "initializer, but 'dyn_bits' is computed at run time"),
    translate("quant-bitwidth-40", "Quant bitwidth 40", "bits40.onnx",
              onnx_file(quant_model(quant_node(), bits=40.0)),
              "node 'quant' (op type 'Quant'): error: bitwidth 40 is outside the supported "
              "range [1, 32]"),
    translate("quant-bitwidth-fraction", "Quant bitwidth 4.5", "bits_fraction.onnx",
              onnx_file(quant_model(quant_node(), bits=4.5)),
              "node 'quant' (op type 'Quant'): error: bitwidth must be a single integer, "
              "got 4.5"),
    translate("quant-missing-bitwidth", "Quant with 3 inputs (no bitwidth)", "quant3.onnx",
              onnx_file(quant_model(helper.make_node(
                  "Quant", ["x", "scale", "zeropt"], ["y"], name="quant", domain=QONNX_DOMAIN,
                  signed=1, narrow=0, rounding_mode="ROUND"))),
              "node 'quant' (op type 'Quant'): error: missing input 3 (bitwidth)"),
    translate("quant-bitwidth-nan", "Quant bitwidth NaN", "bits_nan.onnx",
              onnx_file(quant_model(quant_node(), bits=np.nan)),
              "node 'quant' (op type 'Quant'): error: bitwidth must be a single integer, "
              "got nan"),
    translate("quant-scale-nan", "Quant scale NaN", "scale_nan.onnx",
              onnx_file(quant_with(scale=np.nan)),
              "node 'quant' (op type 'Quant'): error: 'quant.int_quant' scale must be finite "
              "and > 0, got nan"),
    translate("quant-scale-overflow", "8-bit Quant with scale 3e38 (level -128 times it "
              "overflows float32)", "scale_3e38.onnx",
              onnx_file(quant_with(scale=3e38, bits=8.0)),
              "node 'quant' (op type 'Quant'): error: 'quant.int_quant' scale 3e+38 times the "
              "largest level magnitude 128 is 3.84e+40, which overflows float32"),
    translate("quant-zero-point-range", "4-bit signed Quant with zero point 100",
              "zero_100.onnx", onnx_file(quant_with(zeropt=100.0)),
              "node 'quant' (op type 'Quant'): error: 'quant.int_quant' zero point 100 is "
              "outside [-8, 7], the levels of a 4-bit signed quantizer"),
    translate("trunc-three-inputs", "Trunc with 3 inputs", "trunc3.onnx",
              onnx_file(quant_model(helper.make_node("Trunc", ["x", "scale", "zeropt"], ["y"],
                                                     name="trunc", domain=QONNX_DOMAIN))),
              "node 'trunc' (op type 'Trunc'): error: Trunc takes 5 (v1) or 6 (v2) inputs, "
              "got 3"),
    translate("trunc-rounding-mode-banana", "Trunc rounding_mode=\"BANANA\"",
              "trunc_banana.onnx",
              onnx_file(quant_model(helper.make_node(
                  "Trunc", ["x", "scale", "zeropt", "bits", "bits"], ["y"], name="trunc",
                  domain=QONNX_DOMAIN, rounding_mode="BANANA"))),
              "node 'trunc' (op type 'Trunc')", "rounding_mode 'BANANA' is not one of"),
    translate("multithreshold-layout", "MultiThreshold data_layout=\"NWHC\"", "mt_layout.onnx",
              onnx_file(single_node("MultiThreshold", ["x", "t"], name="mt",
                                    domain=QONNX_DOMAIN, data_layout="NWHC",
                                    initializers=[initializer("t", np.zeros((4, 3)))])),
              "node 'mt' (op type 'MultiThreshold'): error: data_layout 'NWHC' is not one of"),
    translate("topk-unsorted", "TopK sorted=0", "topk.onnx",
              onnx_file(make_model([helper.make_node("TopK", ["x", "k"], ["y", "indices"],
                                                     name="topk", sorted=0)],
                                   [initializer("k", np.array([2], dtype=np.int64))])),
              "node 'topk' (op type 'TopK'): error: unsupported value 0 of attribute 'sorted'"),
    translate("batchnorm-training-mode", "BatchNormalization training_mode=1", "bn_train.onnx",
              onnx_file(single_node(
                  "BatchNormalization", ["x", "g", "b", "m", "v"], name="bn", training_mode=1,
                  opsets=(("", 15),),
                  initializers=[initializer(n, np.ones(4)) for n in "gbmv"])),
              "node 'bn' (op type 'BatchNormalization'): error: unsupported value 1 of "
              "attribute 'training_mode'"),
    translate("matmul-3d-weight", "MatMul with a 2x4x3 weight", "matmul3d.onnx",
              onnx_file(single_node("MatMul", ["x", "w"], name="mm",
                                    initializers=[initializer("w", np.ones((2, 4, 3)))])),
              "node 'mm' (op type 'MatMul'): error: only a 2-D right-hand side"),
    translate("matmul-inner-dims", "MatMul [1,4] x [5,3]", "matmul_dims.onnx",
              onnx_file(single_node("MatMul", ["x", "w"], name="mm",
                                    initializers=[initializer("w", np.ones((5, 3)))])),
              "node 'mm'", "inner dimensions differ: [1, 4] x [5, 3]"),
    # -- QCDQ quantizers (QuantizeLinear -> [Clip] -> DequantizeLinear) ---------------------
    translate("qcdq-scales-differ", "DequantizeLinear with another scale than its "
              "QuantizeLinear", "qcdq.onnx", onnx_file(qcdq_model(dequantize_scale=0.25)),
              "node 'dequantize' (op type 'DequantizeLinear'): error: its scale, zero point "
              "or axis differ from those of QuantizeLinear 'quantize'"),
    translate("qcdq-clip-range", "Clip [0, 100] between QuantizeLinear and DequantizeLinear",
              "qcdq.onnx", onnx_file(qcdq_model(clip=(0, 100))),
              "node 'clip' (op type 'Clip'): error: the integer range [0, 100] is not the "
              "range of a signed or unsigned (narrow) integer"),
    translate("qcdq-not-dequantized", "QuantizeLinear whose integers a Cast reads",
              "qcdq.onnx", onnx_file(qcdq_model(use="cast")),
              "node 'quantize' (op type 'QuantizeLinear'): error: its output is not "
              "dequantized by a DequantizeLinear"),
    translate("qcdq-dequantize-computed", "DequantizeLinear of a Cast of the input",
              "qcdq.onnx", onnx_file(qcdq_model(use="computed")),
              "node 'dequantize' (op type 'DequantizeLinear'): error: its input comes from "
              "Cast, not from a QuantizeLinear or an integer constant"),
    translate("qcdq-blocked", "QuantizeLinear with block_size (blocked quantization)",
              "qcdq.onnx", onnx_file(qcdq_model(block_size=2)),
              "node 'quantize' (op type 'QuantizeLinear'): error: attribute 'block_size' is "
              "not supported"),
    translate("qcdq-scale-zero", "DequantizeLinear with scale 0", "qcdq.onnx",
              onnx_file(qcdq_model(dequantize_scale=0.0)),
              "node 'dequantize' (op type 'DequantizeLinear'): error: scale must be finite and "
              "> 0, got 0"),
    # -- the graph structure that qonnx's clean-up asserts on --------------------------------
    translate("output-listed-twice", "graph output 'y' listed twice", "output_twice.onnx",
              onnx_file(with_output_twice(single_node("Relu", name="relu"))),
              "output_twice.onnx: error: tensor 'y' is declared as a graph output 2 times"),
    translate("initializer-input-shape", "initializer 'weight' (4x3) also a graph input of "
              "shape 3x4", "init_input.onnx",
              onnx_file(with_graph_input(valid_model(), "weight", [3, 4])),
              "init_input.onnx: error: graph input 'weight' is also an initializer, but "
              "declares FLOAT of shape [3, 4] where the initializer holds FLOAT of shape [4, 3]"),
    translate("two-producers", "two nodes producing tensor 'y'", "two_producers.onnx",
              onnx_file(make_model([helper.make_node("Relu", ["x"], ["y"], name="relu1"),
                                    helper.make_node("Relu", ["x"], ["y"], name="relu2")])),
              "node 'relu2' (op type 'Relu'): error: output tensor 'y' is also produced by "
              "node 'relu1'"),
    # -- the options -----------------------------------------------------------------------
    translate("unknown-board", "valid model, --board naming no known board", "valid.onnx",
              onnx_file(valid_model()), "error: unknown board 'zedboard': the known boards "
              "are pynq-z1, pynq-z2, ultra96-v2, zcu104, kv260", args=("--board", "zedboard")),
    # -- the output ------------------------------------------------------------------------
    translate("output-directory-missing", "valid model, -o into a directory that does not "
              "exist", "valid.onnx", onnx_file(valid_model()),
              "nodir/out.mlir: error: cannot write output: No such file or directory",
              output="nodir/out.mlir"),
]

OPT_CASES = [
    # -- the file --------------------------------------------------------------------------
    opt("missing-file", "input file does not exist", "nosuch.mlir", None,
        "nosuch.mlir: error: cannot read file: No such file or directory"),
    opt("directory", "input path is a directory", "ir_dir.mlir", directory(),
        "ir_dir.mlir: error: cannot read file: Is a directory"),
    opt("binary-input", "an ONNX (binary, not UTF-8) file given to qnn-opt", "model.onnx",
        onnx_file(valid_model()), "model.onnx: error:"),
    # -- syntax ----------------------------------------------------------------------------
    opt("syntax-error", "`func.return %r tensor<...>` (missing ':')", "syntax.mlir",
        text_file(relu_ir().replace("%r : tensor", "%r tensor")),
        "syntax.mlir:3:18: error: Expected ':'", "func.return %r tensor<1x4xf32>"),
    opt("undefined-value", "use of undefined SSA value %y", "undefined.mlir",
        text_file(relu_ir(op="quant.relu %y")), "undefined.mlir:2:", "%y"),
    opt("use-before-definition", "two lines swapped: %a used on the line before it is defined",
        "swapped.mlir", text_file(USE_BEFORE_DEFINITION),
        "swapped.mlir:2:3: error: operand 0 (%a) is used before its definition",
        "%b = quant.relu %a"),
    opt("dense-out-of-range", "dense<9> : tensor<si4> (9 is not a 4-bit signed value)",
        "dense_range.mlir", text_file(DENSE_OUT_OF_RANGE),
        "dense_range.mlir:2:3: error: Integer value 9 is out of range for type si4"),
    opt("unknown-op", "unknown op quant.bogus", "bogus.mlir",
        text_file(relu_ir(op="quant.bogus %x")),
        "bogus.mlir:2:", "error: Operation quant.bogus is not registered"),
    opt("unknown-type", "unknown type !quant.nope", "unknown_type.mlir",
        text_file(relu_ir(arg="tensor<1x4x!quant.nope>")),
        "unknown_type.mlir:1:", "error: 'quant.nope' is not registered"),
    # -- types and verifiers ---------------------------------------------------------------
    opt("operand-type-mismatch", "operand %x (f32) used as f16", "type_mismatch.mlir",
        text_file(relu_ir(operand="tensor<1x4xf16>")),
        "type_mismatch.mlir:2:19: error: operand is used with type tensor<1x4xf16>"),
    opt("non-tensor-operand", "quant.relu on an i32 scalar", "non_tensor.mlir",
        text_file(relu_ir(arg="i32", result="tensor<1x4xf32>")),
        "non_tensor.mlir:2:", "i32"),
    opt("bad-element-type", "quant.relu on tensor<1x4xindex>", "index.mlir",
        text_file(relu_ir(arg="tensor<1x4xindex>")),
        "index.mlir:2:3: error: 'quant.relu' does not support element type index"),
    opt("result-shape", "quant.relu 1x4 -> 1x5", "relu_shape.mlir",
        text_file(relu_ir(result="tensor<1x5xf32>")),
        "relu_shape.mlir:2:3: error: 'quant.relu' result shape [1, 5] does not match the "
        "expected shape [1, 4]"),
    opt("matmul-inner-dims", "quant.matmul [1,4] x [5,3]", "matmul.mlir",
        text_file(MATMUL_MISMATCH),
        "matmul.mlir:3:3: error: 'quant.matmul' inner dimensions differ: [1, 4] x [5, 3]"),
    opt("return-type", "func.return of 1x4 from a function returning 1x3", "return.mlir",
        text_file("func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {\n"
                  "  func.return %x : tensor<1x4xf32>\n}\n"),
        "return.mlir:2:3: error: Expected arguments to have the same types as the function "
        "output types"),
    opt("bitwidth-40", "quant.int_quant bitwidth = 40", "bits40.mlir",
        text_file(int_quant_ir("bitwidth = 40 : i64, signed = true, narrow = false")),
        "bits40.mlir:2:3: error: 'quant.int_quant' bitwidth must be in [1, 32], got 40"),
    opt("int-quant-scale-zero", "quant.int_quant whose constant per-channel scale has a 0",
        "zero_scale.mlir", text_file(ZERO_SCALE_IR),
        "zero_scale.mlir:4:3: error: 'quant.int_quant' scale must be finite and > 0, got 0 at "
        "index [0, 0, 0, 1]"),
    opt("missing-property", "quant.int_quant without bitwidth", "no_bits.mlir",
        text_file(int_quant_ir("signed = true, narrow = false")),
        "no_bits.mlir:2:3: error: property 'bitwidth' expected in operation 'quant.int_quant'"),
    opt("property-wrong-type", "quant.int_quant bitwidth = \"four\"", "bits_string.mlir",
        text_file(int_quant_ir('bitwidth = "four", signed = true, narrow = false')),
        "bits_string.mlir:2:", "bitwidth"),
    opt("split-input-file", "--split-input-file, matmul error in the second chunk (line 12)",
        "split.mlir", text_file(SPLIT_INPUT),
        "split.mlir:12:3: error: 'quant.matmul' inner dimensions differ",
        "%y = quant.matmul %x, %w", args=("--split-input-file",)),
    # -- the pipeline ----------------------------------------------------------------------
    opt("scale-along-width", "quant-to-integer on an activation scale that varies along the "
        "width", "width_scale.mlir", text_file(WIDTH_SCALE_IR),
        "width_scale.mlir:4:3: 'quant.int_quant' %q: scale of shape [1, 1, 1, 3] varies along "
        "axis [3]; only per-tensor or per-channel (axis 1) activation scales have an integer "
        "form", args=("-p", "quant-to-integer")),
    opt("computed-zero-point", "quant-to-integer on a quantizer whose zero point is a function "
        "argument", "computed_zero.mlir", text_file(COMPUTED_ZERO_IR),
        "computed_zero.mlir:4:3: 'quant.int_quant' %q: the zero point is computed at run time",
        args=("-p", "quant-to-integer")),
    opt("unknown-pass", "-p nope", "valid.mlir", text_file(VALID_IR),
        "qnn-opt: error: invalid pass pipeline: Unrecognized passes: ['nope']",
        args=("-p", "nope")),
    opt("unknown-pass-option", "-p 'quant-canonicalize{foo=1}'", "valid.mlir",
        text_file(VALID_IR), "qnn-opt: error: invalid pass pipeline:", '["foo"] not found',
        args=("-p", "quant-canonicalize{foo=1}")),
    opt("pipeline-syntax", "-p 'quant-canonicalize{' (unterminated)", "valid.mlir",
        text_file(VALID_IR),
        "qnn-opt: error: invalid pass pipeline: Error parsing pass pipeline specification",
        args=("-p", "quant-canonicalize{")),
    # -- the output ------------------------------------------------------------------------
    opt("output-directory-missing", "valid IR, -o into a directory that does not exist",
        "valid.mlir", text_file(VALID_IR), "nodir/out.mlir: error:",
        output="nodir/out.mlir"),
]

CASES = TRANSLATE_CASES + OPT_CASES

# ---------------------------------------------------------------------------
# Running and checking
# ---------------------------------------------------------------------------


def run(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a console tool of this venv; QNN_DEBUG is unset so internal errors stay short."""
    env = {k: v for k, v in os.environ.items() if k != "QNN_DEBUG"}
    return subprocess.run([os.path.join(BIN_DIR, tool), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def run_case(case: Case, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Write the case's input into `workdir` and run its tool there."""
    if case.write is not None:
        case.write(workdir / case.filename)
    mode = ("--import-onnx",) if case.tool == "qnn-translate" else ()
    return run(case.tool, *mode, case.filename, *case.args, "-o", case.output, cwd=workdir)


def assert_diagnostic(case: Case, result: subprocess.CompletedProcess[str], workdir: Path):
    """Exit 1, the expected text on stderr, no traceback, no output file."""
    stderr, stdout = result.stderr, result.stdout
    known = f" (known problem: {case.problem})" if case.problem else ""
    context = f"{case.tool} on {case.what}{known}\nstderr:\n{stderr}"
    assert "Traceback" not in stderr + stdout, f"Python traceback from {context}"
    assert "internal error" not in stderr, f"internal error from {context}"
    assert result.returncode == 1, f"exit code {result.returncode} from {context}"
    for text in case.expected:
        assert text in stderr, f"expected {text!r} in the diagnostic from {context}"
    for text in case.forbidden:
        assert text not in stderr, f"unexpected {text!r} in the diagnostic from {context}"
    assert stdout == "", f"output on stdout from {context}"
    output = workdir / case.output
    leftovers = sorted(p.name for p in output.parent.glob(f"{output.name}*")) \
        if output.parent.is_dir() else []
    assert leftovers == [], f"output file(s) {leftovers} left behind by {context}"


@pytest.mark.parametrize("case", TRANSLATE_CASES, ids=lambda case: case.id)
def test_qnn_translate_rejects(case: Case, tmp_path: Path):
    assert_diagnostic(case, run_case(case, tmp_path), tmp_path)


@pytest.mark.parametrize("case", OPT_CASES, ids=lambda case: case.id)
def test_qnn_opt_rejects(case: Case, tmp_path: Path):
    assert_diagnostic(case, run_case(case, tmp_path), tmp_path)


def test_case_ids_are_unique():
    for cases in (TRANSLATE_CASES, OPT_CASES):
        ids = [case.id for case in cases]
        assert len(ids) == len(set(ids))


# -- positive controls: the same checks pass on valid input ------------------------------


def test_valid_qonnx_graph_imports(tmp_path: Path):
    onnx.save(valid_model(), tmp_path / "valid.onnx")
    result = run("qnn-translate", "--import-onnx", "valid.onnx", "-o", OUTPUT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text = (tmp_path / OUTPUT).read_text()
    for op in ("quant.int_quant", "quant.matmul", "quant.bipolar_quant", "func.return"):
        assert op in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [OUTPUT, "valid.onnx"]


def test_imported_ir_passes_qnn_opt(tmp_path: Path):
    onnx.save(valid_model(), tmp_path / "valid.onnx")
    imported = run("qnn-translate", "--import-onnx", "valid.onnx", "-o", "in.mlir", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    result = run("qnn-opt", "in.mlir", "-p", "quant-canonicalize", "-o", OUTPUT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "quant.matmul" in (tmp_path / OUTPUT).read_text()


def test_valid_ir_round_trips(tmp_path: Path):
    (tmp_path / "valid.mlir").write_text(VALID_IR)
    result = run("qnn-opt", "valid.mlir", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "quant.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>" in result.stdout


def test_failed_import_keeps_existing_output(tmp_path: Path):
    """An error must not truncate or replace an output file from an earlier run."""
    (tmp_path / OUTPUT).write_text("previous\n")
    onnx.save(single_node("Softmax", name="softmax"), tmp_path / "softmax.onnx")
    result = run("qnn-translate", "--import-onnx", "softmax.onnx", "-o", OUTPUT, cwd=tmp_path)
    assert result.returncode == 1
    assert (tmp_path / OUTPUT).read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [OUTPUT, "softmax.onnx"]


# -- `python tests/test_diagnostics.py`: the table of tests/invalid_inputs.md ------------


def _markdown_rows() -> list[str]:
    rows = ["| tool | case | invalid input | exit | diagnostic (first lines of stderr) |",
            "|---|---|---|---|---|"]
    for case in CASES:
        with tempfile.TemporaryDirectory() as workdir:
            result = run_case(case, Path(workdir))
        lines = [line for line in result.stderr.replace(workdir, "<tmp>").splitlines()
                 if line.strip()][:2]
        diagnostic = "<br>".join(f"`{line.replace('|', '&#124;')}`" for line in lines)
        diagnostic = diagnostic or "_(nothing on stderr)_"
        if case.problem:
            diagnostic += f"<br>**PROBLEM:** {case.problem}"
        what = case.what.replace("|", "&#124;")
        output = f" `-o {case.output}`" if case.output != OUTPUT else ""
        rows.append(f"| {case.tool} | `{case.id}` | {what}{output} | {result.returncode} "
                    f"| {diagnostic} |")
    return rows


if __name__ == "__main__":
    print("\n".join(_markdown_rows()))
