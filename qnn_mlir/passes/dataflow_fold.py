"""dataflow-fold: set each layer's PE/SIMD: the fastest folding that fits the board by
default, or from a JSON config, or for a target throughput."""

from __future__ import annotations

import dataclasses
import json
import math
import os
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

from qnn_mlir.cost.boards import Board, Budget, module_target, parse_budget
from qnn_mlir.cost.cycles import layers_of
from qnn_mlir.cost.design import DesignEstimate, estimate
from qnn_mlir.cost.folding import (
    MAX_WEIGHT_WIDTH,
    FoldingError,
    auto_folding,
    fit_to_budget,
    fold_for_fps,
    follow_readers,
)
from qnn_mlir.diagnostics import excerpt
from qnn_mlir.dialects import dataflow
from qnn_mlir.dialects.dataflow import LayerOp, StreamType, divisors_hint

PASS_NAME = "dataflow-fold"

Folding = dict[str, int]


def _fail(message: str) -> PassFailedException:
    return PassFailedException(f"{PASS_NAME}: {message}")


def _describe(op: LayerOp) -> str:
    return f"layer '{op.layer_name.data}' ({op.name})" if op.layer_name else f"'{op.name}'"


MIN_TARGET_FPS = 0.001
"""The slowest target: one frame per 1,000 s. Any model runs faster fully folded, so a
lower target would only mean the same design."""

MAX_FOLDING_FACTOR = 1 << 24
"""The largest PE or SIMD a config may give: more than any layer dimension."""

MAX_CONFIG_BYTES = 16 * 1024**2
"""A folding config lists a few numbers per layer; anything larger is not one."""

CONFIG_EXAMPLE = '{"fc0": {"PE": 16, "SIMD": 49}}'


def positive_number(value: object) -> float | None:
    """`value` as a finite float > 0, or None when it is not one (bool, NaN, inf, an
    integer too large for a float, zero or less)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def target_fps_problem(value: object, clock_mhz: float) -> str | None:
    """What is wrong with a target throughput (without the option's name), or None."""
    number = positive_number(value)
    if number is not None and number >= MIN_TARGET_FPS:
        return None
    return (f"must be a finite number of frames per second, at least {MIN_TARGET_FPS:g}, "
            f"got {excerpt(value, 40)}; no design runs faster than one frame per clock cycle: "
            f"{clock_mhz * 1e6:,.0f} frames/s at {clock_mhz:g} MHz")


class _UniqueKeys(dict):
    """A JSON object that refuses a key given twice (json keeps the last one silently)."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__()
        for key, value in pairs:
            if key in self:
                raise ValueError(f"the key '{key}' appears twice in one object")
            self[key] = value


def folding_value_problem(param: str, value: object) -> str | None:
    """What is wrong with a PE or SIMD value of a config (`PE must be ...`), or None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"{param} must be a positive integer, got {excerpt(json.dumps(value), 60)}"
    if value > MAX_FOLDING_FACTOR:
        return (f"{param} {excerpt(value, 60)} is larger than any layer dimension (at most "
                f"{MAX_FOLDING_FACTOR:,})")
    return None


def read_folding_config(path: str) -> dict[str, dict[str, Any]]:
    """The JSON object of a config file: layer names to objects, each key once.
    ValueError saying what is wrong, phrased to follow the file's name (`is not valid
    JSON: ...`); the values are `check_config_values`'s and `check_folding`'s to check."""
    try:
        if os.path.getsize(path) > MAX_CONFIG_BYTES:
            raise ValueError(f"is larger than {MAX_CONFIG_BYTES // 1024**2} MiB: not a folding "
                             f"config such as {CONFIG_EXAMPLE}")
        with open(path, encoding="utf-8") as f:
            config = json.load(f, object_pairs_hook=_UniqueKeys)
    except OSError as error:
        raise ValueError(f"cannot be read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise ValueError(f"is not UTF-8 text (byte {error.start}): not a JSON folding "
                         "config") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"is not valid JSON: line {error.lineno} column {error.colno}: "
                         f"{error.msg}") from error
    except RecursionError as error:
        raise ValueError("is not valid: its JSON is nested too deeply") from error
    except ValueError as error:  # a key given twice, an integer of thousands of digits
        raise ValueError(f"is not valid: {excerpt(error)}") from error
    if not isinstance(config, dict):
        raise ValueError(f"must map layer names to objects such as {CONFIG_EXAMPLE}, not be "
                         f"a JSON {type(config).__name__}")
    for layer, folding in config.items():
        if not isinstance(folding, dict):
            raise ValueError(f"must map layer names to objects such as {CONFIG_EXAMPLE}: "
                             f"layer '{layer}' maps to {excerpt(json.dumps(folding), 60)}")
    return config


def check_config_values(config: dict[str, dict[str, Any]]) -> None:
    """Every PE/SIMD value of a config a positive integer, checked without the module
    (qnn-compile does before any work); ValueError naming the layer."""
    for layer, folding in config.items():
        for param, value in folding.items():
            problem = folding_value_problem(param, value)
            if problem is not None:
                raise ValueError(f"layer '{layer}': {problem}")


