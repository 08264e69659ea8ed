"""Mutations of an ONNX graph's structure: its outputs, inputs, value_info, nodes,
attributes, initializers, names and op sets.

Whether the result is invalid is judged on the final model, not per mutation (a
later mutation can undo an earlier one: a NaN weight cast to int8 is finite):
`structural_problem` here, `onnx.checker` and the quantizer rules in
`fuzzing.families`.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fuzzing.onnx_mutations import HOSTILE_STRINGS, Mutation, set_initializer


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def duplicate_output(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """List the graph output twice."""
    model.graph.output.append(model.graph.output[0])
    return Mutation(f"graph output '{model.graph.output[0].name}' listed twice")


def initializer_as_input(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Declare an initializer as a graph input too, with its own shape or another one."""
    tensor = _pick(rng, list(model.graph.initializer))
    shape = list(tensor.dims)
    if rng.random() < 0.6:
        shape = [*shape, 2] if rng.random() < 0.5 else [d + 1 for d in shape] or [3]
    model.graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, shape))
    return Mutation(f"initializer '{tensor.name}' also a graph input of shape {shape}")


def duplicate_value_info(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Declare one intermediate tensor twice in value_info, with equal or different shapes."""
    node = _pick(rng, list(model.graph.node))
    name = node.output[0]
    first = helper.make_tensor_value_info(name, TensorProto.FLOAT, None)
    second = helper.make_tensor_value_info(name, TensorProto.FLOAT, [7, 7, 7]) \
        if rng.random() < 0.5 else first
    model.graph.value_info.extend([first, second])
    return Mutation(f"value_info of '{name}' declared twice")


def shadow_tensor(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Make a node write a tensor that something else already defines."""
    node = _pick(rng, list(model.graph.node))
    taken = [n.output[0] for n in model.graph.node if n is not node] + \
        [t.name for t in model.graph.initializer] + [i.name for i in model.graph.input]
    target = _pick(rng, taken)
    old = node.output[0]
    node.output[0] = target
    for other in model.graph.node:
        other.input[:] = [target if name == old else name for name in other.input]
    return Mutation(f"node '{node.name}' writes '{target}', already defined")


def delete_node(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    node = _pick(rng, list(model.graph.node))
    model.graph.node.remove(node)
    return Mutation(f"node '{node.name}' deleted")


def delete_initializer(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    tensor = _pick(rng, list(model.graph.initializer))
    model.graph.initializer.remove(tensor)
    return Mutation(f"initializer '{tensor.name}' deleted")


def rewire_input(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Point one node input at another tensor (an earlier one, so that it stays acyclic)."""
    nodes = list(model.graph.node)
    index = int(rng.integers(len(nodes)))
    node = nodes[index]
    earlier = [i.name for i in model.graph.input] + [t.name for t in model.graph.initializer] + \
        [n.output[0] for n in nodes[:index]]
    slot = int(rng.integers(len(node.input)))
    node.input[slot] = _pick(rng, earlier)
    return Mutation(f"input {slot} of '{node.name}' now '{node.input[slot]}'")


def swap_inputs(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    nodes = [n for n in model.graph.node if len(n.input) > 1]
    node = _pick(rng, nodes)
    a, b = rng.choice(len(node.input), size=2, replace=False)
    node.input[a], node.input[b] = node.input[b], node.input[a]
    return Mutation(f"inputs {a} and {b} of '{node.name}' swapped")


OP_TYPES = ("Relu", "MatMul", "Add", "Mul", "Quant", "BipolarQuant", "Trunc", "MultiThreshold",
            "Conv", "MaxPool", "Flatten", "Reshape", "Transpose", "Identity", "Softmax", "Sigmoid",
            "AveragePool", "Gemm", "BatchNormalization", "Concat", "Foo")


def change_op_type(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    node = _pick(rng, list(model.graph.node))
    node.op_type = _pick(rng, OP_TYPES)
    return Mutation(f"'{node.name}' becomes a {node.op_type}")


ATTRIBUTE_VALUES = (0, 1, 2, 3, -1, 7, 1 << 31, 1 << 62, [1], [0, 0], [1, 1], [2, 2], [3, 3],
                    [-1, 1], [5, 5, 5], [1, 1, 1, 1], [0, 0, 0, 0], [2, 0, 0, 1], [1 << 40, 1],
                    [1, 0], [0, 1, 2, 3], [3, 2, 1, 0], 0.5, float("nan"), "ROUND", "NHWC",
                    "SAME_UPPER", "VALID", "garbage", "")


def change_attribute(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Set, add or delete one attribute of one node."""
    node = _pick(rng, list(model.graph.node))
    names = [a.name for a in node.attribute] + ["kernel_shape", "pads", "strides", "perm",
                                                 "axis", "dilations", "group", "ceil_mode",
                                                 "auto_pad", "signed", "narrow", "alpha"]
    name = _pick(rng, names)
    for attribute in list(node.attribute):
        if attribute.name == name:
            node.attribute.remove(attribute)
    if rng.random() < 0.15:
        return Mutation(f"attribute '{name}' of '{node.name}' removed")
    value = _pick(rng, ATTRIBUTE_VALUES)
    node.attribute.append(helper.make_attribute(name, value))
    return Mutation(f"attribute '{name}' of '{node.name}' = {value!r}")


def change_input_shape(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Another static, symbolic, empty or negative shape, or element type, for the input."""
    tensor = model.graph.input[0].type.tensor_type
    dims = [d.dim_value for d in tensor.shape.dim]
    choice = int(rng.integers(7))
    if choice == 6:
        tensor.elem_type = int(_pick(rng, [TensorProto.DOUBLE, TensorProto.FLOAT16,
                                            TensorProto.INT8, TensorProto.INT64]))
        return Mutation(f"graph input of element type {tensor.elem_type}")
    new = [[*dims, 1], dims[:-1], [d + 1 for d in dims], [0, *dims[1:]], [2, *dims[1:]],
           [-3, *dims[1:]]][choice]
    model.graph.input[0].CopyFrom(helper.make_tensor_value_info(
        model.graph.input[0].name, tensor.elem_type, new))
    return Mutation(f"graph input of shape {new}")


def change_initializer(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Another dtype, another shape, truncated raw data, or NaN/inf values in a weight."""
    tensor = _pick(rng, [t for t in model.graph.initializer])
    value = numpy_helper.to_array(tensor)
    choice = int(rng.integers(5))
    if choice == 0:
        dtype = _pick(rng, [np.float64, np.float16, np.int8, np.int64, np.uint8, np.bool_,
                            np.int32, np.complex64])
        set_initializer(model, tensor.name, value.astype(dtype))
        return Mutation(f"initializer '{tensor.name}' as {np.dtype(dtype).name}")
    if choice == 1:
        set_initializer(model, tensor.name, value.reshape(1, *value.shape))
        return Mutation(f"initializer '{tensor.name}' gets a leading dimension")
    if choice == 2 and value.size > 1:
        raw = numpy_helper.from_array(value, tensor.name)
        raw.raw_data = raw.raw_data[: len(raw.raw_data) // 2]
        tensor.CopyFrom(raw)
        return Mutation(f"initializer '{tensor.name}' truncated to half its data")
    if not np.issubdtype(value.dtype, np.floating) or value.size == 0:
        return Mutation(f"initializer '{tensor.name}' unchanged (not float)")
    special = float(_pick(rng, [np.nan, np.inf, -np.inf]))
    changed = np.array(value)
    changed.flat[int(rng.integers(value.size))] = special
    set_initializer(model, tensor.name, changed)
    return Mutation(f"a {special} in initializer '{tensor.name}'")


def rename_tensor(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    """Rename a tensor everywhere (consistently) or a node, to a hostile string."""
    new = _pick(rng, HOSTILE_STRINGS)
    if rng.random() < 0.4:
        node = _pick(rng, list(model.graph.node))
        node.name = new
        return Mutation(f"node renamed {new!r}")
    names = [n.output[0] for n in model.graph.node] + [i.name for i in model.graph.input] + \
        [t.name for t in model.graph.initializer]
    old = _pick(rng, names)
    for node in model.graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for info in [*model.graph.input, *model.graph.output, *model.graph.value_info]:
        if info.name == old:
            info.name = new
    for tensor in model.graph.initializer:
        if tensor.name == old:
            tensor.name = new
    return Mutation(f"tensor '{old}' renamed {new!r}")


def change_opset(model: onnx.ModelProto, rng: np.random.Generator) -> Mutation:
    choice = int(rng.integers(4))
    if choice == 0:
        model.opset_import[0].version = int(_pick(rng, [7, 11, 13, 19, 21, 100]))
        return Mutation(f"default op set version {model.opset_import[0].version}")
    if choice == 1 and len(model.opset_import) > 1:
        del model.opset_import[1]
        return Mutation("QONNX op set import removed")
    if choice == 2:
        model.ir_version = int(_pick(rng, [1, 3, 7, 10, 100]))
        return Mutation(f"IR version {model.ir_version}")
    domain = _pick(rng, ["finn.custom_op.general", "onnx.brevitas", "com.evil", ""])
    for node in model.graph.node:
        if node.domain:
            node.domain = domain
    return Mutation(f"custom ops in domain {domain!r}")


def structural_problem(model: onnx.ModelProto) -> str | None:
    """Why the final model is invalid in ways onnx.checker does not see, or None:
    initializer data that does not fill its shape, a NaN or infinite constant, a graph
    input of a negative dimension, an initializer redeclared as a graph input of another
    type or shape, or two value_info entries for one tensor that disagree."""
    initializers = {}
    for tensor in model.graph.initializer:
        try:
            initializers[tensor.name] = numpy_helper.to_array(tensor)
        except ValueError:
            return f"initializer '{tensor.name}' holds less data than its shape"
        values = initializers[tensor.name]
        if np.issubdtype(values.dtype, np.floating) and not np.all(np.isfinite(values)):
            return f"a non-finite value in constant '{tensor.name}'"
    for graph_input in model.graph.input:
        tensor = graph_input.type.tensor_type
        if any(d.HasField("dim_value") and d.dim_value < 0 for d in tensor.shape.dim):
            return f"graph input '{graph_input.name}' of a negative dimension"
        if graph_input.name in initializers:
            initializer = next(t for t in model.graph.initializer if t.name == graph_input.name)
            dims = [d.dim_value for d in tensor.shape.dim]
            if tensor.elem_type != initializer.data_type or dims != list(initializer.dims):
                return f"initializer '{graph_input.name}' redeclared as an input of another type"
    declared: dict[str, onnx.TypeProto] = {}
    for info in model.graph.value_info:
        if info.name in declared and declared[info.name] != info.type:
            return f"two value_info entries for '{info.name}' that disagree"
        declared[info.name] = info.type
    return None


GRAPH_MUTATIONS = (duplicate_output, initializer_as_input, duplicate_value_info, shadow_tensor,
                   delete_node, delete_initializer, rewire_input, swap_inputs, change_op_type,
                   change_attribute, change_attribute, change_input_shape, change_initializer,
                   change_initializer, rename_tensor, rename_tensor, change_opset)
"""Every structural mutation; the common ones appear twice."""
