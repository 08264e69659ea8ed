"""convert-quant-to-dataflow: turn the integer form's streamable ops into dataflow layers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException, VerifyException

from qnn_mlir.diagnostics import location_text, source_module
from qnn_mlir.dialects import dataflow, quant
from qnn_mlir.dialects.datatypes import BipolarType, element_bits, element_range
from qnn_mlir.ir_constants import constant_array, dense_attr, dense_to_numpy

PASS_NAME = "convert-quant-to-dataflow"


# ---------------------------------------------------------------------------
# What can stream, and why not
# ---------------------------------------------------------------------------


def _element(value: SSAValue) -> Attribute:
    return quant.tensor_type(value).element_type


def _is_integer(value: SSAValue) -> bool:
    return element_range(_element(value)) is not None


def _constant(value: SSAValue) -> DenseIntOrFPElementsAttr | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, DenseIntOrFPElementsAttr):
        return owner.value
    return None


def _fake_quantized(value: SSAValue) -> bool:
    """Whether `value` is a QONNX fake quantizer's float output (through layout ops):
    quant-to-integer has not run on it."""
    while isinstance(value.owner, quant.LAYOUT_OPS):
        value = value.owner.input
    return isinstance(value.owner, quant.IntQuantOp | quant.BipolarQuantOp)


def _matrix_reason(op: quant.MatMulOp | quant.XnorPopcountOp) -> str | None:
    if _fake_quantized(op.lhs) or _fake_quantized(op.rhs):
        return ("its operands are still fake-quantized floats: run quant-to-integer first; "
                "the accelerator streams integers")
    weights = _constant(op.rhs)
    if weights is None:
        return "its weights are not a constant: an MVAU keeps its weights in on-chip memory"
    if not isinstance(weights.get_element_type(), IntegerType):
        return (f"its weights are {weights.get_element_type()} constants, not quantized: the "
                "model has no weight quantizer for this layer (use a QuantLinear)")
    if not _is_integer(op.lhs) or not _is_integer(op.result):
        name = f"%{op.lhs.name_hint} " if op.lhs.name_hint else ""
        return (f"its input {name}is {_element(op.lhs)}, not integers: the model does not "
                "quantize it with one scale per tensor (it has no quantizer in front of this "
                "layer, or one with a scale per channel), so the layer computes in float on "
                "the host; a per-tensor quantizer (QuantIdentity) in front of it lets it "
                "stream")
    if len(quant.shape_of(op.lhs)) < 2:
        return "its input has no batch dimension (rank 1)"
    if isinstance(op, quant.MatMulOp) and weights.get_element_type() == IntegerType(1):
        return ("its weights are i1, which the dataflow dialect reads as bipolar bits: give the "
                "matmul ui1 weights for {0, 1} values, or use quant.xnor_popcount")
    return None


def _activation_reason(op: quant.MultiThresholdOp) -> str | None:
    """Why the multithreshold's out_scale/out_bias is not a hardware activation, or None."""
    scale, bias = op.out_scale.value.data, op.out_bias.value.data
    steps = quant.shape_of(op.thresholds)[1]
    if isinstance(_element(op.output), BipolarType):
        if (scale, bias, steps) != (2.0, -1.0, 1):
            return (f"a bipolar result needs one threshold, out_scale 2 and out_bias -1; got "
                    f"{steps}, {scale} and {bias}")
        return None
    if scale != 1.0 or bias != int(bias):
        return (f"out_scale {scale} and out_bias {bias}: the hardware computes count + out_bias "
                "with an integer out_bias; move the scale to the host (streamline)")
    return None


def _thresholds_reason(op: quant.MultiThresholdOp) -> str | None:
    thresholds = _constant(op.thresholds)
    rank = len(quant.shape_of(op.input))
    if quant.channel_axis(op.data_layout.data, rank) != rank - 1:
        return ("its channels are not the innermost dimension (data_layout NCHW): streams "
                "carry channels innermost (NHWC)")
    if thresholds is None:
        return "its thresholds are not a constant"
    if not _is_integer(op.output):
        return f"its result is {_element(op.output)}: a layer outputs integers or bipolar values"
    t_type, x_type = thresholds.get_element_type(), _element(op.input)
    if isinstance(x_type, AnyFloat):
        if not (isinstance(x_type, Float32Type) and isinstance(t_type, Float32Type)):
            return f"a float input quantizer needs f32 input and thresholds, got {x_type}, {t_type}"
        if np.isnan(constant_array(op.thresholds)).any():  # type: ignore[arg-type]
            return "its thresholds contain NaN"
    elif not isinstance(t_type, IntegerType):
        return (f"its input is {x_type} but its thresholds are {t_type}: round them with ceil "
                "(streamline)")
    return _activation_reason(op)


