"""Automatic folding: FINN's SetFolding on the cycle model of `cycles.py`.

For a target of T cycles per frame, each layer is folded as little as
possible (parallelism is area) until its cycles drop below T:

* an MVAU raises SIMD through the divisors of MW while the weight stream
  (weight bits x SIMD) stays within `max_weight_width` bits (36 in FINN:
  wider weight words cost more LUTs than they save), then PE through the
  divisors of MH;
* thresholding and label select raise PE through the divisors of their
  channels / labels.

When some layer cannot reach T even fully unfolded, a second pass relaxes
every layer to the bottleneck's cycles, so that no area is spent on layers
that would wait for it anyway. One difference from FINN's code: FINN keeps a
SIMD that meets the target even when its weight stream is too wide; here the
width limit always holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from qnn_mlir.cost.cycles import layer_cycles
from qnn_mlir.dialects.dataflow import MVAUOp, StreamLayerOp, divisors
from qnn_mlir.dialects.datatypes import element_bits

MAX_WEIGHT_WIDTH = 36
"""FINN's mvau_wwidth_max: the widest weight stream word (bits) automatic folding creates."""


def weight_stream_bits(op: MVAUOp, simd: int) -> int:
    """Bits of weights one PE reads per cycle: weight bits (1 for bipolar) times SIMD."""
    return element_bits(op.weights.get_element_type()) * simd


def _raise_until(op: StreamLayerOp, folding: dict[str, int], param: str, target: int) -> None:
    """Set `param` to the smallest divisor of its dimension that meets the target (or the max)."""
    for value in divisors(op.folding_bounds()[param][1]):
        folding[param] = value
        if layer_cycles(op, folding) < target:
            return


def fold_layer(op: StreamLayerOp, target: int, max_weight_width: int = MAX_WEIGHT_WIDTH
               ) -> dict[str, int]:
    """The folding (PE, SIMD) of one layer for a target of `target` cycles per frame."""
    folding = dict.fromkeys(op.folding_bounds(), 1)
    if not folding:
        return folding
    if isinstance(op, MVAUOp):
        for simd in divisors(op.MW.value.data):
            if weight_stream_bits(op, simd) > max_weight_width:
                break
            folding["SIMD"] = simd
            if layer_cycles(op, folding) < target:
                break
    _raise_until(op, folding, "PE", target)
    return folding


def auto_folding(layers: Sequence[StreamLayerOp], target: int,
                 max_weight_width: int = MAX_WEIGHT_WIDTH, relax: bool = True
                 ) -> list[dict[str, int]]:
    """The folding of each layer for `target` cycles per frame, relaxed to the bottleneck."""
    foldings = [fold_layer(op, target, max_weight_width) for op in layers]
    achieved = max((layer_cycles(op, f) for op, f in zip(layers, foldings, strict=True)),
                   default=0)
    if relax and achieved > target:
        foldings = [fold_layer(op, achieved, max_weight_width) for op in layers]
    return foldings
