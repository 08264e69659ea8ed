"""Verifier helpers shared by the op definitions: shapes, element types, properties,
and the values of constant quantizer parameters.

Each helper raises a VerifyException whose message names the op and the
numbers involved, so that every verifier reads as a list of rules. The rules
on parameter values are also plain functions returning the problem in words
(`scale_problem`, `zero_point_problem`), so that the QCDQ importer applies the
same rules to QuantizeLinear/DequantizeLinear before they become `int_quant`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import AnyFloat, DenseArrayBase, TensorType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.datatypes import integer_bounds, is_quant_element_type
from qnn_mlir.dialects.shapes import broadcast_shapes
from qnn_mlir.ir_constants import constant_array

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)
LARGEST_QUANTIZED = 2.0**32
"""The largest magnitude a quantizer may output (its largest level - zero point, times the
scale). Beyond float32's maximum the quantizer itself would output inf; the layers after
it multiply and sum its values in float32, so the limit keeps that headroom. No trained
network comes near it: an 8-bit quantizer with scale 100 outputs at most 12800.
tools/fuzzing judges quantizers by the same limit."""


def is_float_tensor(value: SSAValue) -> bool:
    """True if `value` is a tensor of floats (whose zero has a sign)."""
    return isinstance(value.type, TensorType) and isinstance(value.type.element_type, AnyFloat)


def tensor_type(value: SSAValue) -> TensorType[Attribute]:
    """The ranked tensor type of `value`; raises a VerifyException otherwise."""
    if not isinstance(value.type, TensorType):
        raise VerifyException(f"expected a ranked tensor, got {value.type}")
    return value.type


def shape_of(value: SSAValue) -> tuple[int, ...]:
    """The static shape of a ranked tensor value."""
    return tuple(tensor_type(value).get_shape())


def check_element_types(op: IRDLOperation) -> None:
    for value in (*op.operands, *op.results):
        tensor = tensor_type(value)
        if any(d < 0 for d in tensor.get_shape()):
            raise VerifyException(
                f"'{op.name}' needs static shapes, got {tensor}: dynamic dimensions are "
                "not supported; export the model with a fixed input shape"
            )
        element_type = tensor.element_type
        if not is_quant_element_type(element_type):
            raise VerifyException(
                f"'{op.name}' does not support element type {element_type}: "
                "expected a float, an integer or !quant.bipolar"
            )


def check_result_shape(op: IRDLOperation, expected: Sequence[int], result_index: int = 0):
    actual = shape_of(op.results[result_index])
    if tuple(actual) != tuple(expected):
        raise VerifyException(
            f"'{op.name}' result shape {list(actual)} does not match the "
            f"expected shape {list(expected)}"
        )


def check_broadcastable(op: IRDLOperation, name: str, value: SSAValue, target: Sequence[int]):
    try:
        merged = broadcast_shapes(shape_of(value), target)
    except ValueError:
        merged = None
    if merged != tuple(target):
        raise VerifyException(
            f"'{op.name}' operand '{name}' of shape {list(shape_of(value))} does not "
            f"broadcast to the input shape {list(target)}"
        )


def check_same_element_type(op: IRDLOperation, source: SSAValue, result: SSAValue) -> None:
    """Layout ops (reshape, transpose, maxpool, topk values) keep the element type."""
    source_type, result_type = tensor_type(source).element_type, tensor_type(result).element_type
    if source_type != result_type:
        raise VerifyException(
            f"'{op.name}' cannot change the element type: input has {source_type}, "
            f"result has {result_type}"
        )


def check_finite(op: IRDLOperation, name: str) -> float:
    """A float property that must be a finite number, also once computed in float32."""
    value = op.properties[name].value.data  # type: ignore[union-attr]
    if value != value or value in (float("inf"), float("-inf")):
        raise VerifyException(f"'{op.name}' {name} must be a finite number, got {value}")
    if abs(value) > FLOAT32_MAX:
        raise VerifyException(f"'{op.name}' {name} must be a finite number, got {value}, "
                              "which overflows float32")
    return value


def int_prop(op: IRDLOperation, name: str) -> int:
    return op.properties[name].value.data  # type: ignore[union-attr]


def array_prop(op: IRDLOperation, name: str) -> tuple[int, ...]:
    array = op.properties[name]
    if not isinstance(array, DenseArrayBase) or array.elt_type != i64:
        raise VerifyException(f"'{op.name}' {name} must be an array<i64: ...>, got {array}")
    return tuple(array.get_values())


def check_window_fits(op: IRDLOperation, out_h: int, out_w: int) -> None:
    if out_h < 1 or out_w < 1:
        raise VerifyException(
            f"'{op.name}' window is larger than the padded input (the output would be "
            f"{out_h}x{out_w}); use a smaller kernel or more padding"
        )


# ---------------------------------------------------------------------------
# Values of constant quantizer parameters
# ---------------------------------------------------------------------------


def _show(value: float) -> str:
    return f"{float(np.float32(value)):.8g}"


def _first_where(array: np.ndarray, bad: np.ndarray) -> str:
    """`value` or `value at index [i, j]`: the first element where `bad` holds."""
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    shown = _show(array[index])
    return shown if array.size == 1 else f"{shown} at index {list(index)}"


def level_bounds(bitwidth: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """[lowest, highest] level of an IntQuant; a 1-bit signed one is bipolar (-1, +1)."""
    return (-1, 1) if bitwidth == 1 and signed else integer_bounds(bitwidth, signed, narrow)


def describe_levels(bitwidth: int, signed: bool, narrow: bool) -> str:
    """`a 4-bit signed narrow quantizer`, for messages about its levels."""
    kind = "signed" if signed else "unsigned"
    return f"a {bitwidth}-bit {kind}{' narrow' if narrow else ''} quantizer"


def scale_problem(scale: np.ndarray, largest_level: float | None = None,
                  name: str = "scale") -> str | None:
    """Why `scale` cannot scale a quantizer, or None. Every element must be finite and
    > 0 (x / scale must mean something), a normal float32 (a subnormal one turns x / scale
    into inf and loses its own precision), and `largest_level` (the largest magnitude of
    level - zero point, when known) times it, the largest output, at most
    LARGEST_QUANTIZED."""
    values = np.asarray(scale, dtype=np.float64)
    invalid = ~np.isfinite(values) | (values <= 0)
    if invalid.any():
        return f"{name} must be finite and > 0, got {_first_where(values, invalid)}"
    subnormal = values < FLOAT32_SMALLEST_NORMAL
    if subnormal.any():
        return (f"{name} {_first_where(values, subnormal)} is below float32's smallest normal "
                f"number {_show(FLOAT32_SMALLEST_NORMAL)}: x / {name} overflows and the "
                f"{name} has lost precision; use a larger {name}")
    too_large = values * (largest_level or 0) > LARGEST_QUANTIZED
    if largest_level is not None and too_large.any():
        largest = float(values[too_large].max()) * largest_level
        why = ("overflows float32" if largest > FLOAT32_MAX else "leaves too little float32 "
               "range for the products and sums of the layers after it")
        return (f"{name} {_first_where(values, too_large)} times the largest level magnitude "
                f"{largest_level:.10g} is {largest:.3g}, which {why}; quantized magnitudes are "
                f"limited to 2^32 ({LARGEST_QUANTIZED:.0f}): use a smaller {name} or fewer bits")
    return None


def zero_point_problem(zeropt: np.ndarray, low: int | None = None, high: int | None = None,
                       levels: str = "") -> str | None:
    """Why `zeropt` cannot be a quantizer's zero point, or None: every element must be a
    finite integer and, when [low, high] is given, one of the `levels` (the zero point is
    the level that stands for 0.0)."""
    values = np.asarray(zeropt, dtype=np.float64)
    infinite = ~np.isfinite(values)
    if infinite.any():
        return f"zero point must be finite, got {_first_where(values, infinite)}"
    fractional = values != np.round(values)
    if fractional.any():
        return f"zero point must be an integer, got {_first_where(values, fractional)}"
    if low is None or high is None:
        return None
    outside = (values < low) | (values > high)
    if outside.any():
        return (f"zero point {_first_where(values, outside)} is outside [{low}, {high}], the "
                f"levels of {levels}; the zero point must be one of the levels")
    return None


def largest_level_magnitude(zeropt: SSAValue, low: int, high: int) -> float:
    """The largest |level - zero point| of a quantizer with levels [low, high]; the zero
    point counts as 0 when it is computed at run time."""
    zero = constant_array(zeropt)
    zero = np.zeros(1) if zero is None or zero.size == 0 else zero.astype(np.float64)
    return float(max(np.max(high - zero), np.max(zero - low)))


def check_constant_scale(op: IRDLOperation, name: str, value: SSAValue,
                         largest_level: float | None = 1) -> None:
    """A scale operand defined by a constant follows `scale_problem`'s rules; one computed
    at run time cannot be checked here (quant-to-integer requires a constant)."""
    array = constant_array(value)
    problem = None if array is None else scale_problem(array, largest_level, name)
    if problem is not None:
        raise VerifyException(f"'{op.name}' {problem}")


def check_constant_zero_point(op: IRDLOperation, value: SSAValue,
                              bounds: tuple[int, int, str] | None = None) -> None:
    """A zero point defined by a constant follows `zero_point_problem`'s rules;
    `bounds` is (low, high, description) of the levels it must be one of."""
    array = constant_array(value)
    problem = None if array is None else zero_point_problem(array, *(bounds or ()))
    if problem is not None:
        raise VerifyException(f"'{op.name}' {problem}")


def check_constant_thresholds(op: IRDLOperation, value: SSAValue) -> None:
    """Constant thresholds may be +-inf (a level always or never reached) but not NaN,
    which no comparison reaches or misses consistently."""
    array = constant_array(value)
    if array is None or not np.issubdtype(array.dtype, np.floating):
        return
    nan = np.isnan(array)
    if nan.any():
        raise VerifyException(
            f"'{op.name}' thresholds must not be NaN, got NaN at index "
            f"{[int(i) for i in np.argwhere(nan)[0]]}; +-inf are allowed")
