"""Run single ops outside a function: constant subgraphs and the chains passes fold.

Passes that must reproduce the interpreter bit for bit (streamline's threshold
search, the equivalence check) evaluate ops with the interpreter's own
implementations rather than with a second copy of the math. A value is
*constant* when an `arith.constant` defines it or a quant op computes it from
constants only (for example the `quant.int_quant` of an `Int32Bias`, whose
input, scale and zero point are all initializers).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter
from xdsl.ir import Operation, SSAValue

from qnn_mlir.ir_constants import constant_array


@cache
def _op_interpreter() -> Interpreter:
    from qnn_mlir.interpreter import make_interpreter

    return make_interpreter(ModuleOp([]))


def run_op(op: Operation, args: Sequence[Any]) -> tuple[Any, ...]:
    """The results of `op` on `args`, as the interpreter computes them."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return tuple(_op_interpreter().run_op(op, tuple(args)))


def is_constant(value: SSAValue) -> bool:
    """Whether `value` is computed from constants only (without evaluating it)."""
    from qnn_mlir.dialects import quant

    owner = value.owner
    if isinstance(owner, arith.ConstantOp):
        return constant_array(value) is not None
    return (isinstance(owner, quant.QuantOp) and bool(owner.operands)
            and all(is_constant(operand) for operand in owner.operands))


def constant_value(value: SSAValue) -> np.ndarray | None:
    """The value of a constant, as the interpreter holds it (float32 or int64), else None."""
    if not is_constant(value):
        return None
    array = constant_array(value)
    if array is not None:
        floating = np.issubdtype(array.dtype, np.floating)
        return np.asarray(array, dtype=np.float32 if floating else np.int64)
    owner = value.owner
    assert isinstance(owner, Operation)
    args = [constant_value(operand) for operand in owner.operands]
    return np.asarray(run_op(owner, args)[value.index])  # type: ignore[attr-defined]
