"""What `qnn-compile` reports: per-layer cost, totals against the budget, the roofline.

`summarize` reads the dataflow form's accelerator through the layer interface
and the board table (qnn_mlir/cost/); `CompileSummary.text()` is the printed
report, and the same fields go to `summary.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.cost.boards import Board, Budget
from qnn_mlir.cost.design import DesignEstimate, estimate


@dataclass
class LayerSummary:
    """One streaming layer: what it is, its folding and its estimated cost."""

    name: str
    kind: str
    shape: str
    folding: dict[str, int]
    cycles: int
    lut: int
    bram18: int
    uram: int
    dsp: int


@dataclass
class CompileSummary:
    """What `qnn-compile` prints and writes to summary.json."""

    model: str
    board: str
    part: str
    clock_mhz: float
    folding_source: str = ""
    """How the folding was chosen, in words."""
    folding_file: str = ""
    layers: list[LayerSummary] = field(default_factory=list)
    total: dict[str, int] = field(default_factory=dict)
    budget: dict[str, int] = field(default_factory=dict)
    """What the budget allows of each resource."""
    budget_share: dict[str, float] = field(default_factory=dict)
    """The budget as a fraction of the board, per resource."""
    percent_of_board: dict[str, float] = field(default_factory=dict)
    bottleneck: str = ""
    fps: float = 0.0
    """The estimated throughput: the lower of the two bounds below."""
    compute_fps: float = 0.0
    io_fps: float = 0.0
    bound: str = ""
    bytes_per_frame: dict[str, int] = field(default_factory=dict)
    dma_mbytes_per_s: float = 0.0
    latency_cycles: int = 0
    host_ops: list[tuple[str, str]] = field(default_factory=list)
    accelerated_macs: int = 0
    total_macs: int = 0
    check: str = ""
    tie_inputs: list[int] = field(default_factory=list)
    """Check inputs whose outputs differ from the imported model's by a threshold tie."""
    seconds: dict[str, float] = field(default_factory=dict)
    hls_dir: str = ""
    deploy_dir: str = ""
    deploy_note: str = ""
    """Why there is no deployment package, when there is none."""

    def _layer_rows(self) -> list[str]:
        # Columns as wide as their longest entry (a layer name or a kind such as
        # `sliding_window 5x5/1`), at least as wide as an MLP's.
        widths = {"name": 24, "kind": 13, "shape": 11, "folding": 17}
        rows_text = []
        for layer in self.layers:
            folding = " ".join(f"{k} {v}" for k, v in sorted(layer.folding.items())) or "-"
            cells = {"name": layer.name, "kind": layer.kind, "shape": layer.shape,
                     "folding": folding}
            widths = {key: max(width, len(cells[key])) for key, width in widths.items()}
            rows_text.append((cells, layer))
        name_w, kind_w, shape_w, fold_w = widths.values()
        label_w = name_w + kind_w + shape_w + fold_w + 11  # as wide as the columns before LUT
        header = (f"  {'layer':<{name_w}} {'kind':<{kind_w}} {'shape':<{shape_w}} "
                  f"{'folding':<{fold_w}} {'cycles':>8} {'LUT':>8} {'BRAM18':>7} {'DSP':>5}")
        rows = [header]
        for cells, layer in rows_text:
            rows.append(f"  {cells['name']:<{name_w}} {cells['kind']:<{kind_w}} "
                        f"{cells['shape']:<{shape_w}} {cells['folding']:<{fold_w}} "
                        f"{layer.cycles:>8,} {layer.lut:>8,} {layer.bram18:>7,} "
                        f"{layer.dsp:>5,}")
        total = self.total
        rows.append(f"  {'total':<{label_w}} {total.get('LUT', 0):>8,} "
                    f"{total.get('BRAM18', 0):>7,} {total.get('DSP', 0):>5,}")
        share = " ".join(f"{self.percent_of_board.get(k, 0):.1f}%".rjust(w)
                         for k, w in (("LUT", 8), ("BRAM18", 7), ("DSP", 5)))
        rows.append(f"  {'  of the ' + self.board:<{label_w}} {share}")
        budget = self.budget
        rows.append(f"  {'  budget':<{label_w}} {budget.get('LUT', 0):>8,} "
                    f"{budget.get('BRAM18', 0):>7,} {budget.get('DSP', 0):>5,}")
        return rows

    def text(self) -> str:
        """The human-readable report."""
        rows = [f"qnn-compile: {self.model} for {self.board} ({self.part}) at "
                f"{self.clock_mhz:g} MHz", "", *self._layer_rows(), ""]
        rows.append(f"  folding: {self.folding_source}"
                    + (f"; written to {self.folding_file}" if self.folding_file else ""))
        frame = self.bytes_per_frame
        rows.append(f"  estimated throughput {self.fps:,.0f} frames/s, {self.bound} bound: "
                    f"compute {self.compute_fps:,.0f} (bottleneck {self.bottleneck}), I/O "
                    f"{self.io_fps:,.0f} ({self.dma_mbytes_per_s:g} MB/s DMA, "
                    f"{frame.get('in', 0)} + {frame.get('out', 0)} bytes per frame)")
        rows.append(f"  latency <= {self.latency_cycles:,} cycles "
                    f"({self.latency_cycles / self.clock_mhz:.2f} us)")
        if self.total_macs and self.accelerated_macs < self.total_macs:
            rows.append(
                f"  the accelerator runs {self.accelerated_macs / self.total_macs:.1%} of the "
                f"model's {self.total_macs:,} multiply-accumulates per frame; the frames/s "
                "above is the accelerator's alone: the host ops below run in numpy")
        if self.host_ops:
            rows.append(f"  on the host ({len(self.host_ops)} ops):")
            rows += [f"    {name}: {reason}" for name, reason in self.host_ops]
        rows += [f"  check: {self.check}",
                 f"  HLS project: {self.hls_dir}  (vitis_hls -f run_hls.tcl)",
                 (f"  deployment package: {self.deploy_dir}  (python driver.py --device sim "
                  "--input x.npy --output y.npy; README.md)" if self.deploy_dir else
                  f"  no deployment package: {self.deploy_note}"),
                 "  times: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items())]
        return "\n".join(rows)


def accelerator_estimate(module: ModuleOp, board: Board, budget: Budget) -> DesignEstimate:
    """The estimate of the module's accelerators' layers at their folding."""
    from qnn_mlir.cost.cycles import layers_of
    from qnn_mlir.dialects import dataflow

    layers = [layer for accelerator in module.walk()
              if isinstance(accelerator, dataflow.AcceleratorOp)
              for layer in layers_of(accelerator)]
    return estimate(layers, board, budget)


def fill_estimates(summary: CompileSummary, result: DesignEstimate, budget: Budget) -> None:
    """Copy the per-layer cost, totals, budget and roofline of `result` into `summary`."""
    summary.layers = [LayerSummary(layer.name, layer.kind, layer.shape, layer.folding,
                                   layer.cycles, layer.resources.lut, layer.resources.bram18,
                                   layer.resources.uram, layer.resources.dsp)
                      for layer in result.layers]
    summary.total = result.total.as_dict()
    summary.budget = result.allowed.as_dict()
    summary.budget_share = {"LUT": budget.lut, "BRAM18": budget.bram, "URAM": budget.bram,
                            "DSP": budget.dsp}
    summary.percent_of_board = result.percent()
    slowest = result.bottleneck
    summary.bottleneck = f"{slowest.name}, {slowest.cycles:,} cycles" if slowest else "-"
    summary.fps, summary.compute_fps, summary.io_fps = (result.fps, result.compute_fps,
                                                        result.io_fps)
    summary.bound = result.bound
    summary.bytes_per_frame = {"in": result.in_bytes, "out": result.out_bytes}
    summary.dma_mbytes_per_s = result.board.dma_mbytes_per_s
    summary.latency_cycles = result.latency_cycles


def folding_config(result: DesignEstimate) -> str:
    """The folding as `--folding` reads it back, JSON with one line per layer: layer name ->
    parameters (layers that have folding parameters only)."""
    rows = [f"  {json.dumps(layer.name)}: {json.dumps(dict(sorted(layer.folding.items())))}"
            for layer in result.layers if layer.folding]
    return "{\n" + ",\n".join(rows) + "\n}\n"
