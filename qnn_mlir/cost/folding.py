"""Automatic folding: FINN's SetFolding on the layers' cycle models, and the search for the
fastest folding that fits a board.

For a target of T cycles per frame, each layer is folded as little as
possible (parallelism is area) until its cycles drop below T: it raises its
folding parameters in the order it lists them (`LayerOp.folding_parameters`:
an MVAU raises SIMD, then PE), each through its legal values and within the
layer's caps (`LayerOp.folding_caps`: an MVAU's weight stream stays within
`max_weight_width` bits, 36 in FINN). A layer that follows its reader
(`LayerOp.FOLD_FOLLOWS_READER`: a convolution's pad and sliding window) takes
the fold its reader reads, as FINN ties a sliding window's SIMD to its MVAU's,
so no converter sits between them: the reader's read fold is then limited to
values the follower can take, and counts the follower's cycles too. When
some layer cannot reach T even fully unfolded, a second pass relaxes every
layer to the bottleneck's cycles, so that no area is spent on layers that
would wait for it anyway. One difference from FINN's code: FINN keeps a SIMD
that meets the target even when its weight stream is too wide; here the width
limit always holds.

`fit_to_budget` picks the target: the one whose folding has the highest
estimated throughput (the roofline of compute and I/O, design.py) with total
resources inside the budget; among foldings of equal throughput, the one that
costs least.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence
from itertools import product

from qnn_mlir.cost.boards import Board, Budget
from qnn_mlir.cost.design import DesignEstimate, estimate
from qnn_mlir.dialects.dataflow import LayerOp

MAX_WEIGHT_WIDTH = 36
"""FINN's mvau_wwidth_max: the widest weight stream word (bits) automatic folding creates."""

Folding = dict[str, int]


class FoldingError(ValueError):
    """No folding meets the request; the message says why, with the numbers."""


def _reader(op: LayerOp) -> LayerOp | None:
    """The layer whose fold `op` takes: its only reader, when `op` follows its reader."""
    if not op.FOLD_FOLLOWS_READER or len(op.out_streams) != 1:
        return None
    uses = list(op.out_streams[0].uses)
    reader = uses[0].operation if len(uses) == 1 else None
    return reader if isinstance(reader, LayerOp) and reader.READ_FOLD_PARAMETER else None


def _followers(op: LayerOp) -> list[LayerOp]:
    """The layers in front of `op` that take its read fold (a convolution's pad and sliding
    window in front of its MVAU), nearest first."""
    chain: list[LayerOp] = []
    while op.in_streams and isinstance(producer := op.in_streams[0].owner, LayerOp) and (
            _reader(producer) is op):
        chain.append(producer)
        op = producer
    return chain


def _legal(op: LayerOp, max_weight_width: int) -> dict[str, list[int]]:
    caps = op.folding_caps(max_weight_width)
    legal = {p.name: [v for v in p.legal_values if v <= caps.get(p.name, v)]
             for p in op.folding_parameters()}
    read = op.READ_FOLD_PARAMETER
    for follower in _followers(op):  # the fold must be one every follower can take
        allowed = follower.folding_parameters()[0].legal_values
        legal[read] = [v for v in legal[read] if v in allowed]  # type: ignore[index]
    return {name: values or [1] for name, values in legal.items()}


def _cycles(op: LayerOp, folding: Folding) -> int:
    """The cycles of `op` at `folding`, and of its followers at its read fold."""
    fold = folding.get(op.READ_FOLD_PARAMETER or "", 0)
    return max([op.cycles(folding)] + [
        f.cycles({f.folding_parameters()[0].name: fold}) for f in _followers(op) if fold])


def fold_layer(op: LayerOp, target: int, max_weight_width: int = MAX_WEIGHT_WIDTH) -> Folding:
    """The folding of one layer for a target of `target` cycles per frame."""
    legal = _legal(op, max_weight_width)
    folding = dict.fromkeys(legal, 1)
    for name, values in legal.items():
        for value in values:
            folding[name] = value
            if _cycles(op, folding) < target:
                return folding
    return folding


def auto_folding(layers: Sequence[LayerOp], target: int,
                 max_weight_width: int = MAX_WEIGHT_WIDTH, relax: bool = True) -> list[Folding]:
    """The folding of each layer for `target` cycles per frame, relaxed to the bottleneck.
    A layer that follows its reader takes the fold its reader reads."""
    foldings = [fold_layer(op, target, max_weight_width) for op in layers]
    achieved = max((op.cycles(f) for op, f in zip(layers, foldings, strict=True)), default=0)
    if relax and achieved > target:
        foldings = [fold_layer(op, achieved, max_weight_width) for op in layers]
    chosen = dict(zip(layers, foldings, strict=True))
    follow_readers(layers, chosen)
    return [chosen[op] for op in layers]