def _topk_reason(op: quant.TopKOp) -> str | None:
    rank = len(quant.shape_of(op.input))
    if op.axis.value.data % rank != rank - 1:
        return "it selects along an outer axis; label_select works on the innermost one"
    if not op.largest.value.data:
        return "it selects the smallest values; label_select selects the largest"
    if op.values.uses:
        return "its values are used; label_select returns the indices only"
    if not _is_integer(op.input):
        return f"its scores are {_element(op.input)}, not integers"
    return None


def _feature_map_reason(op: quant.SlidingWindowOp | quant.PadOp | quant.MaxPoolOp
                        ) -> str | None:
    if not _is_integer(op.input):
        return (f"its input is {_element(op.input)}, not integers: the layer in front of it "
                "computes in float on the host")
    if isinstance(op, quant.PadOp) and op.pad_value != int(op.pad_value):
        return f"it pads with {op.pad_value}, which is not an integer"
    if isinstance(op, quant.MaxPoolOp):
        kernel, strides = op.kernel_shape.get_values(), op.strides.get_values()
        if not op.channels_last:
            return ("it pools an NCHW tensor: streams carry channels innermost (a max pool "
                    "after a lowered convolution pools channels-last)")
        if any(op.pads.get_values()):
            return "it pads its windows; the streaming max pool takes no padding"
        if any(s > k for s, k in zip(strides, kernel, strict=True)):
            return "its strides exceed its kernel: pixels between windows would be skipped"
    return None


def _reshape_reason(op: quant.ReshapeOp) -> str | None:
    in_shape, out_shape = quant.shape_of(op.input), quant.shape_of(op.output)
    if not _is_integer(op.input):
        return "it rearranges a float tensor, which stays on the host with the float ops"
    if not isinstance(op.input.owner, dataflow.FromStreamOp):
        return "it reshapes a host tensor, not a layer's output stream"
    if not in_shape or not out_shape or in_shape[0] != out_shape[0] or (
            out_shape[-1] % in_shape[-1]):
        return (f"it reshapes {list(in_shape)} to {list(out_shape)}: a stream can be viewed "
                "with a new shape only when the batch dimension stays and the new innermost "
                "dimension is a multiple of the old one (a flatten)")
    return None


def unconvertible_reason(op: Operation) -> str | None:
    """Why this pass leaves `op` on the host; None if it converts it (or it is not quant)."""
    if isinstance(op, quant.MatMulOp | quant.XnorPopcountOp):
        return _matrix_reason(op)
    if isinstance(op, quant.MultiThresholdOp):
        return _thresholds_reason(op)
    if isinstance(op, quant.TopKOp):
        return _topk_reason(op)
    if isinstance(op, quant.SlidingWindowOp | quant.PadOp | quant.MaxPoolOp):
        return _feature_map_reason(op)
    if isinstance(op, quant.ReshapeOp):
        return _reshape_reason(op)
    if isinstance(op, quant.ConvOp):
        return ("it is a convolution that lower-conv did not lower (see its diagnostic): it "
                "runs on the host in float")
    return None


def reads_float(op: Operation) -> bool:
    """Whether `op` is a layer whose input stream carries floats (the input quantizer's
    thresholding, or a converter in front of it)."""
    return isinstance(op, dataflow.LayerOp) and any(
        isinstance(stream.type.element_type, AnyFloat)  # type: ignore[attr-defined]
        for stream in op.in_streams)


def float_input_reason(op: Operation) -> str | None:
    """Why a layer that reads a float stream runs on the host (dataflow-partition's
    default, float-input=host); None for any other op."""
    if not reads_float(op):
        return None
    assert isinstance(op, dataflow.LayerOp)
    element = next(stream.type.element_type for stream in op.in_streams  # type: ignore
                   if isinstance(stream.type.element_type, AnyFloat))  # type: ignore
    if isinstance(op, dataflow.ThresholdingOp):
        out = op.out_type.element_type
        return (f"its input is float ({element}): quantizing on the host streams its "
                f"{element_bits(out)}-bit {out} output into the accelerator instead of "
                f"{element_bits(element)}-bit floats, and float comparators stay off the "
                "fabric")
    return (f"it reads a float stream ({element}), which stays on the host with the input "
            "quantizer: the accelerator streams integers")


