"""Cycles per frame of each layer and the throughput they give (FINN's model).

A frame is one image. Each layer is a pipeline stage, so an accelerator
starts a new frame every max(cycles) clock cycles: fps = f_clk / max(cycles).
The latency is at most the sum of the stages (pessimistic: stages overlap).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from xdsl.ir import Operation

from qnn_mlir.dialects.dataflow import (
    DWCOp,
    LabelSelectOp,
    MVAUOp,
    StreamLayerOp,
    ThresholdingOp,
)


def mvau_cycles(mw: int, mh: int, simd: int, pe: int, vectors: int = 1) -> int:
    """MVAU: NF = MH / PE neuron folds times SF = MW / SIMD synapse folds per input vector."""
    return (mh // pe) * (mw // simd) * vectors


def thresholding_cycles(channels: int, pe: int, vectors: int = 1) -> int:
    """Thresholding: PE channels per cycle, C / PE cycles per vector."""
    return vectors * channels // pe


def label_select_cycles(labels: int, pe: int, vectors: int = 1) -> int:
    """LabelSelect: reads PE scores per cycle, Labels / PE cycles per vector."""
    return vectors * labels // pe


def dwc_cycles(words_in: int, words_out: int) -> int:
    """A width converter reads and writes one word per cycle: the longer side counts."""
    return max(words_in, words_out)


def layer_cycles(op: StreamLayerOp, folding: Mapping[str, int] | None = None) -> int:
    """Cycles per frame of a layer op, with `folding` (PE, SIMD) overriding its own."""
    folding = folding or {}

    def param(name: str) -> int:
        return folding.get(name, op.properties[name].value.data)  # type: ignore[union-attr]

    if isinstance(op, MVAUOp):
        return mvau_cycles(op.MW.value.data, op.MH.value.data, param("SIMD"), param("PE"),
                           op.vectors)
    if isinstance(op, ThresholdingOp):
        return thresholding_cycles(op.in_type.get_shape()[-1], param("PE"), op.vectors)
    if isinstance(op, LabelSelectOp):
        return label_select_cycles(op.in_type.get_shape()[-1], param("PE"), op.vectors)
    if isinstance(op, DWCOp):
        return dwc_cycles(op.in_type.words_per_frame, op.out_type.words_per_frame)
    raise ValueError(f"no cycle model for '{op.name}'")


def layer_label(op: StreamLayerOp, index: int) -> str:
    """The layer's name, or `<op>_<index>` for an unnamed layer."""
    if op.layer_name is not None:
        return op.layer_name.data
    return f"{op.name.removeprefix('dataflow.')}_{index}"


def layers_of(root: Operation) -> list[StreamLayerOp]:
    """The layer ops nested in `root` (a module, function or accelerator), in order."""
    return [op for op in root.walk() if isinstance(op, StreamLayerOp)]


def cycles_per_layer(root: Operation) -> dict[str, int]:
    """Layer label -> cycles per frame, for every layer under `root`."""
    return {layer_label(op, i): layer_cycles(op) for i, op in enumerate(layers_of(root))}


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
