"""binarize-xnor: bipolar x bipolar matmuls become XNOR-popcounts.

With x, w in {-1, +1} encoded as bits b = (v + 1) / 2, the dot product is
x.w = 2P - K, where P = popcount(xnor(bx, bw)) counts agreements and K is the
fan-in. So `quant.matmul(x, W)` with a bipolar x and weights in {-1, +1}
becomes `quant.xnor_popcount(x, bits(W))`, and its users see the popcount:

* a multithreshold `acc >= T` becomes `P >= ceil((T + K) / 2)`;
* any other user gets acc back as `2 * P - K`, in integer ops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerType, ModuleOp, Signedness, TensorType
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from qnn_mlir.dialects import quant
from qnn_mlir.dialects.datatypes import BipolarType, integer_type_for
from qnn_mlir.ir_constants import constant_array, make_constant

BITS = IntegerType(1)


def popcount_thresholds(thresholds: np.ndarray, fan_in: int) -> np.ndarray:
    """acc >= T  <=>  P >= ceil((T + K) / 2), for acc = 2P - K and integer T."""
    return -((-(thresholds.astype(np.int64) + fan_in)) // 2)


class Binarizer:
    """Rewrites every eligible matmul, in program order."""

    def __init__(self) -> None:
        self.rewriter = Rewriter()

    def run(self, module: ModuleOp) -> None:
        for op in list(module.walk()):
            if isinstance(op, quant.MatMulOp) and op.parent is not None:
                self.binarize(op)

    def binarize(self, matmul: quant.MatMulOp) -> None:
        weights = constant_array(matmul.rhs)
        if (weights is None or not isinstance(quant.tensor_type(matmul.lhs).element_type,
                                              BipolarType)
                or not np.all(np.abs(weights) == 1)):
            return
        fan_in, fan_out = weights.shape
        bits = make_constant((weights > 0).astype(np.int8), BITS)
        bits.result.name_hint = matmul.rhs.name_hint
        shape = quant.shape_of(matmul.result)
        popcount_type = TensorType(IntegerType(fan_in.bit_length(), Signedness.UNSIGNED), shape)
        popcount = quant.XnorPopcountOp.build(operands=[matmul.lhs, bits.result],
                                              result_types=[popcount_type])
        popcount.location = matmul.location
        self.rewriter.insert_op([bits, popcount], InsertPoint.before(matmul))
        popcount.result.name_hint = matmul.result.name_hint
        accumulator = None
        for use in list(matmul.result.uses):
            user = use.operation
            if isinstance(user, quant.MultiThresholdOp) and use.index == 0:
                self._threshold_popcount(user, popcount.result, fan_in)
                continue
            if accumulator is None:
                accumulator = self._accumulator(popcount, fan_in, matmul)
            user.operands = [accumulator if o is matmul.result else o for o in user.operands]
        self.rewriter.erase_op(matmul)

    def _threshold_popcount(self, threshold: quant.MultiThresholdOp, popcount, fan_in: int):
        table = constant_array(threshold.thresholds)
        assert table is not None, "streamline leaves constant thresholds"
        moved = popcount_thresholds(table, fan_in)
        constant = make_constant(moved, quant.tensor_type(threshold.thresholds).element_type)
        constant.result.name_hint = threshold.thresholds.name_hint
        self.rewriter.insert_op(constant, InsertPoint.before(threshold))
        threshold.operands = [popcount, constant.result]

    def _accumulator(self, popcount: Operation, fan_in: int, matmul: quant.MatMulOp):
        """2 * P - K as integer ops, typed like the matmul's accumulator."""
        shape = quant.shape_of(matmul.result)
        doubled_type = TensorType(integer_type_for(0, 2 * fan_in), shape)
        two = make_constant(np.array(2, dtype=np.int64), integer_type_for(0, 2))
        fan = make_constant(np.array(fan_in, dtype=np.int64), integer_type_for(0, fan_in))
        doubled = quant.MulOp.build(operands=[popcount.results[0], two.result],
                                    result_types=[doubled_type])
        accumulator = quant.SubOp.build(operands=[doubled.result, fan.result],
                                        result_types=[matmul.result.type])
        self.rewriter.insert_op([two, fan, doubled, accumulator], InsertPoint.after(popcount))
        doubled.result.name_hint = f"{matmul.result.name_hint}_doubled"
        accumulator.result.name_hint = f"{matmul.result.name_hint}_acc"
        return accumulator.result


@dataclass(frozen=True)
class BinarizeXnor(ModulePass):
    """Turn bipolar x bipolar matmuls into XNOR-popcounts (x.w = 2P - K).

    Weights become i1 bits (1 means +1); a following multithreshold moves to
    the popcount domain with T_pop = ceil((T + K) / 2); other users get 2P - K.
    """

    name = "binarize-xnor"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        Binarizer().run(op)
        from qnn_mlir.passes.quant_canonicalize import QuantCanonicalize

        QuantCanonicalize().apply(ctx, op)