def check_folding(op: LayerOp, folding: dict[str, Any]) -> Folding:
    """`folding` for `op` as ints, or a ValueError naming the layer, value and valid
    values."""
    bounds = {p.name: (p.dimension, p.size) for p in op.folding_parameters()}
    checked: Folding = {}
    for param, value in folding.items():
        if param not in bounds:
            valid = ", ".join(bounds) or "none (it is not folded)"
            raise ValueError(f"{_describe(op)} has no folding parameter '{param}': valid are "
                             f"{valid}")
        problem = folding_value_problem(param, value)
        if problem is not None:
            raise ValueError(f"{_describe(op)}: {problem}")
        dim_name, dim = bounds[param]
        if dim % value:
            raise ValueError(f"{_describe(op)}: {param} {value} does not divide {dim_name} "
                             f"{dim}: choose {param} among {divisors_hint(dim)}")
        checked[param] = value
    return checked


def config_folding(layers: list[LayerOp], config: dict[str, dict[str, Any]], path: str
                   ) -> dict[LayerOp, Folding]:
    """The foldings a config sets, checked against the layers it names; each diagnostic
    names the layer and the config file."""
    by_name: dict[str, list[LayerOp]] = {}
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
        try:
            foldings[matches[0]] = check_folding(matches[0], folding)
        except ValueError as error:
            raise _fail(f"{error} (config '{path}')") from error
    return foldings


def _designs(layers: list[LayerOp]) -> dict[Operation, list[LayerOp]]:
    """Layers grouped by the design they pace: their accelerator, else their function."""
    designs: dict[Operation, list[LayerOp]] = {}
    for layer in layers:
        parent = layer.parent_op()
        while parent is not None and not isinstance(parent, dataflow.AcceleratorOp | func.FuncOp):
            parent = parent.parent_op()
        designs.setdefault(parent or layer, []).append(layer)  # type: ignore[arg-type]
    return designs


def _hardware_designs(layers: list[LayerOp]) -> dict[Operation, list[LayerOp]]:
    """The designs that go on the board: the accelerators, or every function's layers
    when nothing is partitioned yet (layers left on the host cost no fabric)."""
    designs = _designs(layers)
    accelerators = {d: members for d, members in designs.items()
                    if isinstance(d, dataflow.AcceleratorOp)}
    return accelerators or designs


def _design_name(design: Operation) -> str:
    if isinstance(design, dataflow.AcceleratorOp | func.FuncOp):
        return f"@{design.sym_name.data}"
    return f"'{design.name}'"


def _set_type(value: SSAValue, stream: StreamType) -> None:
    if value.type != stream:
        Rewriter.replace_value_with_new_type(value, stream)


def apply_folding(op: LayerOp, folding: Folding) -> None:
    """Set the layer's folding parameters and the fold of each stream it writes."""
    for param, value in folding.items():
        op.properties[param] = IntegerAttr(value, i64)
    for index, stream in enumerate(op.out_streams):
        _set_type(stream, stream.type.with_fold(op.write_fold(index)))  # type: ignore


def _from_host(stream: SSAValue) -> bool:
    return isinstance(stream.owner, dataflow.ToStreamOp) or (
        isinstance(stream, BlockArgument)
        and isinstance(stream.block.parent_op(), dataflow.AcceleratorOp))


def _fold_inputs(layers: list[LayerOp]) -> None:
    """Streams from the host are packed as their first reader reads them: no converter."""
    for op in layers:
        for index, stream in enumerate(op.in_streams):
            first_reader = next(use.operation for use in stream.uses)
            if _from_host(stream) and first_reader is op:
                _set_type(stream, stream.type.with_fold(op.read_fold(index)))  # type: ignore


def _remove_converters(module: ModuleOp) -> None:
    """Drop the layers an earlier folding derived (converters): the new folding decides."""
    for layer in layers_of(module):
        if layer.DERIVED_FROM_FOLDING:
            layer.results[0].replace_all_uses_with(layer.operands[0])
            Rewriter.erase_op(layer)


