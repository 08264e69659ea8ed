"""Cycles per frame of a design and the throughput they give (FINN's model).

A frame is one image. Each layer is a pipeline stage, so an accelerator
starts a new frame every max(cycles) clock cycles: fps = f_clk / max(cycles).
The latency is at most the sum of the stages (pessimistic: stages overlap).
Each layer op states its own cycles (`LayerOp.cycles`, next to its definition);
this module only combines them.
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.ir import Operation

from qnn_mlir.dialects.dataflow import LayerOp


def layer_label(op: LayerOp, index: int) -> str:
    """The layer's name, or `<kind>_<index>` for an unnamed layer."""
    if op.layer_name is not None:
        return op.layer_name.data
    return f"{op.KIND}_{index}"


def layers_of(root: Operation) -> list[LayerOp]:
    """The layer ops nested in `root` (a module, function or accelerator), in order."""
    return [op for op in root.walk() if isinstance(op, LayerOp)]


def cycles_per_layer(root: Operation) -> dict[str, int]:
    """Layer label -> cycles per frame, for every layer under `root`."""
    return {layer_label(op, i): op.cycles() for i, op in enumerate(layers_of(root))}


def throughput_fps(cycles: Iterable[int], clock_mhz: float) -> float:
    """Frames per second at `clock_mhz`: the slowest stage sets the pace."""
    slowest = max(cycles, default=0)
    return clock_mhz * 1e6 / slowest if slowest else float("inf")


def latency_cycles(cycles: Iterable[int]) -> int:
    """An upper bound of the cycles from the first input word to the last output word."""
    return sum(cycles)


def target_cycles(target_fps: float, clock_mhz: float) -> int:
    """Cycles per frame that a target throughput allows, rounded down as FINN does."""
    return int(clock_mhz * 1e6 / target_fps)
