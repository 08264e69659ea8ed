"""dataflow-fold: set each layer's PE/SIMD from a JSON config or for a target throughput."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import PassFailedException

from qnn_mlir.cost.cycles import (
    layer_cycles,
    layer_label,
    layers_of,
    target_cycles,
    throughput_fps,
)
from qnn_mlir.cost.folding import MAX_WEIGHT_WIDTH, auto_folding
from qnn_mlir.dialects import dataflow
from qnn_mlir.dialects.dataflow import StreamLayerOp, StreamType, divisors_hint

PASS_NAME = "dataflow-fold"

Folding = dict[str, int]


def _fail(message: str) -> PassFailedException:
    return PassFailedException(f"{PASS_NAME}: {message}")


def _describe(op: StreamLayerOp) -> str:
    return f"layer '{op.layer_name.data}' ({op.name})" if op.layer_name else f"'{op.name}'"


def check_folding(op: StreamLayerOp, folding: dict[str, Any]) -> Folding:
    """`folding` for `op` as ints, or a diagnostic naming the layer, value and valid values."""
    bounds = op.folding_bounds()
    checked: Folding = {}
    for param, value in folding.items():
        if param not in bounds:
            valid = ", ".join(bounds) or "none (it is not folded)"
            raise _fail(f"{_describe(op)} has no folding parameter '{param}': valid are {valid}")
        dim_name, dim = bounds[param]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _fail(f"{_describe(op)}: {param} must be a positive integer, got "
                        f"{json.dumps(value)}")
        if dim % value:
            raise _fail(f"{_describe(op)}: {param} {value} does not divide {dim_name} {dim}: "
                        f"choose {param} among {divisors_hint(dim)}")
        checked[param] = value
    return checked


def _read_config(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except OSError as error:
        raise _fail(f"cannot read config '{path}': {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise _fail(f"config '{path}' is not valid JSON: line {error.lineno} column "
                    f"{error.colno}: {error.msg}") from error
    if not isinstance(config, dict) or not all(isinstance(v, dict) for v in config.values()):
        raise _fail(f"config '{path}' must map layer names to objects such as "
                    '{"fc0": {"PE": 16, "SIMD": 49}}')
    return config


def config_folding(layers: list[StreamLayerOp], config: dict[str, Any], path: str
                   ) -> dict[StreamLayerOp, Folding]:
    """The foldings a config sets, checked against the layers it names."""
    by_name: dict[str, list[StreamLayerOp]] = {}
    for op in layers:
        if op.layer_name is not None:
            by_name.setdefault(op.layer_name.data, []).append(op)
    foldings = {}
    for name, folding in config.items():
        matches = by_name.get(name, [])
        if not matches:
            known = ", ".join(by_name) or "none (the layers have no names)"
            raise _fail(f"config '{path}' names layer '{name}', which is not in the module; "
                        f"the layers are: {known}")
        if len(matches) > 1:
            raise _fail(f"config '{path}' names layer '{name}', but {len(matches)} layers have "
                        "that name: make the names unique")
        foldings[matches[0]] = check_folding(matches[0], folding)
    return foldings


def _designs(layers: list[StreamLayerOp]) -> dict[Operation, list[StreamLayerOp]]:
    """Layers grouped by the design they pace: their accelerator, else their function."""
    designs: dict[Operation, list[StreamLayerOp]] = {}
    for layer in layers:
        parent = layer.parent_op()
        while parent is not None and not isinstance(parent, dataflow.AcceleratorOp | func.FuncOp):
            parent = parent.parent_op()
        designs.setdefault(parent or layer, []).append(layer)  # type: ignore[arg-type]
    return designs


def _design_name(design: Operation) -> str:
    if isinstance(design, dataflow.AcceleratorOp | func.FuncOp):
        return f"@{design.sym_name.data}"
    return f"'{design.name}'"


def _set_type(value: SSAValue, stream: StreamType) -> None:
    if value.type != stream:
        Rewriter.replace_value_with_new_type(value, stream)


def apply_folding(op: StreamLayerOp, folding: Folding) -> None:
    """Set the layer's PE/SIMD and the fold of the stream it writes."""
    for param, value in folding.items():
        op.properties[param] = IntegerAttr(value, i64)
    _set_type(op.output, op.out_type.with_fold(op.write_fold))


