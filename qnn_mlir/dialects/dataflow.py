"""The `dataflow` dialect: FINN-style streaming hardware (see docs/dialects/dataflow.md).

A `dataflow.accelerator` holds one block of layer ops connected by
`!dataflow.stream<...>` values. The stream type carries the element datatype,
the normal (unfolded) shape and the folding, so every layer verifier checks its
parameters against the streams it reads and writes. `dataflow.to_stream` and
`dataflow.from_stream` mark where tensors become streams and back before
`dataflow-partition` outlines the accelerator.

This file holds the structure ops and the dialect; the stream type is in
`dataflow_stream.py` and the layers, one file each on the layer interface
(`LayerOp`), in `dataflow_layers/` (all re-exported here). A folding mismatch
between two layers (a stream whose fold is not what its consumer reads) is
legal until `dataflow-insert-dwc` inserts converters; `check_stream_widths` is
the check that no mismatch is left, which hardware generation requires.

Value conventions shared with the interpreter: a stream holds the mathematical
values of its normal shape (folding changes the wire format, never the values);
`!quant.bipolar` elements are -1/+1; i1 weights are bits where 1 means +1.
"""

from __future__ import annotations

from xdsl.dialects.builtin import SymbolNameConstraint, TensorType
from xdsl.ir import Dialect, Operation
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import HasParent, IsolatedFromAbove, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.dataflow_layers import (
    DWCOp,
    FoldingParameter,
    HLSCall,
    LabelSelectOp,
    LayerOp,
    MaxPoolOp,
    MVAUOp,
    PadOp,
    ReshapeOp,
    SlidingWindowOp,
    StreamLayerOp,
    ThresholdingOp,
    cxx_prefix,
    layer_classes,
)
from qnn_mlir.dialects.dataflow_stream import StreamType, divisors, divisors_hint, same_data

__all__ = [
    "AcceleratorOp", "DWCOp", "Dataflow", "FoldingParameter", "FromStreamOp", "HLSCall",
    "LabelSelectOp", "LayerOp", "MVAUOp", "MaxPoolOp", "PadOp", "ReshapeOp", "SlidingWindowOp",
    "StreamLayerOp", "StreamType", "ThresholdingOp",
    "ToStreamOp", "YieldOp", "check_stream_widths", "cxx_prefix", "divisors", "divisors_hint",
    "layer_classes",
]


# ---------------------------------------------------------------------------
# The accelerator
# ---------------------------------------------------------------------------