def host_reason(op: Operation) -> str:
    """A sentence saying why `op` is host code rather than a streaming layer."""
    reason = unconvertible_reason(op) or float_input_reason(op)
    if reason is not None:
        return reason
    if isinstance(op, dataflow.ToStreamOp):
        return "it hands a host tensor to a layer that runs on the host (no hardware)"
    if isinstance(op, dataflow.FromStreamOp):
        return "it turns the stream of a layer that runs on the host into a tensor (no hardware)"
    if isinstance(op, quant.IntQuantOp | quant.BipolarQuantOp) and constant_array(
            op.operands[0]) is not None:
        users = ", ".join(sorted({f"%{u.operation.results[0].name_hint}" for u in
                                  op.results[0].uses if u.operation.results}))
        return f"it fake-quantizes the constant weights of {users or 'an op'}, on the host"
    floats = any(isinstance(r.type, TensorType) and isinstance(r.type.element_type, AnyFloat)
                 for r in op.results)
    if floats and isinstance(op, quant.ReshapeOp | quant.TransposeOp):
        return "it rearranges a float tensor, which stays on the host with the float ops"
    if isinstance(op, quant.TransposeOp):
        if tuple(op.perm.get_values()) == quant.TO_NHWC:
            return ("it reorders the image to channels-last (NHWC), the pixel order the "
                    "accelerator streams; a transpose of a whole frame cannot stream, so the "
                    "host does it (feed NHWC images to skip it)")
        return ("a transpose of a whole tensor cannot stream (it needs the whole frame "
                "before its first output); it runs on the host")
    if floats:
        return "it computes in float; float compute stays on the host"
    if isinstance(op, quant.ElementwiseBinaryOp):
        return (f"elementwise integer arithmetic ('{op.name}') has no streaming layer; it runs "
                "on the host, one operation per element")
    return f"no streaming layer implements '{op.name}'"


# ---------------------------------------------------------------------------
# Building the layers
# ---------------------------------------------------------------------------


class LayerNamer:
    """Readable, unique layer names from SSA name hints (`%fc0` -> "fc0")."""

    def __init__(self, module: ModuleOp):
        self.used = {op.layer_name.data for op in module.walk()
                     if isinstance(op, dataflow.LayerOp) and op.layer_name is not None}

    def name(self, hint: str | None, kind: str) -> StringAttr:
        """The hint made an identifier, or `<kind>_<n>`, made unique with a suffix."""
        base = re.sub(r"[^A-Za-z0-9_.]", "_", hint or "")
        if base[:1].isdigit():
            base = f"{kind}_{base}"
        numbered = not base
        base = base or kind
        candidate, index = (f"{base}_0" if numbered else base), 0
        while candidate in self.used:
            index += 1
            candidate = f"{base}_{index}"
        self.used.add(candidate)
        return StringAttr(candidate)


def _input_stream(value: SSAValue, consumer: Operation) -> SSAValue:
    """The stream a converted op reads: its producer layer's own stream if it is the only
    reader, else a new `dataflow.to_stream` of the tensor."""
    owner = value.owner
    if isinstance(owner, dataflow.FromStreamOp) and value.has_one_use():
        return owner.input
    tensor = quant.tensor_type(value)
    to_stream = dataflow.ToStreamOp.create(
        operands=[value],
        result_types=[dataflow.StreamType(tensor.element_type, tensor.get_shape(), 1)],
    )
    to_stream.location = consumer.location
    if value.name_hint:
        to_stream.output.name_hint = f"{value.name_hint}_stream"
    Rewriter.insert_op(to_stream, InsertPoint.before(consumer))
    return to_stream.output


def _thresholds_attr(op: quant.MultiThresholdOp) -> DenseIntOrFPElementsAttr:
    """The thresholds, each row sorted ascending (the count does not depend on the order)."""
    attr = _constant(op.thresholds)
    values = constant_array(op.thresholds)
    assert attr is not None and values is not None
    ordered = np.sort(values, axis=1)
    if np.array_equal(ordered, values):
        return attr
    return dense_attr(ordered, attr.get_element_type())


def _activation_props(op: quant.MultiThresholdOp) -> dict[str, Attribute]:
    props: dict[str, Attribute] = {"thresholds": _thresholds_attr(op)}
    bias = 0 if isinstance(_element(op.output), BipolarType) else int(op.out_bias.value.data)
    if bias:
        props["out_bias"] = IntegerAttr(bias, i64)
    return props


