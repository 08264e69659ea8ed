"""Import an ONNX/QONNX model as a `func.func` of quant ops.

The importer does three things, in order:

1. load the model (weights may live in a side `.data` file next to it),
   fuse QCDQ quantizers (QuantizeLinear/Clip/DequantizeLinear, `qcdq.py`) into
   QONNX `Quant` nodes and normalise the three spellings of the QONNX domain;
2. clean it up with qonnx's own transformations (shape inference, constant
   folding that keeps the quantizers, folding a Transpose into a quantized
   initializer, removal of static graph inputs), but keep the exporter's node
   names, because they name the layers (`/features.2/MatMul`);
3. translate node by node with the converters in `onnx_ops.py`; every
   unsupported op or attribute is a diagnostic naming the node.

Before any of this, `graph_checks.py` diagnoses malformed graph structure
(repeated or unnamed tensors, corrupt initializers, cycles), which qonnx
would answer with an assertion.

Tensor names become SSA name hints, so the IR reads like the model.
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    FunctionType,
    ModuleOp,
    NameLoc,
    NoneAttr,
    StringAttr,
    TensorType,
    f32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.diagnostics import QnnError, innermost_message
from qnn_mlir.frontend.graph_checks import (
    QONNX_DOMAINS,
    SUPPORTED_CONSTANT_TYPES,
    check_graph,
    is_supported_constant,
    onnx_rules_problem,
)
from qnn_mlir.frontend.onnx_ops import CONVERTERS, ConversionError, NodeView
from qnn_mlir.ir_constants import make_constant

CANONICAL_DOMAIN = "qonnx.custom_op.general"

DATATYPE_ATTR = "quant.datatype"
"""Discardable attribute carrying a FINN datatype annotation (e.g. "BIPOLAR")."""


def sanitize_name(name: str, fallback: str = "v") -> str:
    """A valid SSA name hint / C identifier from an ONNX name: `/features.2/MatMul` ->
    `features_2_MatMul`."""
    # Exporter noise that says nothing about the layer: op-set prefixes and the
    # `export_handler` path segment Brevitas puts into every quantizer's name.
    name = re.sub(r"^[A-Za-z_.]+::", "", name)
    name = name.replace("/export_handler/", "/")
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    if not cleaned:
        return fallback
    return cleaned if not cleaned[0].isdigit() else f"{fallback}{cleaned}"


def load_model(path: str) -> onnx.ModelProto:
    """Load an ONNX file, with external data resolved relative to its directory."""
    if os.path.isdir(path):
        raise QnnError(f"{path}: error: is a directory, not an ONNX model file")
    if not os.path.isfile(path):
        raise QnnError(f"{path}: error: no such file")
    if os.path.getsize(path) == 0:
        raise QnnError(f"{path}: error: the file is empty; export the model again")
    try:
        return onnx.load(path, load_external_data=True)
    except Exception as error:  # onnx raises several unrelated types here
        raise QnnError(
            f"{path}: error: not a readable ONNX model ({type(error).__name__}: {error}); "
            "export it with brevitas.export.export_qonnx or onnx.save"
        ) from error


def _normalize_domains(model: onnx.ModelProto) -> None:
    for node in model.graph.node:
        if node.domain in QONNX_DOMAINS:
            node.domain = CANONICAL_DOMAIN
    domains = {opset.domain for opset in model.opset_import}
    if CANONICAL_DOMAIN not in domains and any(
        n.domain == CANONICAL_DOMAIN for n in model.graph.node
    ):
        model.opset_import.append(onnx.helper.make_opsetid(CANONICAL_DOMAIN, 1))


GENERATED_NAME = re.compile(r"node_\w*")
"""How the dynamo exporter names nodes (`node__symbolic_3`, `node_linear`): not after layers."""


def module_path(node: onnx.NodeProto, own: set[str]) -> str | None:
    """The PyTorch module a node belongs to, from the names of the parameters that only it
    reads (`own`): `2.bias` -> `2`, `1.act_quant.export_handler.lifted_tensor_0` ->
    `1.act_quant`. The exporter shares equal constants between modules, so a shared
    one says nothing."""
    for name in node.input:
        if name in own and "." in name:
            return name.split(".export_handler", 1)[0] if ".export_handler" in name \
                else name.rsplit(".", 1)[0]
    return None


def name_nodes_after_modules(model: onnx.ModelProto) -> None:
    """Give nodes the dynamo exporter named generically the names the legacy exporter gives
    (`/<module path>/<op type>`), so that layers read the same from either exporter."""
    readers: dict[str, int] = {}
    for node in model.graph.node:
        for name in set(node.input):
            readers[name] = readers.get(name, 0) + 1
    own = {t.name for t in model.graph.initializer if readers.get(t.name) == 1}
    used = {n.name for n in model.graph.node}
    for node in model.graph.node:
        module = module_path(node, own) if GENERATED_NAME.fullmatch(node.name) else None
        if module is None:
            continue
        candidate = base = "/" + module.replace(".", "/") + "/" + node.op_type
        index = 0
        while candidate in used:
            index += 1
            candidate = f"{base}_{index}"
        used.add(candidate)
        node.name = candidate


def _name_unnamed_nodes(model: onnx.ModelProto) -> None:
    used = {n.name for n in model.graph.node if n.name}
    for index, node in enumerate(model.graph.node):
        if not node.name:
            candidate = f"{node.op_type}_{index}"
            while candidate in used:
                candidate += "_"
            node.name = candidate
            used.add(candidate)


def cleanup(model: onnx.ModelProto, path: str):
    """qonnx cleanup without renaming: returns a qonnx ModelWrapper."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.fold_constants import FoldConstants
    from qonnx.transformation.general import (
        GiveUniqueParameterTensors,
        RemoveStaticGraphInputs,
        RemoveUnusedTensors,
        SortGraph,
    )
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.transformation.quant_constant_folding import FoldTransposeIntoQuantInit

    _normalize_domains(model)
    wrapper = ModelWrapper(model)
    steps = [
        RemoveStaticGraphInputs(),  # before unused initializers go, or their inputs dangle
        InferShapes(),
        GiveUniqueParameterTensors(),
        FoldConstants(exclude_op_types=["Quant", "BipolarQuant", "Trunc", "MultiThreshold"]),
        FoldTransposeIntoQuantInit(),
        RemoveUnusedTensors(),
        SortGraph(),
        InferShapes(),
    ]
    for step in steps:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrapper = wrapper.transform(step)
        except Exception as error:
            raise QnnError(
                f"{path}: error: qonnx {type(step).__name__} failed on this model: "
                f"{type(error).__name__}: {error}. Check that every node's op type and "
                "domain are standard ONNX or QONNX (Quant, BipolarQuant, Trunc, MultiThreshold)"
            ) from error
    return wrapper