def _fold_inputs(layers: list[StreamLayerOp]) -> None:
    """Streams from the host are packed as their first reader reads them: no converter."""
    for op in layers:
        source = op.input
        from_host = isinstance(source.owner, dataflow.ToStreamOp) or (
            isinstance(source, BlockArgument)
            and isinstance(source.block.parent_op(), dataflow.AcceleratorOp))
        first_reader = next(use.operation for use in source.uses)
        if from_host and first_reader is op:
            _set_type(source, op.in_type.with_fold(op.read_fold))


@dataclass(frozen=True)
class DataflowFold(ModulePass):
    """Set each layer's folding (PE, SIMD) and the fold of the streams it writes.

    The folding comes from a JSON config or from FINN's automatic folding for
    a target throughput (qnn_mlir/cost/folding.py). A stream's fold becomes
    the PE of the layer that writes it; a stream from the host gets the fold
    its reader reads. Existing `dataflow.dwc`s are removed first: where a
    layer reads a different fold than its input carries, the IR stays valid
    and `dataflow-insert-dwc` adds the converter.

    Options (give `config` or `target-fps`):
      config            JSON file mapping layer names to foldings,
                        {"fc0": {"PE": 16, "SIMD": 49}, "act": {"PE": 4}}; layers not
                        listed keep theirs. MVAU: PE divides MH, SIMD divides MW;
                        thresholding and label_select: PE divides the channels/labels
      target-fps        fold every layer for this many frames per second
      clock-mhz         the clock for target-fps (default 100)
      max-weight-width  widest weight word automatic folding creates, bits (default 36)
      report            print each layer's folding and cycles, and the fps, to stderr
    """

    name = "dataflow-fold"
    config: str = ""
    target_fps: int | float = 0
    clock_mhz: int | float = 100
    max_weight_width: int = MAX_WEIGHT_WIDTH
    report: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if bool(self.config) == bool(self.target_fps):
            raise _fail("give either config=<file.json> or target-fps=<frames per second>")
        if self.target_fps < 0 or self.clock_mhz <= 0:
            raise _fail("target-fps and clock-mhz must be positive")
        for converter in [c for c in layers_of(op) if isinstance(c, dataflow.DWCOp)]:
            converter.output.replace_all_uses_with(converter.input)
            Rewriter.erase_op(converter)
        layers = layers_of(op)
        if self.config:
            foldings = config_folding(layers, _read_config(self.config), self.config)
        else:
            target = target_cycles(self.target_fps, self.clock_mhz)
            foldings = {}
            for design in _designs(layers).values():
                foldings.update(zip(design, auto_folding(design, target, self.max_weight_width),
                                    strict=True))
        for layer, folding in foldings.items():
            apply_folding(layer, folding)
        _fold_inputs(layers)
        if self.report:
            self._print_report(layers)

    def _print_report(self, layers: list[StreamLayerOp]) -> None:
        lines = []
        for design, members in _designs(layers).items():
            cycles = []
            for layer in members:
                folding = " ".join(f"{param} {layer.properties[param].value.data}"  # type: ignore
                                   for param in layer.folding_bounds())
                cycles.append(layer_cycles(layer))
                lines.append(f"{PASS_NAME}: {layer_label(layer, layers.index(layer))}: "
                             f"{folding}: {cycles[-1]} cycles")
            fps = throughput_fps(cycles, self.clock_mhz)
            lines.append(f"{PASS_NAME}: {_design_name(design)}: max {max(cycles)} cycles per "
                         f"frame: {fps:,.0f} fps at {self.clock_mhz:g} MHz")
        print("\n".join(lines), file=sys.stderr)