def _replace_with_layer(
    first: Operation, last_result: SSAValue, layer_cls: type[dataflow.StreamLayerOp],
    source: SSAValue, props: dict[str, Attribute], erased: list[Operation],
) -> None:
    """Insert `layer_cls` reading `source` before `first`; its from_stream replaces
    `last_result`; the ops in `erased` go (users first)."""
    tensor = quant.tensor_type(last_result)
    layer = layer_cls.create(
        operands=[_input_stream(source, first)],
        result_types=[dataflow.StreamType(tensor.element_type, tensor.get_shape(), 1)],
        properties=props,
    )
    try:
        layer.verify()
    except VerifyException as error:
        raise PassFailedException(
            f"{PASS_NAME}: cannot convert '{first.name}' at {location_text(first)}: {error}"
        ) from error
    # The stream carries the values of `last_result` (the activation when one is fused),
    # so it keeps that name: stages then compare value by value (equivalence.py).
    layer.output.name_hint = last_result.name_hint or dataflow.cxx_prefix(
        layer.layer_name.data)  # type: ignore[union-attr]
    from_stream = dataflow.FromStreamOp.create(operands=[layer.output], result_types=[tensor])
    from_stream.output.name_hint = layer.output.name_hint
    layer.location = from_stream.location = first.location  # diagnostics point at the source
    Rewriter.insert_op([layer, from_stream], InsertPoint.before(first))
    last_result.replace_all_uses_with(from_stream.output)
    for op in erased:
        operands = list(op.operands)
        Rewriter.erase_op(op)
        for operand in operands:  # weights and thresholds now live in the layer
            if isinstance(operand.owner, arith.ConstantOp) and not operand.uses:
                Rewriter.erase_op(operand.owner)


def _fusable_activation(op: Operation) -> quant.MultiThresholdOp | None:
    """The multithreshold that is the only user of the accumulator, if it can be absorbed."""
    uses = list(op.results[0].uses)
    if len(uses) != 1:
        return None
    user = uses[0].operation
    if isinstance(user, quant.MultiThresholdOp) and uses[0].index == 0:
        if _thresholds_reason(user) is None:
            return user
    return None


def _layer_weights(weights: DenseIntOrFPElementsAttr) -> DenseIntOrFPElementsAttr:
    """The MVAU's weights: integer weights that are all -1 or +1 become bipolar bits (i1,
    1 means +1), one bit per weight in memory instead of two."""
    if weights.get_element_type() == IntegerType(1):
        return weights
    values = dense_to_numpy(weights)
    if values.size and np.all(np.abs(values) == 1):
        return dense_attr((values > 0).astype(np.int8), IntegerType(1))
    return weights


def _convert_matrix(op: quant.MatMulOp | quant.XnorPopcountOp, namer: LayerNamer) -> None:
    weights = _constant(op.rhs)
    assert weights is not None
    weights = _layer_weights(weights)
    mw, mh = quant.shape_of(op.rhs)
    activation = _fusable_activation(op)
    hint = source_module(op) or op.result.name_hint or (
        activation.output.name_hint if activation else None)
    props: dict[str, Attribute] = {
        "name": namer.name(hint, "mvau"),
        "MW": IntegerAttr(mw, i64), "MH": IntegerAttr(mh, i64),
        "SIMD": IntegerAttr(1, i64), "PE": IntegerAttr(1, i64), "weights": weights,
    }
    if isinstance(op, quant.XnorPopcountOp):
        props["xnor"] = UnitAttr()
    if activation is None:
        _replace_with_layer(op, op.result, dataflow.MVAUOp, op.lhs, props, [op])
        return
    props.update(_activation_props(activation))
    _replace_with_layer(op, activation.output, dataflow.MVAUOp, op.lhs, props,
                        [activation, op])


def _convert(op: Operation, namer: LayerNamer) -> None:
    if unconvertible_reason(op) is not None:
        return
    if isinstance(op, quant.MatMulOp | quant.XnorPopcountOp):
        _convert_matrix(op, namer)
    elif isinstance(op, quant.MultiThresholdOp):
        props = {"name": namer.name(source_module(op) or op.output.name_hint, "thresholding"),
                 "PE": IntegerAttr(1, i64), **_activation_props(op)}
        _replace_with_layer(op, op.output, dataflow.ThresholdingOp, op.input, props, [op])
    elif isinstance(op, quant.TopKOp):
        props = {"name": namer.name(source_module(op) or op.indices.name_hint, "label_select"),
                 "K": op.k, "PE": IntegerAttr(1, i64)}
        _replace_with_layer(op, op.indices, dataflow.LabelSelectOp, op.input, props, [op])
    elif isinstance(op, quant.SlidingWindowOp | quant.PadOp | quant.MaxPoolOp):
        _convert_feature_map(op, namer)
    elif isinstance(op, quant.ReshapeOp):
        _replace_with_layer(op, op.output, dataflow.ReshapeOp, op.input, {}, [op])