class OnnxImporter:
    """Translates one cleaned-up ONNX graph into a `func.func @main` in a module."""

    def __init__(self, wrapper, path: str, original_names: set[str] | None = None):
        self.wrapper = wrapper
        # Names the exporter chose; others (made up by cleanup) are renamed after their user.
        self.original_names = original_names
        self.graph = wrapper.model.graph
        self.path = path
        self.values: dict[str, SSAValue] = {}
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.datatypes = {
            ann.tensor_name: entry.value
            for ann in self.graph.quantization_annotation
            for entry in ann.quant_parameter_tensor_names
            if entry.key == "finn_datatype" and entry.value != "FLOAT32"
        }
        self.block: Block | None = None

    # -- tensor helpers used by the converters ------------------------------

    def tensor_type(self, name: str, element_type: Attribute = f32) -> TensorType:
        """The static tensor type of a graph tensor, from shape inference."""
        shape = self.wrapper.get_tensor_shape(name)
        if shape is None or any(not isinstance(d, int) or d < 0 for d in shape):
            raise ConversionError(
                f"tensor '{name}' has no static shape after shape inference (got {shape}); "
                "export the model with a fixed input shape"
            )
        return TensorType(element_type, shape)

    def initializer_array(self, name: str) -> np.ndarray | None:
        """The numpy value of an initializer, or None if `name` is computed."""
        tensor = self.initializers.get(name)
        return None if tensor is None else numpy_helper.to_array(tensor)

    def value(self, name: str, user_hint: str | None = None) -> SSAValue:
        """The SSA value of a tensor, materialising initializers as arith.constant.

        `user_hint` names a constant whose ONNX name was invented by cleanup.
        """
        if name in self.values:
            return self.values[name]
        array = self.initializer_array(name)
        if array is None:
            raise ConversionError(f"input tensor '{name}' is not produced by any node")
        invented = self.original_names is not None and name not in self.original_names
        return self.constant(array, name, user_hint if invented and user_hint else name)

    def constant(self, array: np.ndarray, name: str, hint: str | None = None) -> SSAValue:
        """Insert `arith.constant` for `array`; integers stay i64, the rest become f32."""
        if not is_supported_constant(array):
            raise ConversionError(f"constant '{name}' has element type {array.dtype}; "
                                  f"supported: {SUPPORTED_CONSTANT_TYPES}")
        if np.issubdtype(array.dtype, np.integer):
            op = make_constant(array.astype(np.int64), i64)
        else:
            op = make_constant(array.astype(np.float32), f32)
        if name in self.datatypes:
            op.attributes[DATATYPE_ATTR] = StringAttr(self.datatypes[name])
        self.insert(op)
        op.result.name_hint = sanitize_name(hint or name)
        self.values[name] = op.result
        return op.result

    def insert(self, op: Operation) -> None:
        """Append `op` to the function body being built."""
        assert self.block is not None
        self.block.add_op(op)

    # -- the translation ------------------------------------------------------

    def _graph_inputs(self) -> list[onnx.ValueInfoProto]:
        return [i for i in self.graph.input if i.name not in self.initializers]

    def _convert_node(self, node: onnx.NodeProto) -> None:
        where = f"{self.path}: node '{node.name}' (op type '{node.op_type}')"
        converter = CONVERTERS.get(node.op_type)
        if converter is None or (node.domain not in ("", "ai.onnx", CANONICAL_DOMAIN)):
            supported = ", ".join(sorted(CONVERTERS))
            raise QnnError(
                f"{where}: error: unsupported op (domain '{node.domain or 'ai.onnx'}'). "
                f"Supported op types: {supported}"
            )
        assert self.block is not None
        previous = self.block.last_op
        try:
            results = converter(NodeView(node, self))
        except ConversionError as error:
            raise QnnError(f"{where}: error: {error}") from error
        new_op = previous.next_op if previous is not None else self.block.first_op
        while new_op is not None:
            try:
                new_op.verify(verify_nested_ops=False)
            except VerifyException as error:
                raise QnnError(f"{where}: error: {innermost_message(error)}") from error
            # The node's name, kept as the op's location, gives the layer its module path.
            new_op.location = NameLoc(StringAttr(node.name), NoneAttr())
            for result in new_op.results:  # a node's inner ops: `fc1_Gemm_matmul`
                if not result.name_hint:
                    kind = new_op.name.split(".")[-1]
                    result.name_hint = sanitize_name(f"{node.name}_{kind}")
            new_op = new_op.next_op
        for name, value in zip(node.output, results, strict=False):
            if not name:
                continue
            value.name_hint = sanitize_name(node.name if len(node.output) == 1 else name)
            owner = value.owner
            if name in self.datatypes and isinstance(owner, Operation):
                owner.attributes[DATATYPE_ATTR] = StringAttr(self.datatypes[name])
            self.values[name] = value

    def build(self) -> ModuleOp:
        """Translate the whole graph."""
        inputs = self._graph_inputs()
        input_types = []
        for graph_input in inputs:  # float tensors: check_graph made sure
            try:
                input_types.append(self.tensor_type(graph_input.name))
            except ConversionError as error:
                raise QnnError(f"{self.path}: error: {error}") from error
        self.block = Block(arg_types=input_types)
        for graph_input, arg in zip(inputs, self.block.args, strict=True):
            # torch names an unnamed input after its first user ("onnx::Reshape_0").
            generated = graph_input.name.startswith("onnx::")
            arg.name_hint = "input" if generated else sanitize_name(graph_input.name, "input")
            self.values[graph_input.name] = arg
        for node in self.graph.node:
            self._convert_node(node)
        try:
            outputs = [self.value(o.name) for o in self.graph.output]
        except ConversionError as error:
            raise QnnError(f"{self.path}: error: graph output: {error}") from error
        self.insert(func.ReturnOp(*outputs))
        arg_attrs = [
            DictionaryAttr({DATATYPE_ATTR: StringAttr(self.datatypes[i.name])})
            if i.name in self.datatypes
            else DictionaryAttr({})
            for i in inputs
        ]
        function = func.FuncOp(
            "main",
            FunctionType.from_lists(input_types, [v.type for v in outputs]),
            Region(self.block),
            arg_attrs=ArrayAttr(arg_attrs) if any(a.data for a in arg_attrs) else None,
        )
        return ModuleOp([function])