def follow_readers(layers: Sequence[LayerOp], foldings: dict[LayerOp, Folding],
                   keep: Collection[LayerOp] = ()) -> None:
    """Give each layer that follows its reader (a convolution's pad, sliding window and
    the max pool in front of it) the fold its reader reads, when that fold is legal for
    it; the layers in `keep` (folded explicitly by a config) stay as they are. A reader
    missing from `foldings` reads at its current folding."""
    for op in reversed(layers):  # readers first: a max pool follows a window that follows
        reader = _reader(op)
        if reader is None or op in keep:
            continue
        parameter = op.folding_parameters()[0]
        fold = reader.read_fold(0, foldings.get(reader))
        if fold in parameter.legal_values:
            foldings[op] = {parameter.name: fold}


def candidate_targets(layers: Sequence[LayerOp], max_weight_width: int) -> list[int]:
    """Every target worth trying, ascending: one more than each cycle count a layer can
    reach, so that each target lets some layer use exactly that count."""
    reachable: set[int] = set()
    for op in layers:
        legal = _legal(op, max_weight_width)
        for values in product(*legal.values()):
            reachable.add(_cycles(op, dict(zip(legal, values, strict=True))))
    return sorted(c + 1 for c in reachable)


def _largest(result: DesignEstimate, count: int = 3) -> str:
    ranked = sorted(result.layers, key=lambda layer: -layer.resources.lut)[:count]
    return ", ".join(f"{layer.name} ({layer.resources.lut:,} LUT, {layer.resources.bram18} "
                     f"BRAM18, {layer.resources.dsp} DSP)" for layer in ranked)


def _overrun_text(result: DesignEstimate) -> str:
    return "; ".join(f"{name} {used:,} > {allowed:,} allowed (over by {used - allowed:,})"
                     for name, used, allowed in result.overruns())


def fit_to_budget(layers: Sequence[LayerOp], board: Board, budget: Budget,
                  max_weight_width: int = MAX_WEIGHT_WIDTH) -> tuple[list[Folding],
                                                                     DesignEstimate]:
    """The fastest folding whose estimated resources fit `budget` on `board`.

    Resources fall as the target grows (less parallelism), so a bisection over
    the candidate targets finds the fastest one that fits; from there, slower
    targets are tried while their compute bound still reaches the best
    throughput, since the I/O bound (padding of the boundary words) can favour
    one of them, and among equals the cheapest wins.
    """
    targets = candidate_targets(layers, max_weight_width)
    evaluated: dict[int, tuple[list[Folding], DesignEstimate]] = {}

    def at(target: int) -> tuple[list[Folding], DesignEstimate]:
        if target not in evaluated:
            foldings = auto_folding(layers, target, max_weight_width)
            evaluated[target] = foldings, estimate(layers, board, budget, foldings)
        return evaluated[target]

    slowest = at(targets[-1])[1]
    if not slowest.fits:
        raise FoldingError(
            f"the design does not fit {board.title} even fully folded (PE = SIMD = 1): "
            f"{_overrun_text(slowest)} (budget {budget.text()}); the largest layers: "
            f"{_largest(slowest)}. Use a larger board, a larger budget (--budget), or fewer or "
            "narrower weights")
    first_fit = bisect_left(range(len(targets)), True, key=lambda i: at(targets[i])[1].fits)
    best_index = first_fit
    for index in range(first_fit, len(targets)):
        result = at(targets[index])[1]
        if result.compute_fps < at(targets[best_index])[1].fps:
            break
        if result.fits and result.fps >= at(targets[best_index])[1].fps:
            best_index = index
    return at(targets[best_index])


def fold_for_fps(layers: Sequence[LayerOp], target_fps: float, board: Board, budget: Budget,
                 max_weight_width: int = MAX_WEIGHT_WIDTH) -> tuple[list[Folding],
                                                                    DesignEstimate]:
    """FINN's folding for `target_fps` at the board clock, which must fit the budget."""
    target = max(1, int(board.clock_mhz * 1e6 / target_fps))
    foldings = auto_folding(layers, target, max_weight_width)
    result = estimate(layers, board, budget, foldings)
    if result.fits:
        return foldings, result
    try:
        best = fit_to_budget(layers, board, budget, max_weight_width)[1]
        reachable = (f"the fastest folding that fits reaches {best.fps:,.0f} frames/s "
                     f"({best.bound} bound); ask for that or less, or drop --target-fps to "
                     "get it")
    except FoldingError as error:
        reachable = str(error)
    raise FoldingError(
        f"{target_fps:,.0f} frames/s needs more than the budget on "
        f"{board.title}: {_overrun_text(result)} (budget {budget.text()}); {reachable}")
