"""The estimate of a whole design: per-layer cycles and resources, throughput and its bound.

A design is the layers of one accelerator (or of one function, before
partitioning). Its throughput is the roofline of two bounds:

* compute: f_clk / the slowest layer's cycles per frame;
* I/O: the board's DMA bandwidth / the bytes per frame in and out, each stream
  word padded to whole bytes as the DMA moves it.

`estimate` evaluates a design at its current folding or at a proposed one,
so the folding search (folding.py) and the compile summary read the same
numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xdsl.ir import SSAValue

from qnn_mlir.cost.boards import Board, Budget
from qnn_mlir.cost.cycles import layer_label
from qnn_mlir.cost.resources import Resources
from qnn_mlir.dialects.dataflow import LayerOp, StreamType
from qnn_mlir.dialects.datatypes import element_bits

Folding = dict[str, int]


@dataclass(frozen=True)
class LayerEstimate:
    """One layer at one folding."""

    name: str
    kind: str
    shape: str
    folding: Folding
    cycles: int
    resources: Resources


@dataclass
class DesignEstimate:
    """A design at one folding, on one board, against one budget."""

    board: Board
    budget: Budget
    layers: list[LayerEstimate] = field(default_factory=list)
    in_bytes: int = 0
    """Bytes per frame the DMA sends into the accelerator (all input ports)."""
    out_bytes: int = 0

    @property
    def total(self) -> Resources:
        """The resources of all layers."""
        total = Resources()
        for layer in self.layers:
            total += layer.resources
        return total

    @property
    def allowed(self) -> Resources:
        """What the budget allows on the board."""
        return self.budget.of(self.board)

    def overruns(self) -> list[tuple[str, int, int]]:
        """(resource, estimated, allowed) for every resource over the budget."""
        used, allowed = self.total.as_dict(), self.allowed.as_dict()
        return [(name, used[name], allowed[name]) for name in used
                if used[name] > allowed[name]]

    @property
    def fits(self) -> bool:
        """Whether the total estimate fits the budget."""
        return not self.overruns()

    @property
    def bottleneck(self) -> LayerEstimate | None:
        """The slowest layer (the first among equals)."""
        return max(self.layers, key=lambda layer: layer.cycles, default=None)

    @property
    def compute_fps(self) -> float:
        """Frames/s the slowest layer allows at the board clock."""
        slowest = self.bottleneck
        return self.board.clock_mhz * 1e6 / slowest.cycles if slowest else float("inf")

    @property
    def io_fps(self) -> float:
        """Frames/s the DMA bandwidth allows for the bytes per frame in and out."""
        frame = self.in_bytes + self.out_bytes
        return self.board.dma_mbytes_per_s * 1e6 / frame if frame else float("inf")

    @property
    def fps(self) -> float:
        """The roofline: the lower of the compute and I/O bounds."""
        return min(self.compute_fps, self.io_fps)

    @property
    def bound(self) -> str:
        """Which bound sets the throughput: "compute" or "I/O"."""
        return "I/O" if self.io_fps < self.compute_fps else "compute"

    @property
    def latency_cycles(self) -> int:
        """At most the sum of the layers' cycles (pessimistic: stages overlap)."""
        return sum(layer.cycles for layer in self.layers)

    def percent(self) -> dict[str, float]:
        """Each resource as a percentage of the board (not of the budget)."""
        capacity = self.board.capacity().as_dict()
        return {name: 100.0 * used / capacity[name] if capacity[name] else 0.0
                for name, used in self.total.as_dict().items()}


def _stream_bytes(stream: SSAValue, fold: int) -> int:
    """Bytes per frame the AXI DMA moves for a boundary stream: each word padded to whole
    beats of the DMA's power-of-two stream width (backends/hls/axi.py)."""
    from qnn_mlir.backends.hls.axi import AxiPort

    stream_type = stream.type
    assert isinstance(stream_type, StreamType)
    words = stream_type.words_per_frame * stream_type.fold.data // fold
    width = fold * element_bits(stream_type.element_type)
    return AxiPort("", True, width, words).frame_bytes


def boundary_bytes(layers: Sequence[LayerOp], foldings: Sequence[Folding] | None = None
                   ) -> tuple[int, int]:
    """(bytes in, bytes out) per frame of the design: streams that no layer of it writes
    go in packed as their first reader reads them; streams read outside it come out as
    their writer writes them."""
    members = set(layers)
    foldings = foldings or [{} for _ in layers]
    by_op = dict(zip(layers, foldings, strict=True))
    seen: set[SSAValue] = set()
    in_bytes = out_bytes = 0
    for op in layers:
        for index, stream in enumerate(op.in_streams):
            if stream.owner in members or stream in seen:
                continue
            seen.add(stream)
            in_bytes += _stream_bytes(stream, op.read_fold(index, by_op[op]))
        for index, stream in enumerate(op.out_streams):
            if any(use.operation not in members for use in stream.uses):
                out_bytes += _stream_bytes(stream, op.write_fold(index, by_op[op]))
    return in_bytes, out_bytes


def estimate(layers: Sequence[LayerOp], board: Board, budget: Budget,
             foldings: Sequence[Folding] | None = None) -> DesignEstimate:
    """The design's estimate at `foldings` (one per layer), else at the current folding."""
    foldings = list(foldings) if foldings is not None else [op.folding() for op in layers]
    result = DesignEstimate(board, budget)
    for index, (op, folding) in enumerate(zip(layers, foldings, strict=True)):
        folding = {**op.folding(), **folding}
        result.layers.append(LayerEstimate(
            layer_label(op, index), op.report_kind(), op.report_shape(), folding,
            op.cycles(folding), op.resources(board, folding)))
    result.in_bytes, result.out_bytes = boundary_bytes(layers, foldings)
    return result
