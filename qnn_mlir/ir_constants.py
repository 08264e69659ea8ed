"""numpy <-> `arith.constant dense<...>` conversions used by the importer and passes."""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    IntegerType,
    Signedness,
    TensorType,
    f32,
)
from xdsl.ir import Attribute, SSAValue


def numpy_dtype(element_type: Attribute) -> np.dtype:
    """The little-endian numpy dtype in which xDSL stores dense elements of this type."""
    if isinstance(element_type, Float32Type):
        return np.dtype("<f4")
    if isinstance(element_type, Float64Type):
        return np.dtype("<f8")
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        storage = 8 if width <= 8 else 16 if width <= 16 else 32 if width <= 32 else 64
        signed = element_type.signedness.data != Signedness.UNSIGNED
        return np.dtype(f"<{'i' if signed else 'u'}{storage // 8}")
    raise ValueError(f"no dense storage for element type {element_type}")


def dense_attr(array: np.ndarray, element_type: Attribute = f32) -> DenseIntOrFPElementsAttr:
    """A dense elements attribute holding `array` as `element_type`."""
    storage = np.ascontiguousarray(array, dtype=numpy_dtype(element_type))
    return DenseIntOrFPElementsAttr(
        TensorType(element_type, array.shape), BytesAttr(storage.tobytes())
    )


def dense_to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The values of a dense attribute as a (read-only) numpy array of its shape."""
    dtype = numpy_dtype(attr.get_element_type())
    shape = attr.get_shape()
    array = np.frombuffer(attr.data.data, dtype=dtype)
    element_type = attr.get_element_type()
    if isinstance(element_type, IntegerType) and element_type.width.data == 1:
        # xDSL stores the i1 `true` of textual IR as 0xff: a bit is "not zero".
        array = (array != 0).astype(dtype)
    if array.size == 1 and np.prod(shape) != 1:  # a splat
        return np.broadcast_to(array, shape)
    return array.reshape(shape)


def make_constant(array: np.ndarray, element_type: Attribute = f32) -> arith.ConstantOp:
    """`arith.constant dense<array>` of the given element type."""
    return arith.ConstantOp(dense_attr(array, element_type))


def splat_value(array: np.ndarray | None) -> float | None:
    """The single value of an array whose elements are all equal, else None."""
    if array is None or array.size == 0 or not np.all(array == array.flat[0]):
        return None
    return float(array.flat[0])


def constant_array(value: SSAValue) -> np.ndarray | None:
    """The numpy value of `value` if an arith.constant with dense elements defines it."""
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, DenseIntOrFPElementsAttr):
        return dense_to_numpy(owner.value)
    return None
