"""Structural checks of an ONNX graph, before anything else reads it.

qonnx's clean-up and onnxruntime assume a well-formed graph and answer a
malformed one with an AssertionError or a shape-inference message that
names no node. `check_graph` diagnoses what a hostile or broken file can
contain, each with the tensor or node it is about:

* declarations: an IR version onnx cannot read; unnamed or repeated graph
  inputs, outputs, value_info entries and initializers; an initializer that
  is also a graph input of another shape or type; an initializer whose data
  does not fill its shape;
* nodes: ops outside standard ONNX and QONNX or in a domain the model does
  not import, a tensor produced twice or produced over a graph input or an
  initializer, a required input or output left unnamed, a constant of a data
  type the compiler has no element type for, a weight that is NaN or inf
  (quantizer parameters are left to the quantizer rules, which say more);
* the graph as a whole: no run-time input, graph inputs without a static
  shape, cycles, and tensors nothing produces.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.defs import OpSchema

from qnn_mlir.diagnostics import QnnError

QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")
"""Three spellings of one op set (Quant, BipolarQuant, Trunc, MultiThreshold)."""

QONNX_OPS = ("Quant", "BipolarQuant", "Trunc", "MultiThreshold")

CONSTANT_DTYPES = tuple(np.dtype(name) for name in (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32"))
"""numpy dtypes a constant may have: floats become f32 exactly enough (float16 exactly),
integers i64 exactly. Strings, booleans, complex numbers, bfloat16, float8, 4-bit
and 64-bit unsigned integers have no faithful element type here."""

QUANTIZER_OPS = ("Quant", "BipolarQuant", "Trunc", "MultiThreshold", "QuantizeLinear",
                 "DequantizeLinear")
"""Ops whose parameter inputs (all but input 0) are judged by the quantizer rules (the
quant verifiers, qcdq.py), with messages about scales and zero points, and where +-inf
thresholds are legitimate."""

RUN_TIME_INPUT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.INT64)
"""Element types of graph inputs; both become f32 function arguments."""

SUPPORTED_CONSTANT_TYPES = ("FLOAT, FLOAT16, DOUBLE, INT8, INT16, INT32, INT64, UINT8, UINT16 "
                            "and UINT32")


def is_supported_constant(array: np.ndarray) -> bool:
    """Whether the importer can turn `array` into an arith.constant without loss."""
    return array.dtype in CONSTANT_DTYPES


def _type_name(data_type: int) -> str:
    """FLOAT, INT8, ...; a number that names no ONNX type is shown as such."""
    try:
        return onnx.TensorProto.DataType.Name(data_type)
    except ValueError:
        return f"unknown type {data_type}"


def _where(path: str, node: onnx.NodeProto) -> str:
    return f"{path}: node '{node.name}' (op type '{node.op_type}')"


def check_graph(model: onnx.ModelProto, path: str) -> None:
    """Raise a QnnError naming the first malformed declaration, node or tensor of the graph;
    nodes must already have names."""
    _check_ir_version(model, path)
    _check_declarations(model.graph, path)
    arrays = _check_initializers(model.graph, path)
    _check_nodes(model, arrays, path)
    _check_run_time_inputs(model.graph, set(arrays), path)
    _check_acyclic(model, path)


def onnx_rules_problem(model: onnx.ModelProto, path: str) -> QnnError | None:
    """What `check_graph` leaves to ONNX itself, as the diagnostic to raise (or None): each
    standard node against its schema (attribute names and types, input and output counts),
    then strict shape and type inference. ONNX's whole-model checker is not used: it also
    demands a shape on every declaration, which onnxruntime and qonnx do not, and which
    exporters omit. The importer raises it only when its own, more specific, messages
    (an unsupported op, with the list of supported ones) did not come first."""
    try:
        _check_onnx_rules(model, path)
    except QnnError as error:
        return error
    return None


def _check_onnx_rules(model: onnx.ModelProto, path: str) -> None:
    context = onnx.checker.C.CheckerContext()
    context.ir_version = model.ir_version
    context.opset_imports = {opset.domain: opset.version for opset in model.opset_import}
    for node in model.graph.node:
        if node.domain in ("", "ai.onnx"):
            try:
                onnx.checker.check_node(node, context)
            except onnx.checker.ValidationError as error:
                raise QnnError(f"{_where(path, node)}: error: {_first_line(error)}; the "
                               "node does not follow its ONNX schema: export the model "
                               "again") from error
    try:
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        text = str(error)
        # The message names the node in brackets: "[ShapeInferenceError] (op_type:Conv,
        # node name: /conv1/Conv): ...".
        node = re.search(r"op_type:(\w+), node name: ([^)]*)\)", text)
        where = f"{path}: node '{node[2]}' (op type '{node[1]}')" if node else path
        raise QnnError(f"{where}: error: ONNX shape inference fails: {_first_line(error)}; "
                       "the tensor shapes or types of the graph do not fit together: "
                       "export the model again") from error


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


# ---------------------------------------------------------------------------
# Declarations: IR version, graph inputs, outputs, value_info, initializers
# ---------------------------------------------------------------------------


def _check_ir_version(model: onnx.ModelProto, path: str) -> None:
    """The IR versions onnx itself can read, with the one rule of IR 3 that later versions
    dropped: every initializer is also a graph input."""
    version = model.ir_version
    if version < 3:
        raise QnnError(f"{path}: error: ONNX IR version {version} predates op set imports "
                       "(IR version 3); export the model with a current onnx")
    if version > onnx.IR_VERSION:
        raise QnnError(f"{path}: error: ONNX IR version {version} is newer than this onnx "
                       f"reads (up to {onnx.IR_VERSION}); export with onnx<1.23")
    if version == 3:
        inputs = {i.name for i in model.graph.input}
        missing = [t.name for t in model.graph.initializer if t.name not in inputs]
        if missing:
            raise QnnError(f"{path}: error: initializer '{missing[0]}' is not a graph input, "
                           "which ONNX IR version 3 requires; list it as an input or save "
                           "the model with a newer IR version")


def _check_declarations(graph: onnx.GraphProto, path: str) -> None:
    for kind, entries in (("graph input", graph.input), ("graph output", graph.output),
                          ("initializer", graph.initializer)):
        for index, entry in enumerate(entries):
            if not entry.name:
                raise QnnError(f"{path}: error: {kind} {index} has no name; every {kind} must "
                               "name a tensor")
    repeated = [n for n, count in Counter(t.name for t in graph.initializer).items() if count > 1]
    if repeated:
        raise QnnError(f"{path}: error: initializer '{repeated[0]}' is defined more than once; "
                       "keep one definition per tensor")
    # qonnx looks a tensor's type up in inputs, outputs and value_info and asserts that
    # exactly one entry declares it.
    kinds = {"graph input": graph.input, "graph output": graph.output,
             "value_info entry": graph.value_info}
    counts = {kind: Counter(v.name for v in values) for kind, values in kinds.items()}
    for name in dict.fromkeys(v.name for values in kinds.values() for v in values):
        found = {kind: counts[kind][name] for kind in kinds if counts[kind][name]}
        if sum(found.values()) > 1:
            raise QnnError(f"{path}: error: {_repeated_declaration(name, found)}")
    _check_initializer_inputs(graph, path)


def _repeated_declaration(name: str, found: dict[str, int]) -> str:
    """The message for a tensor declared more than once; `found` counts it per kind."""
    if len(found) == 1:
        kind, count = next(iter(found.items()))
        return (f"tensor '{name}' is declared as a {kind} {count} times; declare it once")
    if "value_info entry" in found:
        other = next(kind for kind in found if kind != "value_info entry")
        return (f"tensor '{name}' is a {other} and also has a value_info entry; value_info "
                "describes intermediate tensors only: remove the entry")
    return (f"tensor '{name}' is both a graph input and a graph output; compute the output "
            "with a node (an Identity) under another name")


def _check_initializer_inputs(graph: onnx.GraphProto, path: str) -> None:
    """An initializer may also be listed as a graph input (a default value, ONNX IR < 4),
    but then the two must agree on type and shape."""
    initializers = {t.name: t for t in graph.initializer}
    for graph_input in graph.input:
        tensor = initializers.get(graph_input.name)
        if tensor is None or not graph_input.type.HasField("tensor_type"):
            continue
        declared = graph_input.type.tensor_type
        dims = ([d.dim_value if d.HasField("dim_value") else None for d in declared.shape.dim]
                if declared.HasField("shape") else None)
        same_type = declared.elem_type in (0, tensor.data_type)
        same_shape = dims is None or (len(dims) == len(tensor.dims) and all(
            d is None or d == t for d, t in zip(dims, tensor.dims, strict=True)))
        if not (same_type and same_shape):
            shown = "?" if dims is None else ["?" if d is None else d for d in dims]
            raise QnnError(
                f"{path}: error: graph input '{graph_input.name}' is also an initializer, but "
                f"declares {_type_name(declared.elem_type)} of shape {shown} where the "
                f"initializer holds {_type_name(tensor.data_type)} of shape "
                f"{list(tensor.dims)}; make them agree or remove it from the graph inputs")


def _check_initializers(graph: onnx.GraphProto, path: str) -> dict[str, np.ndarray]:
    """Every initializer's data fills its declared shape; returns their values."""
    arrays = {}
    for tensor in graph.initializer:
        try:
            arrays[tensor.name] = numpy_helper.to_array(tensor)
        except Exception as error:  # onnx raises several types on data that does not fit
            raise QnnError(
                f"{path}: error: initializer '{tensor.name}' declares "
                f"{_type_name(tensor.data_type)} of shape {list(tensor.dims)} "
                f"({math.prod(tensor.dims)} elements), but its data does not match "
                f"({type(error).__name__}: {error}); the file is corrupt: export it again"
            ) from error
    return arrays


