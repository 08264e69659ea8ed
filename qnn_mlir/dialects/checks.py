"""Verifier helpers shared by the op definitions: shapes, element types, properties.

Each helper raises a VerifyException whose message names the op and the
numbers involved, so that every verifier reads as a list of rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import AnyFloat, DenseArrayBase, TensorType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.dialects.datatypes import is_quant_element_type
from qnn_mlir.dialects.shapes import broadcast_shapes


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
    value = op.properties[name].value.data  # type: ignore[union-attr]
    if value != value or value in (float("inf"), float("-inf")):
        raise VerifyException(f"'{op.name}' {name} must be a finite number, got {value}")
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
