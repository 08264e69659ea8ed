"""streamline: fold the float ops in front of every multithreshold into its thresholds.

After quant-to-integer, each activation is `multithreshold(f(acc))`, where acc is
an integer accumulator and f a chain of elementwise ops with constant operands:
the weight scale (`quant.mul`), BatchNorm, biases (`quant.add`/`quant.sub`, float
or an `Int32Bias` quantizer of constants), divisions, ReLU, and reshapes such as
a flatten or `x.view(...)`. The same holds for the input quantizer, whose chain
starts at the float input (x * 2 - 1 in bnn_pynq). This pass replaces the chain
and the multithreshold with one multithreshold on the chain's source:

* the thresholds are searched per element of the source (one row per channel),
  so a per-channel link anywhere in the chain (a per-channel scale, a bias,
  BatchNorm) gives per-channel thresholds; rows that all agree on a float
  source become one shared row;
* integer source: thresholds are integers in the accumulator's range, found by
  exact search (threshold_search.py) over [acc_min, acc_max + 1] per channel,
  which is BatchNorm-to-affine, absorbing mul/add, ceil and clip in one step;
* float source: thresholds are float32 values found over all finite floats;
* channels where f decreases (a negative BatchNorm gamma or scale, known from
  the signs of the chain's constants): the channel's weight column is negated
  (a bipolar column flipped), as FINN folds negative factors into the weights;
  without weights to negate, the source itself is negated (exact) first.

A lowered convolution (lower-conv) gives a channels-last accumulator (1, H, W, C)
that the chain reads through the transpose back to NCHW. When every op of the
chain treats all pixels alike (per-channel or scalar constants, no reshape), the
thresholds are searched per channel on a single pixel, the new multithreshold is
channels-last (data_layout NHWC) on the accumulator, and the transpose follows it.

The chain is evaluated with the interpreter's own op implementations, so the
result is bit-identical: count(acc) >= k exactly when acc >= T_k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import (
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    TensorType,
    f32,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from qnn_mlir.dialects import quant
from qnn_mlir.dialects.datatypes import integer_type_for, value_range
from qnn_mlir.interpreter.constant_eval import constant_value, is_constant, run_op
from qnn_mlir.ir_constants import constant_array, make_constant
from qnn_mlir.passes.threshold_search import float_thresholds, search_thresholds

THRESHOLD_TYPE = IntegerType(32, Signedness.SIGNED)
"""Element type of integer thresholds (accumulators stay far below 2^31)."""

FOLDABLE = (quant.MulOp, quant.AddOp, quant.SubOp, quant.DivOp, quant.BatchNormOp,
            quant.ReluOp, quant.ReshapeOp)
"""Ops that are a monotone function of one computed operand, elementwise per channel."""


def link_input(op: Operation) -> SSAValue | None:
    """The computed operand of a foldable op, if the op is an elementwise monotone
    function of it; None if the op cannot join a chain."""
    if isinstance(op, quant.ReshapeOp):
        return op.input  # moves elements without changing them or their order
    if isinstance(op, quant.TransposeOp):
        # moves elements; one that keeps the batch axis runs on a batch of candidates
        return op.input if op.perm.get_values()[0] == 0 else None
    if not isinstance(op, FOLDABLE):
        return None
    computed = [v for v in op.operands if not is_constant(v)]
    if len(computed) != 1:
        return None
    value = computed[0]
    if isinstance(op, quant.DivOp) and value is op.rhs:
        return None  # c / x changes direction at 0
    if isinstance(op, quant.BatchNormOp) and value is not op.operands[0]:
        return None
    if quant.shape_of(value) != quant.shape_of(op.results[0]):
        return None  # broadcasting would feed one element into several
    return value


@dataclass
class Chain:
    """A multithreshold and the foldable ops in front of it, source side first.

    `frame` is the shape of one frame of the source as the chain is evaluated: the
    source's own, or (1, 1, C) for a channels-last convolution accumulator whose
    chain is the same at every pixel (see channels_last_source).
    """

    source: SSAValue
    ops: list[Operation]
    channels_last: bool = False
    """A lowered convolution's (1, H, W, C) accumulator, the chain evaluated on one pixel."""

    @property
    def frame(self) -> tuple[int, ...]:
        shape = quant.shape_of(self.source)
        return (1, 1, shape[-1]) if self.channels_last else tuple(shape[1:])

    @property
    def threshold(self) -> quant.MultiThresholdOp:
        op = self.ops[-1]
        assert isinstance(op, quant.MultiThresholdOp)
        return op

    @property
    def elements(self) -> int:
        """Elements of one (evaluated) frame of the source: each gets its own row of
        thresholds."""
        return int(np.prod(self.frame))


def _is_row(value: SSAValue) -> bool:
    shape = quant.shape_of(value)
    return len(shape) == 2 and shape[0] == 1


