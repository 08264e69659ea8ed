"""Tiny single-node ONNX/QONNX graphs for op-level tests, built with onnx.helper."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QONNX_DOMAIN = "qonnx.custom_op.general"


def single_node_model(
    op_type: str,
    input_shape: Sequence[int],
    initializers: dict[str, np.ndarray],
    output_shapes: Sequence[Sequence[int] | None],
    attributes: dict | None = None,
    domain: str = "",
    inputs: Sequence[str] | None = None,
    datatypes: dict[str, str] | None = None,
) -> onnx.ModelProto:
    """A graph `x -> op_type(x, *initializers) -> y0, y1, ...` (output shapes may be None
    to let shape inference find them)."""
    input_names = list(inputs) if inputs is not None else ["x", *initializers]
    output_names = [f"y{i}" for i in range(len(output_shapes))]
    node = helper.make_node(op_type, input_names, output_names, name=f"{op_type}_0",
                            domain=domain, **(attributes or {}))
    outputs = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT if i == 0 or op_type != "TopK"
                                      else TensorProto.INT64, shape)
        for i, (name, shape) in enumerate(zip(output_names, output_shapes, strict=True))
    ]
    graph = helper.make_graph(
        [node], "test",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))],
        outputs,
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in initializers.items()],
    )
    for tensor, datatype in (datatypes or {}).items():
        annotation = onnx.TensorAnnotation(tensor_name=tensor)
        annotation.quant_parameter_tensor_names.append(
            onnx.StringStringEntryProto(key="finn_datatype", value=datatype))
        graph.quantization_annotation.append(annotation)
    opsets = [helper.make_opsetid("", 13)]
    if domain:
        opsets.append(helper.make_opsetid(domain, 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model


def with_domain(model: onnx.ModelProto, domain: str) -> onnx.ModelProto:
    """A copy of `model` whose QONNX nodes use another spelling of the domain."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for node in copy.graph.node:
        if node.domain == QONNX_DOMAIN:
            node.domain = domain
    for opset in copy.opset_import:
        if opset.domain == QONNX_DOMAIN:
            opset.domain = domain
    return copy


# ---------------------------------------------------------------------------
# Whole (small) models for the diagnostics catalogue
# ---------------------------------------------------------------------------


def initializer(name: str, value) -> onnx.TensorProto:
    """An initializer from a numpy value (float scalars stay float32)."""
    array = np.asarray(value)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return numpy_helper.from_array(array, name)


QUANT_PARAMETERS = [initializer("scale", 0.5), initializer("zeropt", 0.0),
                    initializer("bits", 4.0)]
"""scale, zero point and bit width of a 4-bit Quant node."""


def quant_node(source: str = "x", result: str = "y", bitwidth: str = "bits",
               name: str = "quant", **attributes) -> onnx.NodeProto:
    """A QONNX Quant node with the usual attributes; keyword arguments override them."""
    values = {"signed": 1, "narrow": 0, "rounding_mode": "ROUND", **attributes}
    return helper.make_node("Quant", [source, "scale", "zeropt", bitwidth], [result],
                            name=name, domain=QONNX_DOMAIN, **values)


def make_model(nodes: Sequence[onnx.NodeProto], initializers: Sequence[onnx.TensorProto] = (),
               input_shape: Sequence[int | str | None] | None = (1, 4),
               input_type: int = TensorProto.FLOAT, output: str = "y",
               output_shape: Sequence[int] | None = None,
               opsets: Sequence[tuple[str, int]] = (("", 13), (QONNX_DOMAIN, 1)),
               ) -> onnx.ModelProto:
    """A one-input, one-output model; the output shape is left to shape inference."""
    graph = helper.make_graph(
        list(nodes), "graph",
        [helper.make_tensor_value_info("x", input_type, input_shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)],
        list(initializers),
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid(domain, version) for domain, version in opsets]
    )


def valid_model() -> onnx.ModelProto:
    """x -> Quant(4 bit) -> MatMul(4x3) -> BipolarQuant: the positive control."""
    nodes = [
        quant_node(result="xq"),
        helper.make_node("MatMul", ["xq", "weight"], ["z"], name="matmul"),
        helper.make_node("BipolarQuant", ["z", "scale"], ["y"], name="sign",
                         domain=QONNX_DOMAIN),
    ]
    weight = initializer("weight", np.arange(12, dtype=np.float32).reshape(4, 3) - 6)
    return make_model(nodes, [*QUANT_PARAMETERS, weight], output_shape=(1, 3))


def single_node(op_type: str, inputs: Sequence[str] = ("x",), outputs: Sequence[str] = ("y",),
                name: str = "node", domain: str = "", initializers=(), **kwargs) -> onnx.ModelProto:
    """A model of one node; `kwargs` are split into model options and node attributes."""
    model_options = {k: kwargs.pop(k) for k in ("input_shape", "input_type", "opsets")
                     if k in kwargs}
    node = helper.make_node(op_type, list(inputs), list(outputs), name=name, domain=domain,
                            **kwargs)
    return make_model([node], initializers, **model_options)


def quant_model(*nodes: onnx.NodeProto, bits: float = 4.0) -> onnx.ModelProto:
    """A model of Quant-family nodes with the 4-bit parameters (bit width `bits`)."""
    parameters = [*QUANT_PARAMETERS[:2], initializer("bits", bits)]
    return make_model(nodes, parameters)


def cyclic_model() -> onnx.ModelProto:
    """a = x + b; b = relu(a): a cycle, which ONNX forbids."""
    return make_model([
        helper.make_node("Add", ["x", "b"], ["a"], name="add"),
        helper.make_node("Relu", ["a"], ["b"], name="relu_loop"),
        helper.make_node("Relu", ["a"], ["y"], name="relu_out"),
    ])


def qcdq_model(*, dequantize_scale: float = 0.5, clip: tuple[int, int] | None = None,
               use: str = "dequantize", **quantize_attributes) -> onnx.ModelProto:
    """x -> QuantizeLinear(0.5, uint8 3) -> [Clip] -> DequantizeLinear -> y; `use`:
    `dequantize` as written, `cast` to read the integers with a Cast instead of a
    DequantizeLinear, `computed` to dequantize a Cast of x (no QuantizeLinear)."""
    zero = numpy_helper.from_array(np.array(3, dtype=np.uint8), "zero")
    parameters = [initializer("s", 0.5), initializer("s2", dequantize_scale), zero]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zero"], ["q"], name="quantize",
                              **quantize_attributes)]
    source = "q"
    if clip is not None:
        parameters += [numpy_helper.from_array(np.array(clip[0], dtype=np.uint8), "low"),
                       numpy_helper.from_array(np.array(clip[1], dtype=np.uint8), "high")]
        nodes.append(helper.make_node("Clip", ["q", "low", "high"], ["c"], name="clip"))
        source = "c"
    if use == "cast":
        nodes.append(helper.make_node("Cast", [source], ["y"], name="cast", to=1))
    else:
        if use == "computed":
            nodes = [helper.make_node("Cast", ["x"], ["q"], name="cast", to=2)]
        nodes.append(helper.make_node("DequantizeLinear", [source, "s2", "zero"], ["y"],
                                      name="dequantize"))
    return make_model(nodes, parameters, opsets=(("", 19),))