@dataclass(frozen=True)
class DataflowFold(ModulePass):
    """Set each layer's folding (PE, SIMD) and the fold of the streams it writes.

    By default (no `config`, no `target-fps`), the fastest folding whose
    estimated resources fit the budget on the module's target board (its
    `dataflow.target`, else pynq-z1): FINN's automatic folding for every
    candidate target, the highest throughput (min of the compute and I/O
    bounds) that fits, the cheapest among equals (qnn_mlir/cost/folding.py).
    A folding can also come from a JSON config or from FINN's automatic folding
    for a target throughput, which must fit the budget too. A stream's fold
    becomes the fold its writer writes; a stream from the host gets the fold
    its reader reads. Existing `dataflow.dwc`s are removed first: where a layer
    reads a different fold than its input carries, the IR stays valid and
    `dataflow-insert-dwc` adds the converter. Layers left on the host are
    folded only by a config or a target.

    Options (at most one of `config` and `target-fps`):
      config            JSON file mapping layer names to foldings,
                        {"fc0": {"PE": 16, "SIMD": 49}, "act": {"PE": 4}}; layers not
                        listed keep theirs, except that a convolution's pad, sliding
                        window and max pool take the SIMD of the MVAU they feed, as in
                        FINN. MVAU: PE divides MH, SIMD divides MW; thresholding and
                        label_select: PE divides the channels/labels; sliding_window,
                        pad (SIMD) and maxpool (PE) divide the channels. The file must be
                        UTF-8 JSON, each layer once, each value a positive integer
      target-fps        fold every layer for this many frames per second (a finite
                        number, at least 0.001)
      budget            the share of the board a design may use: a fraction for every
                        resource, or lut=0.7,bram=0.8,dsp=0.8 (the default)
      clock-mhz         the clock for target-fps and the estimates (default: the board's)
      max-weight-width  widest weight word automatic folding creates, bits (default 36)
      report            print each layer's folding, cycles and resources, and each
                        design's throughput and totals against the budget, to stderr
                        (layers left on the host are not listed)
    """

    name = "dataflow-fold"
    config: str = ""
    target_fps: int | float | None = None
    budget: str | int | float = ""
    clock_mhz: int | float | None = None
    max_weight_width: int = MAX_WEIGHT_WIDTH
    report: bool = False

    def _target(self, module: ModuleOp) -> tuple[Board, Budget]:
        try:
            board = module_target(module)
            budget = parse_budget(str(self.budget))
        except ValueError as error:
            raise _fail(str(error)) from error
        if self.clock_mhz is not None:
            clock = positive_number(self.clock_mhz)
            if clock is None:
                raise _fail(f"clock-mhz must be a finite number of MHz above 0, got "
                            f"{excerpt(self.clock_mhz, 40)}; leave it out for the board's clock "
                            f"({board.clock_mhz:g} MHz on {board.title})")
            board = dataclasses.replace(board, clock_mhz=clock)
        return board, budget

    def _check_options(self, board: Board) -> None:
        """Every option a diagnostic before any work: qnn-opt users type them by hand."""
        if self.config and self.target_fps is not None:
            raise _fail("give config=<file.json> or target-fps=<frames per second>, not both "
                        "(neither: the fastest folding that fits the board)")
        if self.target_fps is not None:
            problem = target_fps_problem(self.target_fps, board.clock_mhz)
            if problem is not None:
                raise _fail(f"target-fps {problem}")
        width = self.max_weight_width
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise _fail(f"max-weight-width must be a positive number of bits, got "
                        f"{excerpt(width, 40)} "
                        f"(default {MAX_WEIGHT_WIDTH})")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        board, budget = self._target(op)
        self._check_options(board)
        _remove_converters(op)
        layers = layers_of(op)
        foldings: dict[LayerOp, Folding] = {}
        if self.config:
            try:
                config = read_folding_config(self.config)
            except ValueError as error:
                raise _fail(f"config '{self.config}' {error}") from error
            foldings = config_folding(layers, config, self.config)
            follow_readers(layers, foldings, keep=set(foldings))
        else:
            for design, members in _hardware_designs(layers).items():
                try:
                    if self.target_fps is not None:
                        chosen = fold_for_fps(members, float(self.target_fps), board, budget,
                                              self.max_weight_width)[0]
                    else:
                        chosen = fit_to_budget(members, board, budget, self.max_weight_width)[0]
                except FoldingError as error:
                    raise _fail(f"{_design_name(design)}: {error}") from error
                foldings.update(zip(members, chosen, strict=True))
            if self.target_fps is not None:  # host layers keep pace with the target too
                target = max(1, int(board.clock_mhz * 1e6 / float(self.target_fps)))
                for members in _designs(layers).values():
                    if members[0] not in foldings:
                        foldings.update(zip(members, auto_folding(
                            members, target, self.max_weight_width), strict=True))
        for layer, folding in foldings.items():
            apply_folding(layer, folding)
        _fold_inputs(layers)
        if self.report:
            print("\n".join(self._report_lines(layers, board, budget)), file=sys.stderr)

    def _report_lines(self, layers: list[LayerOp], board: Board, budget: Budget) -> list[str]:
        lines = []
        for design, members in _hardware_designs(layers).items():
            result: DesignEstimate = estimate(members, board, budget)
            for layer in result.layers:
                folding = " ".join(f"{k} {v}" for k, v in sorted(layer.folding.items())) or "-"
                lines.append(f"{PASS_NAME}: {layer.name}: {folding}: {layer.cycles} cycles, "
                             f"{layer.resources.lut:,} LUT, {layer.resources.bram18} BRAM18, "
                             f"{layer.resources.dsp} DSP")
            total, allowed = result.total, result.allowed
            lines.append(f"{PASS_NAME}: {_design_name(design)}: max {result.bottleneck.cycles} "
                         f"cycles per frame: {result.compute_fps:,.0f} fps at "
                         f"{board.clock_mhz:g} MHz; I/O bound {result.io_fps:,.0f} fps; "
                         f"{total.lut:,} LUT, {total.bram18} BRAM18, {total.dsp} DSP of "
                         f"{allowed.lut:,}, {allowed.bram18}, {allowed.dsp} allowed on "
                         f"{board.title}")
        return lines