def trace_chain(threshold: quant.MultiThresholdOp) -> Chain:
    """Walk up from a multithreshold through single-use foldable ops; the source is the
    furthest value up that is a (1, C) row (the chain may reshape it in between)."""
    ops: list[Operation] = [threshold]
    values = [threshold.input]
    while values[-1].uses.get_length() == 1 and isinstance(values[-1].owner, Operation):
        operand = link_input(values[-1].owner)
        if operand is None:
            break
        ops.append(values[-1].owner)
        values.append(operand)
    rows = [index for index, value in enumerate(values) if _is_row(value)]
    if not rows:
        keep = channels_last_source(values, ops)
        if keep:
            return Chain(values[keep], list(reversed(ops[:keep + 1])), channels_last=True)
    keep = rows[-1] if rows else 0
    ops = ops[:keep + 1]
    ops.reverse()
    return Chain(values[keep], ops)


def channels_last_source(values: list[SSAValue], ops: list[Operation]) -> int:
    """The index of the furthest value up that is a lowered convolution's accumulator
    (N=1, H, W, C), read through one transpose to NCHW by a chain that treats every
    pixel alike (per-channel or scalar constants, no reshape), else 0. `ops[j]`
    reads `values[j]`; ops[0] is the multithreshold."""
    threshold = ops[0]
    if threshold.data_layout.data != "NCHW":
        return 0
    for index in range(len(values) - 1, 0, -1):
        shape = quant.shape_of(values[index])
        links = ops[1:index + 1]
        transposes = [i for i, op in enumerate(links) if isinstance(op, quant.TransposeOp)]
        if (len(shape) != 4 or shape[0] != 1 or len(transposes) != 1
                or tuple(links[transposes[0]].perm.get_values()) != quant.TO_NCHW):
            continue
        # links[:t] read NCHW tensors (spatial axes 2, 3), links[t+1:] NHWC ones (1, 2)
        if all(_same_at_every_pixel(op, (2, 3) if i < transposes[0] else (1, 2))
               for i, op in enumerate(links) if i != transposes[0]):
            return index
    return 0


def _same_at_every_pixel(op: Operation, spatial_axes: tuple[int, int]) -> bool:
    """Whether `op` computes the same function at every pixel of a 4-D tensor."""
    if isinstance(op, quant.ReshapeOp | quant.TransposeOp):
        return False
    if isinstance(op, quant.BatchNormOp):
        return spatial_axes == (2, 3)  # its channel axis is 1
    for operand in op.operands:
        if operand is link_input(op):
            continue
        shape = (1,) * (4 - len(quant.shape_of(operand))) + tuple(quant.shape_of(operand))
        if any(shape[axis] != 1 for axis in spatial_axes):
            return False
    return True


def element_directions(chain: Chain) -> np.ndarray:
    """+1 where the chain's output rises with the source element, -1 where it falls.

    Every link is monotone with a sign known from its constants: a product or
    quotient by c has sign(c), BatchNorm sign(gamma), c - x is falling, ReLU and
    adds keep the direction. A flat element (a factor 0) counts as rising.
    """
    signs = np.ones((1, *chain.frame), dtype=np.float64)
    for op in chain.ops[:-1]:
        shape = quant.shape_of(op.results[0])
        if isinstance(op, quant.ReshapeOp):
            signs = signs.reshape(shape)
        elif isinstance(op, quant.TransposeOp):
            signs = signs.transpose(tuple(op.perm.get_values()))
        elif isinstance(op, quant.SubOp) and link_input(op) is op.rhs:
            signs = -signs
        elif isinstance(op, quant.MulOp | quant.DivOp):
            other = op.rhs if link_input(op) is op.lhs else op.lhs
            signs = signs * np.sign(constant_value(other))
            if not chain.channels_last:  # one pixel stands for all of them
                signs = np.broadcast_to(signs, shape)
        elif isinstance(op, quant.BatchNormOp):
            gamma = constant_value(op.operands[1])
            broadcast = (1, -1) + (1,) * (len(shape) - 2)
            signs = signs * np.sign(gamma).reshape(broadcast)
    return np.where(np.ravel(signs) < 0, -1, 1)