def import_onnx(path: str) -> ModuleOp:
    """Load, clean up and translate the ONNX model at `path`; errors are QnnError."""
    from qnn_mlir.frontend.qcdq import convert_qcdq

    model = load_model(path)
    if not model.graph.node:
        raise QnnError(f"{path}: error: the ONNX graph has no nodes")
    name_nodes_after_modules(model)
    _name_unnamed_nodes(model)
    check_graph(model, path)  # before QCDQ fusion and qonnx, which assume a well-formed graph
    schema_problem = onnx_rules_problem(model, path)
    model = convert_qcdq(model, path)
    original_names = {t.name for t in model.graph.initializer} | {
        o for n in model.graph.node for o in n.output
    }
    try:
        wrapper = cleanup(model, path)
    except QnnError as error:  # qonnx trips on what ONNX's rules say precisely
        raise schema_problem or error from error
    try:
        module = OnnxImporter(wrapper, path, original_names).build()
    except Exception as error:  # a converter meeting what ONNX's rules already exclude
        if schema_problem is None or isinstance(error, QnnError):
            raise
        raise schema_problem from error
    if schema_problem is not None:  # a model the converters accept but ONNX does not
        raise schema_problem
    from qnn_mlir.diagnostics import verify_module

    try:
        verify_module(module)
    except QnnError as error:
        raise QnnError(f"{path}: error: imported IR does not verify: {error}") from error
    return module
