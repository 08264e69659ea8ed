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
