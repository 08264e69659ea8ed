"""quant-canonicalize: remove quant ops that do nothing and fold constant layout ops."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from qnn_mlir.dialects import quant
from qnn_mlir.interpreter.constant_eval import constant_value
from qnn_mlir.ir_constants import constant_array, make_constant, splat_value


class RemoveIdentityLayoutOps(RewritePattern):
    """reshape to the same shape and transpose by the identity permutation are no-ops."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, quant.ReshapeOp | quant.TransposeOp):
            if op.input.type == op.output.type and (
                isinstance(op, quant.ReshapeOp)
                or list(op.perm.get_values()) == sorted(op.perm.get_values())
            ):
                rewriter.replace(op, [], [op.input])


class ComposeTransposes(RewritePattern):
    """transpose(transpose(x, p), q) is one transpose of x by p[q[i]]; composed to the
    identity (a lowered convolution's way back to NCHW, then into NHWC again), it goes."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: quant.TransposeOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, quant.TransposeOp):
            return
        first, second = inner.perm.get_values(), op.perm.get_values()
        composed = [first[axis] for axis in second]
        if composed == sorted(composed):
            rewriter.replace(op, [], [inner.input])
            return
        rewriter.replace(op, quant.TransposeOp.of(inner.input, composed))


class MoveTransposesBelowMaxPools(RewritePattern):
    """A max pool of a transpose to NCHW pools the channels-last tensor instead, and the
    transpose follows it: moved towards their consumers, transposes meet and cancel
    (ComposeTransposes), as between a lowered convolution, a max pool and the next."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: quant.MaxPoolOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if (op.channels_last or not isinstance(inner, quant.TransposeOp)
                or tuple(inner.perm.get_values()) != quant.TO_NCHW
                or inner.output.uses.get_length() != 1):
            return
        n, c, h, w = quant.shape_of(op.output)
        element = quant.tensor_type(op.output).element_type
        pooled = quant.MaxPoolOp.build(
            operands=[inner.input], result_types=[TensorType(element, (n, h, w, c))],
            properties={**op.properties, "data_layout": StringAttr("NHWC")})
        back = quant.TransposeOp.of(pooled.output, quant.TO_NCHW)
        pooled.location = op.location
        name = op.output.name_hint
        rewriter.replace(op, [pooled, back])
        pooled.output.name_hint, back.output.name_hint = f"{name or 'pool'}_nhwc", name