def chain_counts(chain: Chain, candidates: np.ndarray) -> np.ndarray:
    """count(candidates): the chain run with the interpreter's semantics.

    Candidates have shape (K, E): K values for each of the E source elements;
    the batch dimension carries the K candidates.
    """
    threshold = chain.threshold
    integer = not quant.is_float_tensor(chain.source)
    current = np.ascontiguousarray(candidates, dtype=np.int64 if integer else np.float32)
    current = current.reshape((len(candidates), *chain.frame))
    for op in chain.ops:
        computed = link_input(op) if op is not threshold else threshold.input
        args = [current if v is computed else constant_value(v) for v in op.operands]
        current = run_op(op, args)[0]
    out_scale, out_bias = threshold.out_scale.value.data, threshold.out_bias.value.data
    counts = np.rint((np.asarray(current, dtype=np.float64) - out_bias) / out_scale)
    return counts.astype(np.int64).reshape(len(candidates), -1)


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
    channels = quant.shape_of(source)[-1]  # (1, C) or (1, H, W, C)
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
        chain = trace_chain(threshold)
        if (len(quant.shape_of(chain.source)) != 2 and not chain.channels_last
                or len(chain.ops) == 1):
            return  # nothing in front of it, or a tensor whose channels are not known
        levels = quant.shape_of(threshold.thresholds)[1]
        directions = element_directions(chain)
        falling = directions < 0
        source = chain.source
        if quant.is_float_tensor(source):
            if falling.any():
                source = self._negate_source(source, falling, threshold, chain.frame)
            rows = float_thresholds(lambda x: chain_counts(chain, x * directions),
                                    chain.elements, levels)
            if np.all(rows == rows[:1]):
                rows = rows[:1]  # one row shared by every channel
            table = make_constant(rows, f32)
        else:
            low, high = accumulator_bounds(source)
            if falling.any():
                if self._can_negate_columns(source):
                    self._negate_columns(source, falling)
                else:
                    source = self._negate_source(source, falling, threshold, chain.frame)
                low, high = np.where(falling, -high, low), np.where(falling, -low, high)
            rows = search_thresholds(lambda x: chain_counts(chain, x * directions),
                                     low, high, levels)
            table = make_constant(rows, THRESHOLD_TYPE)
        self._replace(chain, source, table)

    def _replace(self, chain: Chain, source: SSAValue, table: Operation) -> None:
        """One multithreshold of `source` (reshaped back if the chain reshaped) replaces
        the chain's result; the chain's ops go."""
        threshold = chain.threshold
        name = threshold.output.name_hint
        table.results[0].name_hint = f"{name}_thresholds"
        result_type = threshold.output.type
        properties = dict(threshold.properties)
        reshaped = quant.shape_of(source) != quant.shape_of(threshold.output)
        if chain.channels_last:
            properties["data_layout"] = StringAttr("NHWC")
        elif reshaped:
            properties.pop("data_layout", None)  # rank 2: channels are axis 1
        folded = quant.MultiThresholdOp.build(
            operands=[source, table.results[0]],
            result_types=[TensorType(result_type.element_type, quant.shape_of(source))],
            properties=properties,
        )
        folded.location = threshold.location
        new_ops: list[Operation] = [table, folded]
        if chain.channels_last:  # thresholded channels-last, then back to NCHW
            folded.output.name_hint = f"{name}_nhwc"
            new_ops.append(quant.TransposeOp.of(folded.output, quant.TO_NCHW))
        elif reshaped:
            folded.output.name_hint = f"{name}_folded"
            new_ops.append(quant.ReshapeOp.build(operands=[folded.output],
                                                 result_types=[result_type]))
        self.rewriter.insert_op(new_ops, InsertPoint.before(threshold))
        result = new_ops[-1].results[0]
        threshold.output.replace_all_uses_with(result)
        result.name_hint = name
        for op in reversed(chain.ops):
            if all(not r.uses for r in op.results):
                self.rewriter.erase_op(op)

    def _negate_source(self, source: SSAValue, falling: np.ndarray, before: Operation,
                       frame: tuple[int, ...]) -> SSAValue:
        """source * (+1 | -1 per channel), exact: decreasing channels become increasing."""
        signs = np.where(falling, -1, 1).reshape((1, *frame))
        tensor = quant.tensor_type(source)
        if quant.is_float_tensor(source):
            signs_op, result_type = make_constant(signs.astype(np.float32), f32), tensor
        else:
            low, high = value_range(tensor.element_type)
            signs_op = make_constant(signs, integer_type_for(-1, 1))
            result_type = TensorType(integer_type_for(min(low, -high), max(high, -low)),
                                     tensor.get_shape())
        negate = quant.MulOp.build(operands=[source, signs_op.result], result_types=[result_type])
        signs_op.result.name_hint = f"{source.name_hint or 'source'}_signs"
        negate.result.name_hint = f"{source.name_hint or 'source'}_oriented"
        self.rewriter.insert_op([signs_op, negate], InsertPoint.before(before))
        return negate.result

    @staticmethod
    def _can_negate_columns(source: SSAValue) -> bool:
        found = _weights_of(source)
        return (found is not None and source.uses.get_length() == 1
                and found[0].rhs.uses.get_length() == 1)

    def _negate_columns(self, source: SSAValue, falling: np.ndarray) -> None:
        """acc_c -> -acc_c by negating weight column c (flipping a bipolar column)."""
        found = _weights_of(source)
        assert found is not None
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
    (scales, biases, BatchNorm, ReLU and reshapes absorbed, one row per
    channel; decreasing channels flip their weight column); a lowered
    convolution's channels-last accumulator gets per-channel thresholds in NHWC,
    the transpose back to NCHW moving after them; float sources (the
    input quantizer, or a layer whose input the model does not quantize) get
    float32 thresholds over all finite inputs. Bit-identical by construction.
    """

    name = "streamline"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        Streamliner().run(op)
        from qnn_mlir.passes.quant_canonicalize import QuantCanonicalize

        QuantCanonicalize().apply(ctx, op)