def _convert_feature_map(op: quant.SlidingWindowOp | quant.PadOp | quant.MaxPoolOp,
                         namer: LayerNamer) -> None:
    """The window ops of a lowered convolution or pool, on NHWC streams, unfolded."""
    one = IntegerAttr(1, i64)
    layer_cls: type[dataflow.StreamLayerOp]
    if isinstance(op, quant.SlidingWindowOp):
        layer_cls, kind = dataflow.SlidingWindowOp, "sliding_window"
        props: dict[str, Attribute] = {"kernel": op.kernel, "strides": op.strides, "SIMD": one}
    elif isinstance(op, quant.PadOp):
        layer_cls, kind = dataflow.PadOp, "pad"
        props = {"pads": op.pads, "value": IntegerAttr(int(op.pad_value), i64), "SIMD": one}
    else:
        layer_cls, kind = dataflow.MaxPoolOp, "maxpool"
        props = {"kernel": op.kernel_shape, "strides": op.strides, "PE": one}
    # The window ops of a convolution share its module path with its MVAU: a suffix tells
    # them apart (`features.3_sliding_window`), or the kind prefix of a numeric path
    # (`sliding_window_1`, next to `mvau_1`, for an nn.Sequential index).
    name = source_module(op)
    if name and kind != "maxpool" and not name[:1].isdigit():
        name = f"{name}_{kind}"
    props["name"] = namer.name(name or op.output.name_hint, kind)
    _replace_with_layer(op, op.output, layer_cls, op.input, props, [op])


@dataclass(frozen=True)
class ConvertQuantToDataflow(ModulePass):
    """Turn the integer form's streamable ops into dataflow layers, unfolded (PE = SIMD = 1).

    - `quant.xnor_popcount` or an integer `quant.matmul` with constant weights
      becomes a `dataflow.mvau` (xnor mode for the popcount). A
      `quant.multithreshold` that is the accumulator's only user is absorbed
      as its activation; otherwise the MVAU outputs the accumulator.
    - Any other `quant.multithreshold` with channels innermost and constant
      thresholds becomes a `dataflow.thresholding`: f32 thresholds on an f32
      input (the input quantizer, which `dataflow-partition` keeps on the
      host by default), integer ones on an integer input.
    - `quant.topk` (largest, innermost axis, integer scores, only the indices
      used) becomes a `dataflow.label_select` with i64 indices.
    - The window ops of a lowered convolution on integer or bipolar NHWC
      tensors become streaming layers: `quant.pad` a `dataflow.pad` (with an
      integer value), `quant.sliding_window` a `dataflow.sliding_window`, a
      channels-last `quant.maxpool` without padding a `dataflow.maxpool`; the
      4-D matmul after a window becomes an MVAU over OH*OW vectors.
    - A `quant.reshape` of a layer's output that keeps the batch dimension and
      grows the innermost one (the flatten in front of the first fully
      connected layer) becomes a `dataflow.reshape` view of its stream.

    Each layer reads through `dataflow.to_stream` and writes through
    `dataflow.from_stream`; between two converted layers the pair is fused, so
    consecutive layers are connected by a stream and the function still
    verifies and computes the same values. Layers are named after the quant
    op's source: the module path of the ONNX node it was imported from
    (`features.2`, kept as the op's location), else its SSA name; names are
    made unique. Ops that cannot
    stream stay unchanged; `dataflow-partition` reports why. No options.
    """

    name = "convert-quant-to-dataflow"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        namer = LayerNamer(op)
        for function in [f for f in op.walk() if isinstance(f, func.FuncOp)]:
            for block in function.body.blocks:
                for candidate in list(block.ops):
                    if candidate.parent is not None:  # not erased by a fusion
                        _convert(candidate, namer)
                for dead in [o for o in block.ops if isinstance(o, dataflow.FromStreamOp)
                             and not o.output.uses]:
                    Rewriter.erase_op(dead)
