"""Reference semantics of the quant dialect, on numpy arrays.

Each op runs its function of `qnn_runtime.host_ops` (the numpy semantics the
generated host code of a deployment calls too) with the static arguments the
table `host_calls.py` reads from the op. The conventions are host_ops':

* a value is a numpy array holding the mathematical values; float tensors are
  float32, computed in float32 in the order ONNX Runtime uses, so that the
  QONNX form matches qonnx's `execute_onnx` bit for bit;
* activations carry a leading batch dimension that may be larger than the
  IR's dim 0 (normally 1): a batch of images flows through each op at once.
  Constants have exactly their IR shape. Ops whose shape rule touches dim 0
  (reshape, transpose) scale it by the batch factor.

The semantics functions stay importable from here (`ROUNDING`, `conv2d`, ...).
"""

from __future__ import annotations

import numpy as np
from qnn_runtime import host_ops
from qnn_runtime.host_ops import (
    IM2COL_CHUNK_ELEMENTS,
    ROUNDING,
    batched_shape,
    conv2d,
    int_quant_levels,
    maxpool2d,
    multithreshold,
)
from xdsl.interpreter import register_impls

from qnn_mlir.dialects import quant
from qnn_mlir.interpreter.host_calls import HOST_CALLS, host_call_functions, is_float_result

__all__ = ["IM2COL_CHUNK_ELEMENTS", "ROUNDING", "QuantFunctions", "as_result_type",
           "batched_shape", "conv2d", "float_operands", "int_quant_levels", "int_quant_op_levels",
           "is_float_result", "maxpool2d", "multithreshold"]


def int_quant_op_levels(op: quant.IntQuantOp, x, scale, zeropt):
    """`int_quant_levels` with the bit width, signedness and rounding of `op`."""
    _, kwargs = HOST_CALLS[quant.IntQuantOp](op)
    return int_quant_levels(x, scale, zeropt, **kwargs)


def as_result_type(op, array: np.ndarray, index: int = 0) -> np.ndarray:
    """Values in the interpreter's representation of the result type: float32 for
    floats, int64 for integer and bipolar tensors."""
    return host_ops.result_values(array, is_float_result(op, index))


def float_operands(op, args) -> tuple:
    """For an op with a float result, integer operands become float32 first (exact below
    2^24), so that the arithmetic is the float32 arithmetic of the QONNX form."""
    return host_ops.float32_operands(*args) if is_float_result(op) else args


@register_impls
class QuantFunctions(host_call_functions(quant.Quant.operations)):
    """numpy implementations of every quant op: its host_ops function (host_calls.py)."""
