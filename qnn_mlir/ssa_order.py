"""The structural rules of SSA form that xDSL's verifier leaves out.

xDSL checks each op's own constraints, not that a value is defined before it
is used, so a module whose lines were reordered parses, verifies, and then
fails deep inside a pass or the interpreter. Every region of this project's
IR has a single block (function bodies, `dataflow.accelerator`, `hls.kernel`),
so dominance is program order: a value is visible after the op that defines
it, in its block and in the regions nested below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Block, Operation, SSAValue


@dataclass
class OrderViolation:
    """An op that breaks SSA order, and how."""

    op: Operation
    message: str


def _value_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "a value"


def _check_block(block: Block, visible: set[SSAValue]) -> OrderViolation | None:
    visible = visible | set(block.args)
    for op in block.ops:
        for index, operand in enumerate(op.operands):
            if operand not in visible:
                return OrderViolation(op, f"operand {index} ({_value_name(operand)}) is used "
                                          "before its definition; define a value above its "
                                          "first use")
        for region in op.regions:
            if len(region.blocks) > 1:
                return OrderViolation(op, f"'{op.name}' has a region of {len(region.blocks)} "
                                          "blocks; qnn-mlir regions have exactly one")
            for nested in region.blocks:
                violation = _check_block(nested, visible)
                if violation is not None:
                    return violation
        visible.update(op.results)
    return None


def first_order_violation(root: Operation) -> OrderViolation | None:
    """The first op (in program order) that uses a value not yet defined, or that holds a
    region of several blocks; None when the module is in SSA order."""
    for region in root.regions:
        if len(region.blocks) > 1:
            return OrderViolation(root, f"'{root.name}' has a region of {len(region.blocks)} "
                                        "blocks; qnn-mlir regions have exactly one")
        for block in region.blocks:
            violation = _check_block(block, set())
            if violation is not None:
                return violation
    return None
