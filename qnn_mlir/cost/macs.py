"""Multiply-accumulates per frame: how much of a model's work runs on the accelerator."""

from __future__ import annotations

from math import prod

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from qnn_mlir.dialects import dataflow, quant


def multiply_accumulates(op: Operation) -> int:
    """MACs of one frame of a matmul, convolution or MVAU (0 for any other op)."""
    if isinstance(op, quant.MatMulOp | quant.XnorPopcountOp):
        fan_in, fan_out = quant.shape_of(op.rhs)
        return prod(quant.shape_of(op.lhs)[1:-1]) * fan_in * fan_out
    if isinstance(op, quant.ConvOp):
        _, group_channels, kernel_h, kernel_w = quant.shape_of(op.operands[1])
        return prod(quant.shape_of(op.results[0])[1:]) * group_channels * kernel_h * kernel_w
    if isinstance(op, dataflow.MVAUOp):
        return op.MW.value.data * op.MH.value.data * op.vectors
    return 0


def accelerated_macs(module: ModuleOp) -> tuple[int, int]:
    """(MACs inside dataflow.accelerator ops, MACs of the whole module), per frame."""
    inside = total = 0
    for op in module.walk():
        work = multiply_accumulates(op)
        total += work
        parent = op.parent_op()
        if work and isinstance(parent, dataflow.AcceleratorOp):
            inside += work
    return inside, total
