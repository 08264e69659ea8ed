"""streamline: fold the float ops in front of every multithreshold into its thresholds.

After quant-to-integer, each activation is `multithreshold(f(acc))`, where acc is
an integer accumulator and f a chain of float ops with constant operands:
the weight scale (`quant.mul`), BatchNorm, biases (`quant.add`/`quant.sub`),
divisions, ReLU. The same holds for the input quantizer, whose chain starts at
the float input (x * 2 - 1 in bnn_pynq). This pass replaces the chain and the
multithreshold with one multithreshold on acc itself:

* integer source: thresholds are integers in the accumulator's range, found by
  exact search (threshold_search.py) over [acc_min, acc_max + 1] per channel,
  which is BatchNorm-to-affine, absorbing mul/add, ceil and clip in one step;
* channels where f decreases (a negative BatchNorm gamma or scale): the
  channel's weight column is negated (a bipolar column flipped), so that the
  folded function increases, as FINN folds negative factors into the weights;
* float source: thresholds are float32 values found over all finite floats.

The result is bit-identical: count(acc) >= k exactly when acc >= T_k.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerType, ModuleOp, Signedness, f32
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from qnn_mlir.dialects import quant
from qnn_mlir.dialects.datatypes import integer_type_for, value_range
from qnn_mlir.interpreter.quant import QuantFunctions
from qnn_mlir.ir_constants import constant_array, make_constant
from qnn_mlir.passes.threshold_search import (
    check_monotone,
    direction,
    float_thresholds,
    search_thresholds,
)

THRESHOLD_TYPE = IntegerType(32, Signedness.SIGNED)
"""Element type of integer thresholds (accumulators stay far below 2^31)."""

FOLDABLE = (quant.MulOp, quant.AddOp, quant.SubOp, quant.DivOp, quant.BatchNormOp, quant.ReluOp)
"""Float ops with one computed operand that a threshold search can absorb."""

_IMPLS = {
    quant.MulOp: QuantFunctions.run_mul,
    quant.AddOp: QuantFunctions.run_add,
    quant.SubOp: QuantFunctions.run_sub,
    quant.DivOp: QuantFunctions.run_div,
    quant.BatchNormOp: QuantFunctions.run_batchnorm,
    quant.ReluOp: QuantFunctions.run_relu,
    quant.MultiThresholdOp: QuantFunctions.run_multithreshold,
}


def _computed_operand(op: Operation) -> SSAValue | None:
    """The one operand that is not a constant, if there is exactly one."""
    computed = [v for v in op.operands if constant_array(v) is None]
    return computed[0] if len(computed) == 1 else None


def trace_chain(threshold: quant.MultiThresholdOp) -> tuple[SSAValue, list[Operation]]:
    """Walk up from a multithreshold through single-use foldable float ops.

    Returns the source value (the first non-foldable value) and the chain,
    source side first, ending with the multithreshold itself.
    """
    chain: list[Operation] = [threshold]
    value = threshold.input
    while True:
        owner = value.owner
        if not isinstance(owner, FOLDABLE) or value.uses.get_length() != 1:
            break
        operand = _computed_operand(owner)
        if operand is None:
            break
        chain.append(owner)
        value = operand
    chain.reverse()
    return value, chain


def chain_evaluator(source: SSAValue, chain: list[Operation], channels: int
                    ) -> Callable[[np.ndarray], np.ndarray]:
    """count(candidates): run the chain with the interpreter's numpy semantics.

    Candidates have shape (K, C): K values for each of the C channels of the
    (1, C) tensor; the batch dimension carries the K candidates.
    """
    threshold = chain[-1]
    out_scale = threshold.out_scale.value.data
    out_bias = threshold.out_bias.value.data
    integer = not quant.is_float_tensor(source)
    shape = quant.shape_of(source)

    def evaluate(candidates: np.ndarray) -> np.ndarray:
        values = candidates.astype(np.int64 if integer else np.float32)
        if channels == 1 and shape[1] != 1:
            values = np.broadcast_to(values, (values.shape[0], shape[1]))
        current = np.ascontiguousarray(values)
        for op in chain:
            computed = _computed_operand(op)
            args = tuple(current if v is computed else _interpreter_value(v) for v in op.operands)
            current = _IMPLS[type(op)](QuantFunctions(), None, op, args).values[0]
        counts = np.rint((np.asarray(current, dtype=np.float64) - out_bias) / out_scale)
        counts = counts.astype(np.int64)
        return counts[:, :1] if channels == 1 else counts

    return evaluate


def _interpreter_value(value: SSAValue) -> np.ndarray:
    """A constant as the interpreter holds it: float32 or int64."""
    array = constant_array(value)
    assert array is not None
    return array.astype(np.float32 if np.issubdtype(array.dtype, np.floating) else np.int64)


def _weights_of(source: SSAValue) -> tuple[Operation, np.ndarray] | None:
    """The integer matmul and its weight array behind an accumulator, if any."""
    owner = source.owner
    if isinstance(owner, quant.MatMulOp | quant.XnorPopcountOp):
        weights = constant_array(owner.rhs)
        if weights is not None:
            return owner, weights
    return None


def accumulator_bounds(source: SSAValue) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel [low, high] of an integer source: exact for a matmul, else its type."""
    channels = quant.shape_of(source)[1]
    found = _weights_of(source)
    if found is not None and isinstance(found[0], quant.MatMulOp):
        low, high = value_range(quant.tensor_type(found[0].lhs).element_type)
        weights = found[1].astype(np.int64)
        positive, negative = np.clip(weights, 0, None), np.clip(weights, None, 0)
        return (low * positive.sum(0) + high * negative.sum(0),
                high * positive.sum(0) + low * negative.sum(0))
    low, high = value_range(quant.tensor_type(source).element_type)
    return np.full(channels, low, dtype=np.int64), np.full(channels, high, dtype=np.int64)