# ---------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------


def _check_nodes(model: onnx.ModelProto, arrays: dict[str, np.ndarray], path: str) -> None:
    graph = model.graph
    constants = {t.name: (arrays[t.name], t.data_type) for t in graph.initializer}
    constants.update(_constant_node_values(graph, path))
    sources = {i.name: "a graph input" for i in graph.input}
    sources.update({name: "an initializer" for name in arrays})
    producers: dict[str, onnx.NodeProto] = {}
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                 onnx.defs.onnx_opset_version())
    imported = {"" if o.domain == "ai.onnx" else o.domain for o in model.opset_import}
    for node in graph.node:
        where = _where(path, node)
        _check_domain(node, imported, where)
        _check_required_names(node, opset, where)
        for name in node.output:
            if not name:
                continue
            if name in producers:
                other = producers[name]
                by = "this node" if other is node else f"node '{other.name}'"
                raise QnnError(f"{where}: error: output tensor '{name}' is also produced by "
                               f"{by}; every tensor must have one producer (ONNX graphs are in "
                               "SSA form): rename one of the outputs")
            if name in sources:
                raise QnnError(f"{where}: error: output tensor '{name}' has the name of "
                               f"{sources[name]}; a node may not redefine it: rename the output")
            producers[name] = node
        for index, name in enumerate(node.input):
            if name in constants:
                _check_constant_input(node, index, name, *constants[name], where)


