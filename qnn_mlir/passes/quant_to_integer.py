"""quant-to-integer: fake-quantized float tensors become integer tensors.

* A quantizer of a constant (weights) becomes an integer constant of its levels
  (bipolar weights: si2 holding -1/+1); its scale moves behind the consumer
  matmul as a per-output-channel `quant.mul`, which is what a matmul allows.
* A quantizer of a computed tensor (an activation) becomes a
  `quant.multithreshold` with float thresholds and an integer result holding
  the level minus the zero point, followed by `quant.mul` by the scale when the
  scale is not 1. The thresholds are found by exact search over all float32
  inputs (threshold_search.py), so the rounding mode and its ties are kept.
* A matmul whose operands are now integer computes the exact integer
  accumulator in the narrowest type that holds its range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp, StringAttr, TensorType, f32
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from qnn_mlir.diagnostics import location_text
from qnn_mlir.dialects import quant
from qnn_mlir.dialects.checks import level_bounds
from qnn_mlir.dialects.datatypes import (
    BipolarType,
    integer_type_for,
    padded_element_type,
    value_range,
)
from qnn_mlir.dialects.datatypes import integer_bounds as bounds
from qnn_mlir.interpreter.quant import int_quant_op_levels
from qnn_mlir.ir_constants import constant_array, make_constant, splat_value
from qnn_mlir.passes.threshold_search import float_thresholds

MAX_THRESHOLDS = 2**16 - 1
"""Thresholds per channel of the widest activation quantizer that becomes a multithreshold:
a 16-bit one. Wider ones would need millions of thresholds (a 32-bit one 32 GiB)."""


@dataclass
class IntegerWeights:
    """A quantized constant: integer levels and the float scale they multiply."""

    levels: np.ndarray
    element_type: Attribute
    scale: np.ndarray


def quantized_constant(op: Operation) -> IntegerWeights | None:
    """The integer form of a quantizer applied to a constant, else None."""
    if isinstance(op, quant.BipolarQuantOp):
        weights, scale = constant_array(op.input), constant_array(op.scale)
        if weights is None or scale is None:
            return None
        levels = np.where(weights >= 0, 1, -1).astype(np.int64)
        return IntegerWeights(levels, integer_type_for(-1, 1), scale.astype(np.float32))
    if isinstance(op, quant.IntQuantOp):
        weights, scale = constant_array(op.input), constant_array(op.scale)
        zeropt = constant_array(op.zeropt)
        if weights is None or scale is None or zeropt is None:
            return None
        bits, signed = op.bitwidth.value.data, bool(op.signed.value.data)
        narrow = bool(op.narrow.value.data)
        zero = _integral_zero_point(op, zeropt)
        levels = int_quant_op_levels(op, weights.astype(np.float32), scale, zeropt)
        low, high = level_bounds(bits, signed, narrow)
        element_type = integer_type_for(low - zero, high - zero)
        return IntegerWeights((levels - zero).astype(np.int64), element_type,
                              scale.astype(np.float32))
    return None


def _integral_zero_point(op: Operation, zeropt: np.ndarray | None) -> int:
    where = f"{location_text(op)}: '{op.name}' %{op.results[0].name_hint}"
    if zeropt is None:
        raise PassFailedException(f"{where}: the zero point is computed at run time; only "
                                  "constant zero points have an integer form")
    zero = splat_value(zeropt)
    if zero is None or zero != int(zero):
        raise PassFailedException(
            f"{where}: zero point {zeropt.tolist()} is not a single integer; only integer, "
            "per-tensor zero points have an integer form"
        )
    return int(zero)


def _weight_source(value: SSAValue) -> tuple[IntegerWeights, bool] | None:
    """A matmul weight operand that is a quantized constant, possibly transposed."""
    owner = value.owner
    transposed = False
    if isinstance(owner, quant.TransposeOp) and list(owner.perm.get_values()) == [1, 0]:
        owner, transposed = owner.input.owner, True
    if not isinstance(owner, Operation):
        return None
    weights = quantized_constant(owner)
    return None if weights is None else (weights, transposed)


def _per_output_scale(weights: IntegerWeights, transposed: bool, fan_out: int) -> np.ndarray:
    """The weight scale as a (1, MH) row, or raise if it varies along the fan-in."""
    scale = weights.scale
    if scale.size == 1:
        return scale.reshape(1, 1)
    # (MH, 1) per channel in the exporter's (MH, MW) layout, or (1, MH) after a transpose fold
    oriented = scale.T if transposed else scale
    if oriented.ndim == 2 and oriented.shape == (1, fan_out):
        return oriented
    raise PassFailedException(
        f"weight scale of shape {list(scale.shape)} varies along the fan-in; only per-tensor "
        "and per-output-channel weight scales can move behind a matmul"
    )


def activation_levels(op: Operation) -> tuple[int, int, int, np.ndarray, int]:
    """(lowest value, number of thresholds, step, scale, zero point) of an activation
    quantizer, whose integer values (level - zero point) are lowest + step * count."""
    scale = constant_array(op.scale)
    if scale is None or np.any(scale <= 0):
        raise PassFailedException(
            f"'{op.name}' ({op.results[0].name_hint}): the scale must be a positive constant"
        )
    if isinstance(op, quant.BipolarQuantOp):
        return -1, 1, 2, scale, 0
    assert isinstance(op, quant.IntQuantOp)
    bits, signed = op.bitwidth.value.data, bool(op.signed.value.data)
    zero = _integral_zero_point(op, constant_array(op.zeropt))
    if bits == 1 and signed:  # the levels -1 and +1: bipolar only when the zero point is 0
        return -1 - zero, 1, 2, scale, zero
    low, high = bounds(bits, signed, bool(op.narrow.value.data))
    return low - zero, high - low, 1, scale, zero


def _activation_counts(op: Operation, rank: int, per_channel: bool):
    """count(x) = level(x) - lowest level, evaluated as the interpreter does, for
    candidates of shape (K, C): C channels (axis 1 of a rank-`rank` tensor), or C = 1
    for a quantizer whose parameters are the same for every element."""
    scale = constant_array(op.scale)
    zeropt = constant_array(op.zeropt) if isinstance(op, quant.IntQuantOp) else None
    if not per_channel:  # one value, whatever the rank its constant was written with
        scale = scale.reshape(())
        zeropt = zeropt.reshape(()) if zeropt is not None and zeropt.size == 1 else zeropt

    def evaluate(x: np.ndarray) -> np.ndarray:
        full = x.reshape(x.shape + (1,) * (rank - 2)) if per_channel else x
        if isinstance(op, quant.BipolarQuantOp):
            levels = np.where(full >= 0, 1, -1)
            low = -1
        else:
            bits, signed = op.bitwidth.value.data, bool(op.signed.value.data)
            narrow = bool(op.narrow.value.data)
            levels = int_quant_op_levels(op, full, scale, zeropt)
            low = level_bounds(bits, signed, narrow)[0]
        return np.asarray(levels - low, dtype=np.int64).reshape(len(x), -1)

    return evaluate


def _scale_axis(op: Operation, scale: np.ndarray, rank: int) -> bool:
    """Whether the scale varies per channel (axis 1); raise if it varies along another."""
    shape = (1,) * (rank - scale.ndim) + tuple(scale.shape)
    varying = [axis for axis, size in enumerate(shape) if size != 1]
    if varying and varying != [1]:
        raise PassFailedException(
            f"{location_text(op)}: '{op.name}' %{op.results[0].name_hint}: scale of shape "
            f"{list(scale.shape)} "
            f"varies along axis {varying}; only per-tensor or per-channel (axis 1) activation "
            "scales have an integer form")
    return bool(varying)


class QuantToInteger:
    """The rewrite, op by op in program order (producers before consumers)."""

    def __init__(self) -> None:
        self.rewriter = Rewriter()

    def run(self, module: ModuleOp) -> None:
        for op in list(module.walk()):
            if isinstance(op, quant.BipolarQuantOp | quant.IntQuantOp) and op.parent is not None:
                if constant_array(op.input) is None:
                    self.rewrite_activation(op)
            elif isinstance(op, quant.MatMulOp):
                self.rewrite_matmul(op)

    def rewrite_activation(self, op: Operation) -> None:
        low, count, step, scale, _ = activation_levels(op)
        if count > MAX_THRESHOLDS:
            raise PassFailedException(
                f"{location_text(op)}: '{op.name}' %{op.results[0].name_hint}: an activation "
                f"quantizer with {count + 1} levels needs {count} thresholds per channel; "
                f"integer activations have at most {MAX_THRESHOLDS.bit_length()} bits "
                f"({MAX_THRESHOLDS} thresholds)")
        shape = quant.shape_of(op.results[0])
        per_channel = _scale_axis(op, scale, len(shape))
        evaluate = _activation_counts(op, len(shape), per_channel)
        thresholds = float_thresholds(evaluate, shape[1] if per_channel else 1, count)
        # Two levels one apart (an unsigned 1-bit quantizer with zero point 1) are not bipolar.
        bipolar = (low, count, step) == (-1, 1, 2)
        result_type = TensorType(
            BipolarType() if bipolar else integer_type_for(low, low + step * count), shape)
        table = make_constant(thresholds, f32)
        table.result.name_hint = f"{op.results[0].name_hint}_thresholds"
        threshold_op = quant.MultiThresholdOp.build(
            operands=[op.input, table.result], result_types=[result_type],
            properties={
                "out_scale": FloatAttr(float(step), 64),
                "out_bias": FloatAttr(float(low), 64),
                "out_dtype": StringAttr("BIPOLAR" if bipolar else _finn_name(result_type)),
            },
        )
        threshold_op.location = op.location  # the ONNX node it came from names the layer
        new_ops: list[Operation] = [table, threshold_op]
        result: SSAValue = threshold_op.results[0]
        if not np.all(scale == 1) or _has_non_quant_user(op.results[0]):
            scale_const = make_constant(scale.astype(np.float32), f32)
            scale_const.result.name_hint = f"{op.results[0].name_hint}_scale"
            rescale = quant.MulOp.build(operands=[result, scale_const.result],
                                        result_types=[op.results[0].type])
            new_ops += [scale_const, rescale]
        name = op.results[0].name_hint
        self.rewriter.replace_op(op, new_ops, [new_ops[-1].results[0]])
        # The levels and, when there is one, the rescaled float value are the quantizer's
        # output in two representations: both keep its name (the check compares either).
        threshold_op.results[0].name_hint = name
        new_ops[-1].results[0].name_hint = name
        if new_ops[-1] is threshold_op:
            retype_layout_users(threshold_op.results[0])

    def rewrite_matmul(self, op: quant.MatMulOp) -> None:
        source = _weight_source(op.rhs)
        if source is None:
            return
        weights, transposed = source
        levels = weights.levels.T if transposed else weights.levels
        fan_out = levels.shape[1]
        scale = _per_output_scale(weights, transposed, fan_out)
        lhs, input_scale = self._integer_input(op.lhs)
        weight_const = make_constant(np.ascontiguousarray(levels), weights.element_type)
        name = op.result.name_hint or "matmul"
        weight_const.result.name_hint = f"{name}_weights"
        if lhs is None:  # float input: float matmul with integer-valued weights
            lhs_value, acc_type = op.lhs, op.result.type
        else:
            lhs_value = lhs
            low, high = _accumulator_range(lhs.type.element_type, levels)
            acc_type = TensorType(integer_type_for(low, high), quant.shape_of(op.result))
        matmul = quant.MatMulOp.build(operands=[lhs_value, weight_const.result],
                                      result_types=[acc_type])
        matmul.location = op.location
        new_ops: list[Operation] = [weight_const, matmul]
        total_scale = scale * np.float32(1.0 if input_scale is None else input_scale)
        if not np.all(total_scale == 1) or (lhs is not None and _has_non_quant_user(op.result)):
            scale_const = make_constant(total_scale.astype(np.float32), f32)
            rescale = quant.MulOp.build(operands=[matmul.results[0], scale_const.result],
                                        result_types=[op.result.type])
            scale_const.result.name_hint = f"{name}_scale"
            new_ops += [scale_const, rescale]
        self.rewriter.replace_op(op, new_ops, [new_ops[-1].results[0]])
        matmul.results[0].name_hint = name
        if new_ops[-1] is not matmul:
            new_ops[-1].results[0].name_hint = f"{name}_scaled"
        else:  # an integer accumulator: layout ops after it (a lowered conv's transpose back)
            retype_layout_users(matmul.results[0])

    def _integer_input(self, value: SSAValue) -> tuple[SSAValue | None, float | None]:
        """The integer tensor behind a matmul input: itself, or x in x * scalar, also
        seen through layout ops (a flatten or `x.view(...)` after an activation) and zero
        padding, which are then rebuilt on the integer tensor: moving a positive scalar
        factor across a reshape, transpose or max pool is exact, and so is moving any
        factor across a pad of 0 (0 * scale = 0: the integer tensor pads with 0)."""
        if not quant.is_float_tensor(value):
            return value, None
        layouts: list[Operation] = []
        while isinstance(value.owner, (*quant.LAYOUT_OPS, quant.PadOp)):
            if isinstance(value.owner, quant.PadOp) and value.owner.pad_value != 0:
                return None, None
            layouts.append(value.owner)
            value = value.owner.input
        owner = value.owner
        if not isinstance(owner, quant.MulOp) or quant.is_float_tensor(owner.lhs):
            return None, None
        scale = splat_value(constant_array(owner.rhs))
        if scale is None or (layouts and scale <= 0):
            return None, None
        integer = owner.lhs
        for layout in reversed(layouts):
            element = layout_result_element(layout, quant.tensor_type(integer).element_type)
            if element is None:  # a zero pad of integers that do not hold 0
                return None, None
            rebuilt = type(layout).build(
                operands=[integer], properties=dict(layout.properties),
                result_types=[TensorType(element, quant.shape_of(layout.results[0]))])
            rebuilt.results[0].name_hint = layout.results[0].name_hint
            rebuilt.location = layout.location  # a lowered conv's ops keep the layer's name
            self.rewriter.insert_op(rebuilt, InsertPoint.after(layout))
            integer = rebuilt.results[0]
        return integer, scale


def layout_result_element(op: Operation, element_type: Attribute) -> Attribute | None:
    """The element type of a layout op or zero pad applied to `element_type` values:
    unchanged, except that a pad may widen it (bipolar padded with 0 is si2); None when
    the pad value is not representable."""
    if isinstance(op, quant.PadOp):
        return padded_element_type(element_type, op.pad_value)
    return element_type


def retype_layout_users(value: SSAValue) -> None:
    """Layout ops and zero pads after a now-integer tensor carry its element type forward
    (a pad of a bipolar tensor with 0: si2)."""
    element_type = quant.tensor_type(value).element_type
    for use in list(value.uses):
        user = use.operation
        if not isinstance(user, (*quant.LAYOUT_OPS, quant.PadOp)):
            continue
        if isinstance(user, quant.PadOp) and user.pad_value != 0:
            continue
        result = user.results[0]
        new_element = layout_result_element(user, element_type)
        if new_element is not None and result.type.element_type != new_element:
            new_type = TensorType(new_element, quant.shape_of(result))
            retype_layout_users(Rewriter.replace_value_with_new_type(result, new_type))


def _has_non_quant_user(value: SSAValue) -> bool:
    """Users outside the quant dialect (func.return) need the float value itself: the
    integer-to-float edge is then an explicit multiplication by the scale, even if 1."""
    return any(not isinstance(use.operation, quant.QuantOp) for use in value.uses)


def _accumulator_range(element_type: Attribute, weights: np.ndarray) -> tuple[int, int]:
    low, high = value_range(element_type)
    positive, negative = np.clip(weights, 0, None), np.clip(weights, None, 0)
    column_high = high * positive.sum(axis=0) + low * negative.sum(axis=0)
    column_low = low * positive.sum(axis=0) + high * negative.sum(axis=0)
    return int(column_low.min()), int(column_high.max())


def _finn_name(tensor: TensorType) -> str:
    element = tensor.element_type
    unsigned = element.signedness.data.name == "UNSIGNED"
    return f"{'UINT' if unsigned else 'INT'}{element.width.data}"


@dataclass(frozen=True)
class QuantToIntegerPass(ModulePass):
    """Turn fake-quantized float tensors into integer tensors.

    Weight quantizers become integer constants whose scale moves behind the
    matmul; activation quantizers become multithresholds with exact float
    thresholds and integer results (times their scale if it is not 1); matmuls
    of integer operands compute exact integer accumulators. Outputs are
    unchanged bit for bit where the scales are 1 or powers of two.
    """

    name = "quant-to-integer"
    exact: ClassVar[bool] = False
    """A float32 matmul of fake-quantized values becomes an exact integer accumulator
    times the scale: float values change within float rounding (docs/checking.md)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        QuantToInteger().run(op)
        from qnn_mlir.passes.quant_canonicalize import QuantCanonicalize

        QuantCanonicalize().apply(ctx, op)