class Streamliner:
    """Folds every foldable multithreshold chain, in program order."""

    def __init__(self) -> None:
        self.rewriter = Rewriter()

    def run(self, module: ModuleOp) -> None:
        for op in list(module.walk()):
            if isinstance(op, quant.MultiThresholdOp) and op.parent is not None:
                self.fold(op)

    def fold(self, threshold: quant.MultiThresholdOp) -> None:
        source, chain = trace_chain(threshold)
        if len(quant.shape_of(source)) != 2:
            return  # convolutions (rank 4) are folded once lower-conv exists
        levels = quant.shape_of(threshold.thresholds)[1]
        if quant.is_float_tensor(source):
            if len(chain) == 1:
                return  # already a float multithreshold on its source
            channels = quant.shape_of(threshold.thresholds)[0]
            evaluate = chain_evaluator(source, chain, channels)
            table = make_constant(float_thresholds(evaluate, channels, levels), f32)
        else:
            table = make_constant(self._integer_thresholds(source, chain, levels), THRESHOLD_TYPE)
        table.result.name_hint = f"{threshold.output.name_hint}_thresholds"
        folded = quant.MultiThresholdOp.build(
            operands=[source, table.result], result_types=[threshold.output.type],
            properties=dict(threshold.properties),
        )
        self.rewriter.insert_op([table, folded], InsertPoint.before(threshold))
        name = threshold.output.name_hint
        threshold.output.replace_all_uses_with(folded.output)
        folded.output.name_hint = name
        for op in reversed(chain):
            if all(not r.uses for r in op.results):
                self.rewriter.erase_op(op)

    def _integer_thresholds(self, source: SSAValue, chain: list[Operation],
                            levels: int) -> np.ndarray:
        channels = quant.shape_of(source)[1]
        low, high = accumulator_bounds(source)
        evaluate = chain_evaluator(source, chain, channels)
        where = f"'{chain[-1].output.name_hint}'"
        bad = check_monotone(evaluate, low, high)
        if bad is not None:
            raise PassFailedException(
                f"streamline: the activation {where} is not monotone in its accumulator on "
                f"channel(s) {bad.tolist()[:8]}; it cannot become a multithreshold"
            )
        falling = direction(evaluate, low, high) < 0
        if falling.any():
            self._negate_columns(source, falling, where)
            low, high = np.where(falling, -high, low), np.where(falling, -low, high)
            sign = np.where(falling, -1, 1)
            inner = evaluate
            evaluate = lambda x: inner(x * sign)  # noqa: E731 - a one-line view
        return search_thresholds(evaluate, low, high, levels)

    def _negate_columns(self, source: SSAValue, falling: np.ndarray, where: str) -> None:
        """acc_c -> -acc_c by negating weight column c (flipping a bipolar column)."""
        found = _weights_of(source)
        if found is None or source.uses.get_length() != 1 or found[0].rhs.uses.get_length() != 1:
            raise PassFailedException(
                f"streamline: the activation {where} decreases with its input on channel(s) "
                f"{np.nonzero(falling)[0].tolist()[:8]} (a negative scale or BatchNorm gamma), "
                "and the weights behind it cannot be negated (shared or not constant)"
            )
        matmul, weights = found
        negated = np.where(falling[None, :], -weights.astype(np.int64), weights)
        element = quant.tensor_type(matmul.rhs).element_type
        low, high = value_range(element)
        if negated.min() < low or negated.max() > high:
            element = integer_type_for(int(negated.min()), int(negated.max()))
        constant = make_constant(negated, element)
        constant.result.name_hint = matmul.rhs.name_hint
        self.rewriter.insert_op(constant, InsertPoint.before(matmul))
        old = matmul.rhs.owner
        matmul.operands = [matmul.operands[0], constant.result]
        if isinstance(old, Operation) and not old.results[0].uses:
            self.rewriter.erase_op(old)


@dataclass(frozen=True)
class Streamline(ModulePass):
    """Fold the float ops in front of each multithreshold into its thresholds.

    Integer sources get integer thresholds clipped to the accumulator range
    (BatchNorm, scales, biases and ReLU absorbed; decreasing channels flip their
    weight column); the input quantizer absorbs the float prologue (x * 2 - 1)
    into float thresholds. Bit-identical by construction.
    """

    name = "streamline"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        Streamliner().run(op)
        from qnn_mlir.passes.quant_canonicalize import QuantCanonicalize

        QuantCanonicalize().apply(ctx, op)
