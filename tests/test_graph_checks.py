"""Malformed ONNX graph structure is a located diagnostic, never an assertion from qonnx.

One case per rule of `qnn_mlir/frontend/graph_checks.py`: each builds a small model with
one defect, imports it in process and checks the message (tests/test_diagnostics.py runs
a few of them through the command line). The positive controls at the end are the
legitimate neighbours of the defects: they must import.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx_builders import QONNX_DOMAIN, initializer, make_model, valid_model

from qnn_mlir.diagnostics import QnnError
from qnn_mlir.frontend.onnx_importer import import_onnx


def relu_model() -> onnx.ModelProto:
    return make_model([helper.make_node("Relu", ["x"], ["y"], name="relu")])


def matmul_with(weight: onnx.TensorProto) -> onnx.ModelProto:
    return make_model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [weight])


def edited(model: onnx.ModelProto, edit: Callable[[onnx.GraphProto], object]) -> onnx.ModelProto:
    """`model` after `edit` changed its graph."""
    edit(model.graph)
    return model


def value_info(name: str, shape=(1, 4), elem_type: int = TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem_type, list(shape))


def truncated_weight(graph: onnx.GraphProto) -> None:
    weight = next(t for t in graph.initializer if t.name == "weight")
    weight.raw_data = weight.raw_data[:-4]


def with_ir_version(model: onnx.ModelProto, version: int) -> onnx.ModelProto:
    model.ir_version = version
    return model


def without_qonnx_opset(model: onnx.ModelProto) -> onnx.ModelProto:
    del model.opset_import[1]
    return model


def nan_weight() -> onnx.ModelProto:
    weight = np.arange(12, dtype=np.float32).reshape(4, 3)
    weight[1, 2] = np.nan
    return matmul_with(initializer("w", weight))


def nan_constant_node() -> onnx.ModelProto:
    value = numpy_helper.from_array(np.array([1, np.inf, 2, 3], np.float32))
    return make_model([helper.make_node("Constant", [], ["c"], name="const", value=value),
                       helper.make_node("Mul", ["x", "c"], ["y"], name="mul")])


CASES: dict[str, tuple[Callable[[], onnx.ModelProto], str]] = {
    # -- declarations that qonnx's clean-up asserts on ------------------------------------
    "output-twice": (lambda: edited(relu_model(), lambda g: g.output.append(g.output[0])),
                     "error: tensor 'y' is declared as a graph output 2 times; declare it once"),
    "input-twice": (lambda: edited(relu_model(), lambda g: g.input.append(value_info("x"))),
                    "error: tensor 'x' is declared as a graph input 2 times"),
    "value-info-twice": (
        lambda: edited(valid_model(), lambda g: g.value_info.extend(
            [value_info("xq"), value_info("xq", (1, 5))])),
        "error: tensor 'xq' is declared as a value_info entry 2 times"),
    "value-info-of-input": (
        lambda: edited(valid_model(), lambda g: g.value_info.append(value_info("x"))),
        "error: tensor 'x' is a graph input and also has a value_info entry; value_info "
        "describes intermediate tensors only: remove the entry"),
    "output-is-input": (lambda: edited(relu_model(), lambda g: g.output.append(value_info("x"))),
                        "error: tensor 'x' is both a graph input and a graph output"),
    "initializer-twice": (
        lambda: edited(valid_model(), lambda g: g.initializer.append(initializer("scale", 1.0))),
        "error: initializer 'scale' is defined more than once"),
    "initializer-input-shape": (
        lambda: edited(valid_model(), lambda g: g.input.append(value_info("weight", (3, 4)))),
        "error: graph input 'weight' is also an initializer, but declares FLOAT of shape "
        "[3, 4] where the initializer holds FLOAT of shape [4, 3]"),
    "initializer-input-type": (
        lambda: edited(valid_model(), lambda g: g.input.append(
            value_info("weight", (4, 3), TensorProto.INT64))),
        "declares INT64 of shape [4, 3] where the initializer holds FLOAT of shape [4, 3]"),
    "initializer-data-short": (
        lambda: edited(valid_model(), truncated_weight),
        "error: initializer 'weight' declares FLOAT of shape [4, 3] (12 elements), but its "
        "data does not match"),
    "unnamed-output": (lambda: edited(relu_model(), lambda g: g.output.append(value_info(""))),
                       "error: graph output 1 has no name"),
    "unnamed-input": (lambda: edited(relu_model(), lambda g: g.input.append(value_info(""))),
                      "error: graph input 1 has no name"),
    "unnamed-initializer": (
        lambda: edited(valid_model(), lambda g: g.initializer.append(initializer("", 1.0))),
        "error: initializer 4 has no name"),
    # -- nodes -----------------------------------------------------------------------------
    "two-producers": (
        lambda: make_model([helper.make_node("Relu", ["x"], ["y"], name="relu1"),
                            helper.make_node("Relu", ["x"], ["y"], name="relu2")]),
        "node 'relu2' (op type 'Relu'): error: output tensor 'y' is also produced by node "
        "'relu1'"),
    "output-twice-in-node": (
        lambda: make_model([helper.make_node("TopK", ["x", "k"], ["y", "y"], name="topk")],
                           [initializer("k", np.array([2], np.int64))]),
        "node 'topk' (op type 'TopK'): error: output tensor 'y' is also produced by this node"),
    "shadows-input": (
        lambda: make_model([helper.make_node("Relu", ["x"], ["x"], name="relu1"),
                            helper.make_node("Relu", ["x"], ["y"], name="relu2")]),
        "node 'relu1' (op type 'Relu'): error: output tensor 'x' has the name of a graph "
        "input"),
    "shadows-initializer": (
        lambda: edited(valid_model(), lambda g: g.node.insert(
            0, helper.make_node("Relu", ["x"], ["weight"], name="shadow"))),
        "node 'shadow' (op type 'Relu'): error: output tensor 'weight' has the name of an "
        "initializer"),
    "empty-required-input": (
        lambda: make_model([helper.make_node("Add", ["x", ""], ["y"], name="add")]),
        "node 'add' (op type 'Add'): error: input 1 ('B') is required, but its tensor name "
        "is empty"),
    "empty-required-output": (
        lambda: make_model([helper.make_node("Relu", ["x"], [""], name="relu"),
                            helper.make_node("Relu", ["x"], ["y"], name="relu2")]),
        "node 'relu' (op type 'Relu'): error: output 0 ('Y') is required"),
    "empty-qonnx-input": (
        lambda: make_model([helper.make_node("BipolarQuant", ["x", ""], ["y"], name="bq",
                                             domain=QONNX_DOMAIN)]),
        "node 'bq' (op type 'BipolarQuant'): error: input 1 is required"),
    "missing-opset-import": (lambda: without_qonnx_opset(valid_model()),
                             "node 'quant' (op type 'Quant'): error: the model imports no op "
                             "set for the domain 'qonnx.custom_op.general'"),
    # -- constants --------------------------------------------------------------------------
    "string-weight": (lambda: matmul_with(numpy_helper.from_array(
        np.array([["a"] * 3] * 4, dtype=object), "w")),
        "node 'mm' (op type 'MatMul'): error: input 'w' is a constant of ONNX type STRING"),
    "complex-weight": (lambda: matmul_with(numpy_helper.from_array(
        np.ones((4, 3), np.complex64), "w")), "of ONNX type COMPLEX64"),
    "bfloat16-weight": (lambda: matmul_with(helper.make_tensor(
        "w", TensorProto.BFLOAT16, [4, 3], [1.0] * 12)), "of ONNX type BFLOAT16"),
    "bool-weight": (lambda: matmul_with(numpy_helper.from_array(np.ones((4, 3), bool), "w")),
                    "of ONNX type BOOL"),
    "nan-weight": (nan_weight, "node 'mm' (op type 'MatMul'): error: input 'w' holds nan at "
                   "index [1, 2]; weights and other constants must be finite numbers"),
    "inf-constant-node": (nan_constant_node, "node 'mul' (op type 'Mul'): error: input 'c' "
                          "holds inf at index [1]"),
    # -- the model --------------------------------------------------------------------------
    "ir-version-1": (lambda: with_ir_version(valid_model(), 1),
                     "error: ONNX IR version 1 predates op set imports"),
    "ir-version-3": (lambda: with_ir_version(valid_model(), 3),
                     "error: initializer 'scale' is not a graph input, which ONNX IR version 3 "
                     "requires"),
    "ir-version-100": (lambda: with_ir_version(valid_model(), 100),
                       "error: ONNX IR version 100 is newer than this onnx reads"),
    "string-graph-input": (
        lambda: edited(relu_model(), lambda g: setattr(
            g.input[0].type.tensor_type, "elem_type", TensorProto.STRING)),
        "error: graph input 'x' has ONNX element type STRING; only FLOAT is supported"),
    "no-run-time-input": (
        lambda: make_model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                           [initializer("x", np.ones((1, 4)))]),
        "error: the graph has no run-time input"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_graph_is_a_diagnostic(case, tmp_path):
    build, expected = CASES[case]
    path = tmp_path / f"{case}.onnx"
    onnx.save(build(), path)
    with pytest.raises(QnnError) as error:
        import_onnx(str(path))
    message = str(error.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message


# -- the legitimate neighbours ------------------------------------------------------------

def _finn_spelling() -> onnx.ModelProto:
    """The valid model with its QONNX ops (and their op set) in the FINN domain."""
    model = valid_model()
    for node in model.graph.node:
        if node.domain:
            node.domain = "finn.custom_op.general"
    model.opset_import[1].domain = "finn.custom_op.general"
    return model


VALID = {
    "initializer-also-input-same-shape": lambda: edited(
        valid_model(), lambda g: g.input.append(value_info("weight", (4, 3)))),
    "optional-output-omitted": lambda: make_model(
        [helper.make_node("MaxPool", ["x"], ["y", ""], name="pool", kernel_shape=[2, 2])],
        input_shape=(1, 1, 4, 4)),
    "finn-domain-spelling": _finn_spelling,
    "float16-and-int8-constants": lambda: make_model(
        [helper.make_node("Quant", ["x", "s", "z", "b"], ["y"], name="quant",
                          domain=QONNX_DOMAIN, signed=1, narrow=0)],
        [numpy_helper.from_array(np.float16(0.5).reshape(()), "s"),
         numpy_helper.from_array(np.int8(0).reshape(()), "z"),
         numpy_helper.from_array(np.int8(4).reshape(()), "b")]),
    "graph-output-is-initializer": lambda: edited(
        valid_model(), lambda g: g.output.append(value_info("weight", (4, 3)))),
}


@pytest.mark.parametrize("case", sorted(VALID))
def test_legitimate_neighbours_import(case, tmp_path):
    path = tmp_path / f"{case}.onnx"
    onnx.save(VALID[case](), path)
    import_onnx(str(path))