@irdl_op_definition
class AcceleratorOp(IRDLOperation):
    """One streaming accelerator: the hardware boundary between host and FPGA.

    Operands and results are tensors (what the host sends and receives); the
    body's block arguments are the corresponding input streams, one per
    operand with the same shape and element type, and `dataflow.yield` gives
    one output stream per result. The body is isolated from above: all
    parameters live in the layer ops' properties, nothing comes from the host
    except the streamed data. Layer names are unique within the body.
    """

    name = "dataflow.accelerator"
    sym_name = prop_def(SymbolNameConstraint())
    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    body = region_def("single_block")
    traits = traits_def(IsolatedFromAbove())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$sym_name `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs) $body"
    )

    def layers(self) -> list[LayerOp]:
        """The layer ops of the body, in order."""
        return [op for op in self.body.block.ops if isinstance(op, LayerOp)]

    def verify_(self) -> None:
        where = f"'{self.name}' @{self.sym_name.data}"
        if not self.inputs or not self.outputs:
            raise VerifyException(
                f"{where} needs at least one input and one output tensor, got "
                f"{len(self.inputs)} and {len(self.outputs)}"
            )
        args = self.body.block.args
        if len(args) != len(self.inputs):
            raise VerifyException(
                f"{where} has {len(self.inputs)} operand(s) but its body has {len(args)} "
                "block argument(s): one input stream per operand"
            )
        for index, (arg, operand) in enumerate(zip(args, self.inputs, strict=True)):
            if not same_data(arg.type, operand.type):
                raise VerifyException(
                    f"{where} block argument {index} has type {arg.type} but operand {index} "
                    f"is {operand.type}: the stream must have the tensor's shape and element "
                    "type"
                )
        if not isinstance(self.body.block.last_op, YieldOp):
            raise VerifyException(f"{where} body must end with 'dataflow.yield'")
        seen: set[str] = set()
        for layer in self.layers():
            if layer.layer_name is None:
                continue
            if layer.layer_name.data in seen:
                raise VerifyException(
                    f"{where} has two layers named \"{layer.layer_name.data}\": layer names "
                    "must be unique (they key folding configs and name the C++ objects)"
                )
            seen.add(layer.layer_name.data)


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends a `dataflow.accelerator`: one output stream per accelerator result."""

    name = "dataflow.yield"
    values = var_operand_def(StreamType)
    traits = traits_def(IsTerminator(), HasParent(AcceleratorOp))
    assembly_format = "attr-dict ($values^ `:` type($values))?"

    def verify_(self) -> None:
        accelerator = self.parent_op()
        if not isinstance(accelerator, AcceleratorOp):
            return
        results = accelerator.outputs
        if len(self.values) != len(results):
            raise VerifyException(
                f"'{self.name}' yields {len(self.values)} stream(s) but the enclosing "
                f"'dataflow.accelerator' has {len(results)} result(s)"
            )
        for index, (value, result) in enumerate(zip(self.values, results, strict=True)):
            if not same_data(value.type, result.type):
                raise VerifyException(
                    f"'{self.name}' operand {index} has type {value.type} but accelerator "
                    f"result {index} is {result.type}: shapes and element types must match"
                )


# ---------------------------------------------------------------------------
# Boundary ops: tensors <-> streams before partitioning
# ---------------------------------------------------------------------------


class BoundaryOp(IRDLOperation):
    """A tensor <-> stream boundary: same shape and element type, identity on values.

    `convert-quant-to-dataflow` puts them around the layers it creates, so
    that the converted function verifies and runs with the host ops still in
    place; `dataflow-partition` turns the boundaries of the outlined chain
    into the accelerator's operands and results. They live on the host, never
    inside an accelerator (whose body is all streams).
    """

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def verify_(self) -> None:
        stream, tensor = (
            (self.output, self.input) if isinstance(self, ToStreamOp) else (self.input, self.output)
        )
        if not same_data(stream.type, tensor.type):
            raise VerifyException(
                f"'{self.name}' stream {stream.type} and tensor {tensor.type} must have the same "
                "shape and element type"
            )
        parent = self.parent_op()
        while parent is not None:
            if isinstance(parent, AcceleratorOp):
                raise VerifyException(
                    f"'{self.name}' cannot be inside a 'dataflow.accelerator': the "
                    "accelerator's operands and results are its tensor boundary"
                )
            parent = parent.parent_op()


@irdl_op_definition
class ToStreamOp(BoundaryOp):
    """`%s = dataflow.to_stream %t : tensor<...> -> !dataflow.stream<...>`: a tensor as a stream."""

    name = "dataflow.to_stream"
    input = operand_def(TensorType)
    output = result_def(StreamType)


@irdl_op_definition
class FromStreamOp(BoundaryOp):
    """`%t = dataflow.from_stream %s : !dataflow.stream<...> -> tensor<...>`: a stream's values."""

    name = "dataflow.from_stream"
    input = operand_def(StreamType)
    output = result_def(TensorType)


# ---------------------------------------------------------------------------
# Legality: every layer reads the fold its input stream carries
# ---------------------------------------------------------------------------


def check_stream_widths(root: Operation) -> None:
    """Raise a VerifyException at the first layer under `root` that reads one of its input
    streams in another fold than the stream carries: such a pair needs a `dataflow.dwc`.

    `dataflow-insert-dwc` guarantees this; hardware generation must require it.
    """
    for op in root.walk():
        if not isinstance(op, LayerOp):
            continue
        for index, stream in enumerate(op.in_streams):
            fold, wanted = stream.type.fold.data, op.read_fold(index)  # type: ignore[attr-defined]
            if fold == wanted:
                continue
            label = f" '{op.layer_name.data}'" if op.layer_name is not None else ""
            which = f" {index}" if len(op.in_streams) > 1 else ""
            param = op.READ_FOLD_PARAMETER
            fix = f"set {param} to {fold}" if param else "change the folding"
            raise VerifyException(
                f"'{op.name}'{label} input stream{which} fold ({fold}) does not match "
                f"{param or 'the fold it reads'} ({wanted}): {fix} or insert a data width "
                "converter (dataflow.dwc) before this layer (dataflow-insert-dwc)"
            )


Dataflow = Dialect(
    "dataflow",
    [AcceleratorOp, YieldOp, ToStreamOp, FromStreamOp, MVAUOp, ThresholdingOp, LabelSelectOp,
     DWCOp, SlidingWindowOp, PadOp, MaxPoolOp, ReshapeOp],
    [StreamType],
)