class FlattenChannelsLast(RewritePattern):
    """A fully connected layer reading the NCHW flatten of a channels-last tensor reads the
    channels-last flatten instead, its weight rows permuted to match: no transpose of the
    data is left between the last convolution and the first fully connected layer.

    matmul(reshape(transpose(x, to NCHW)), W), x of shape [N, H, W, C], becomes
    matmul(reshape(x), W'), with row (h*W + w)*C + c of W' being row c*H*W + h*W + w
    of W (the same products, summed in another order: exact on integers; the
    pattern only fires on constant weights of an integer or bipolar layer)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, quant.MatMulOp | quant.XnorPopcountOp):
            return
        flatten, weights = op.lhs.owner, constant_array(op.rhs)
        if (weights is None or quant.is_float_tensor(op.lhs)
                or not isinstance(flatten, quant.ReshapeOp) or not op.lhs.has_one_use()):
            return
        transpose = flatten.input.owner
        if (not isinstance(transpose, quant.TransposeOp) or not transpose.output.has_one_use()
                or tuple(transpose.perm.get_values()) != quant.TO_NCHW):
            return
        n, height, width, channels = quant.shape_of(transpose.input)
        if quant.shape_of(flatten.output) != (n, channels * height * width):
            return
        rows = np.arange(channels * height * width).reshape(channels, height, width)
        permuted = np.ascontiguousarray(weights[rows.transpose(1, 2, 0).reshape(-1)])
        new_weights = make_constant(permuted, quant.tensor_type(op.rhs).element_type)
        new_weights.result.name_hint = op.rhs.name_hint
        channels_last = quant.ReshapeOp.build(
            operands=[transpose.input], result_types=[flatten.output.type])
        # Another order of the same elements: another value, so another name (stages are
        # compared value by value under their names).
        channels_last.output.name_hint = f"{flatten.output.name_hint or 'flatten'}_nhwc"
        channels_last.location = flatten.location
        rewriter.insert([new_weights, channels_last], InsertPoint.before(op))
        op.operands[0], op.operands[1] = channels_last.output, new_weights.result
        rewriter.notify_op_modified(op)
        rewriter.erase(flatten)
        rewriter.erase(transpose)


class RemoveNeutralArithmetic(RewritePattern):
    """x - 0, x * 1, x / 1 and x + 0 are x when broadcasting does not change x's type.

    In floating point x + (+0.0) turns -0.0 into +0.0, so for float tensors
    only x + (-0.0) is removed; x - 0.0 keeps the sign and is always exact.
    """

    NEUTRAL = {quant.AddOp: 0.0, quant.SubOp: 0.0, quant.MulOp: 1.0, quant.DivOp: 1.0}

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        neutral = self.NEUTRAL.get(type(op))
        if neutral is None or op.lhs.type != op.result.type:
            return
        value = splat_value(constant_array(op.rhs))
        if value != neutral:
            return
        if isinstance(op, quant.AddOp) and quant.is_float_tensor(op.lhs) and not np.signbit(value):
            return
        rewriter.replace(op, [], [op.lhs])


class FoldConstantLayoutOps(RewritePattern):
    """A transpose of an arith.constant becomes a new (transposed) constant."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: quant.TransposeOp, rewriter: PatternRewriter) -> None:
        array = constant_array(op.input)
        if array is None:
            return
        folded = np.ascontiguousarray(np.transpose(array, tuple(op.perm.get_values())))
        rewriter.replace(op, make_constant(folded, op.output.type.element_type))


class FoldConstantOperands(RewritePattern):
    """A quant op computed from constants only, whose users are all elementwise ops
    (a bias quantized with `Int32Bias`), becomes the constant it computes.

    Weight quantizers (read by a matmul or conv) stay: quant-to-integer reads
    their integer levels from them.
    """

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, quant.QuantOp) or len(op.results) != 1:
            return
        result = op.results[0]
        users = [use.operation for use in result.uses]
        if not users or not all(isinstance(user, ELEMENTWISE) for user in users):
            return
        value = constant_value(result)
        if value is None:
            return
        folded = make_constant(value, quant.tensor_type(result).element_type)
        folded.result.name_hint = result.name_hint
        rewriter.replace(op, folded)


ELEMENTWISE = (quant.ElementwiseBinaryOp, quant.BatchNormOp)
"""Users through which a folded constant operand changes nothing but its form."""


class EraseDeadPureOps(RewritePattern):
    """Pure ops (quant compute and arith.constant) whose results are unused are dead."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, quant.QuantOp | arith.ConstantOp) and all(
            not r.uses for r in op.results
        ):
            rewriter.erase(op)


@dataclass(frozen=True)
class QuantCanonicalize(ModulePass):
    """Remove quant ops that do nothing and fold constant layout ops.

    Identity reshapes and transposes go, a transpose of a transpose becomes one
    (none if they cancel), a transpose to NCHW moves below the max pool that reads
    it (which then pools channels-last), a fully connected layer reading the NCHW
    flatten of a channels-last tensor reads its channels-last flatten with its
    weight rows permuted, x+0, x-0, x*1 and x/1 go (when
    broadcasting leaves x's type unchanged), transposes of constants become
    constants, quant ops of constants that only elementwise ops read (a
    quantized bias) become constants, and unused pure ops are erased. Semantics are unchanged, bit
    for bit.
    """

    name = "quant-canonicalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    RemoveIdentityLayoutOps(),
                    ComposeTransposes(),
                    MoveTransposesBelowMaxPools(),
                    FlattenChannelsLast(),
                    RemoveNeutralArithmetic(),
                    FoldConstantLayoutOps(),
                    FoldConstantOperands(),
                    EraseDeadPureOps(),
                ],
                dce_enabled=False,
            ),
            walk_reverse=True,
        ).rewrite_module(op)