def _check_domain(node: onnx.NodeProto, imported: set[str], where: str) -> None:
    """Standard ONNX or one of the QONNX spellings, and imported by the model."""
    domain = "" if node.domain == "ai.onnx" else node.domain
    if domain not in imported:
        raise QnnError(f"{where}: error: the model imports no op set for the domain "
                       f"'{domain or 'ai.onnx'}' of this node; add it to the model's "
                       "opset_import (onnx.helper.make_opsetid)")
    if domain in QONNX_DOMAINS and node.op_type not in QONNX_OPS:
        raise QnnError(f"{where}: error: unsupported QONNX op; supported QONNX ops: "
                       f"{', '.join(QONNX_OPS)}")
    if domain not in ("", *QONNX_DOMAINS):
        raise QnnError(f"{where}: error: unsupported op domain '{node.domain}'; supported: "
                       f"standard ONNX and the QONNX domains {', '.join(QONNX_DOMAINS)}")


def _constant_node_values(graph: onnx.GraphProto,
                          path: str) -> dict[str, tuple[np.ndarray, int]]:
    """The tensors of Constant nodes (their `value` attribute), by output name."""
    values = {}
    for node in graph.node:
        tensor = next((a.t for a in node.attribute if a.name == "value"
                       and a.type == onnx.AttributeProto.TENSOR), None)
        if node.op_type != "Constant" or tensor is None or not node.output:
            continue
        try:
            values[node.output[0]] = (numpy_helper.to_array(tensor), tensor.data_type)
        except Exception as error:  # onnx raises several types on data that does not fit
            raise QnnError(f"{_where(path, node)}: error: its value does not match its "
                           f"declared shape {list(tensor.dims)} ({type(error).__name__}: "
                           f"{error}); the file is corrupt: export it again") from error
    return values


def _check_constant_input(node: onnx.NodeProto, index: int, name: str, array: np.ndarray,
                          data_type: int, where: str) -> None:
    """A constant a node reads has a supported type and, unless a quantizer rule judges it
    (parameters of quantizers, thresholds), finite values: NaN and inf make every output
    they reach meaningless."""
    if not is_supported_constant(array):
        raise QnnError(f"{where}: error: input '{name}' is a constant of ONNX type "
                       f"{_type_name(data_type)}; supported constant types: "
                       f"{SUPPORTED_CONSTANT_TYPES}")
    if (index > 0 and node.op_type in QUANTIZER_OPS) or not np.issubdtype(array.dtype,
                                                                          np.floating):
        return
    bad = ~np.isfinite(array)
    if bad.any():
        position = [int(i) for i in np.argwhere(bad)[0]]
        shown = f" at index {position}" if position else ""
        raise QnnError(f"{where}: error: input '{name}' holds {array[tuple(position)]}{shown}; "
                       "weights and other constants must be finite numbers")


def _check_required_names(node: onnx.NodeProto, opset: int, where: str) -> None:
    """An empty name means "omitted", which only an optional input or output may be. Standard
    ops say which are optional in their schema; every input and output of a QONNX op is
    required."""
    formal: dict[str, list[OpSchema.FormalParameter]] = {"input": [], "output": []}
    if node.domain in ("", "ai.onnx"):
        try:
            schema = onnx.defs.get_schema(node.op_type, opset, "")
            formal = {"input": list(schema.inputs), "output": list(schema.outputs)}
        except onnx.defs.SchemaError:  # an unknown op, diagnosed at conversion
            pass
    for kind, names in (("input", node.input), ("output", node.output)):
        parameters = formal[kind]
        for index, name in enumerate(names):
            if name:
                continue
            parameter = parameters[min(index, len(parameters) - 1)] if parameters else None
            if parameter is None or parameter.option != OpSchema.FormalParameterOption.Optional:
                role = f" ('{parameter.name}')" if parameter is not None else ""
                raise QnnError(f"{where}: error: {kind} {index}{role} is required, but its "
                               "tensor name is empty")


# ---------------------------------------------------------------------------
# The graph as a whole
# ---------------------------------------------------------------------------


def _check_run_time_inputs(graph: onnx.GraphProto, initializers: set[str], path: str) -> None:
    """At least one graph input that is not an initializer; each a float tensor (int64 is
    read as float too) of a static shape."""
    if all(graph_input.name in initializers for graph_input in graph.input):
        raise QnnError(f"{path}: error: the graph has no run-time input (every graph input is "
                       "an initializer, or there is none): there is nothing to compute; "
                       "export the model with its input")
    for graph_input in graph.input:
        if graph_input.name in initializers:
            continue
        tensor = graph_input.type.tensor_type
        if tensor.elem_type not in RUN_TIME_INPUT_TYPES:
            raise QnnError(f"{path}: error: graph input '{graph_input.name}' has ONNX element "
                           f"type {_type_name(tensor.elem_type)}; only FLOAT is supported")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
        if not tensor.HasField("shape") or any(d is None or d < 1 for d in dims):
            shown = [d.dim_param or "?" if d.dim_value < 1 else d.dim_value
                     for d in tensor.shape.dim] if tensor.HasField("shape") else "unknown"
            raise QnnError(
                f"{path}: error: graph input '{graph_input.name}' has shape {shown}; only static "
                "shapes are supported: export with a fixed input shape (batch size 1)"
            )


def _check_acyclic(model: onnx.ModelProto, path: str) -> None:
    available = {t.name for t in model.graph.initializer} | {i.name for i in model.graph.input}
    available.add("")
    pending = list(model.graph.node)
    while pending:
        ready = [n for n in pending if all(i in available for i in n.input)]
        produced = {o for n in pending for o in n.output}
        for node in pending:
            for name in node.input:
                if name not in available and name not in produced:
                    raise QnnError(
                        f"{_where(path, node)}: error: input tensor '{name}' is not produced by "
                        "any node, initializer or graph input"
                    )
        if not ready:
            names = ", ".join(f"'{n.name or n.op_type}'" for n in pending[:5])
            raise QnnError(
                f"{path}: error: the graph has a cycle or an input that nothing produces; "
                f"these nodes can never run: {names}"
            )
        for node in ready:
            available.update(node.output)
        pending = [n for n in pending if n not in ready]
