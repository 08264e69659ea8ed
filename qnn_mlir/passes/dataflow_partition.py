"""dataflow-partition: outline each function's heaviest layer chain into one accelerator."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from qnn_mlir.diagnostics import location_text
from qnn_mlir.dialects import dataflow
from qnn_mlir.passes.convert_quant_to_dataflow import host_reason, reads_float

PASS_NAME = "dataflow-partition"
FLOAT_INPUT_CHOICES = ("host", "accelerator")

Chain = list[dataflow.LayerOp]


def _give_host_boundary(layer: dataflow.LayerOp, stream: SSAValue,
                        host: set[dataflow.LayerOp]) -> None:
    """Route `stream` of a host layer to the layers that read it through a new
    `dataflow.from_stream` / `dataflow.to_stream` pair placed right after the layer."""
    readers = {use.operation for use in stream.uses
               if isinstance(use.operation, dataflow.LayerOp) and use.operation not in host}
    if not readers:
        return
    stream_type = stream.type
    assert isinstance(stream_type, dataflow.StreamType)
    from_stream = dataflow.FromStreamOp.create(
        operands=[stream],
        result_types=[TensorType(stream_type.element_type, stream_type.get_shape())])
    to_stream = dataflow.ToStreamOp.create(operands=[from_stream.output],
                                           result_types=[stream_type])
    from_stream.location = to_stream.location = layer.location
    if stream.name_hint:
        from_stream.output.name_hint = stream.name_hint
        to_stream.output.name_hint = f"{stream.name_hint}_stream"
    Rewriter.insert_op([from_stream, to_stream], InsertPoint.after(layer))
    stream.replace_uses_with_if(to_stream.output, lambda use: use.operation in readers)


def _split_float_inputs(block: Block) -> list[dataflow.LayerOp]:
    """Give each layer of `block` that reads a float stream a host boundary of its own.

    Where such a layer writes a stream that other layers read, its stream now goes
    through a new `dataflow.from_stream` (right after it) and `dataflow.to_stream`, which
    the readers read instead: the chain starts after it, at its integer output, and it
    stays on the host with its own boundaries. Returns those layers."""
    host = [op for op in block.ops if isinstance(op, dataflow.LayerOp) and reads_float(op)]
    host_set = set(host)
    for layer in host:
        for stream in layer.out_streams:
            _give_host_boundary(layer, stream, host_set)
    return host


def _chains(block: Block, host: list[dataflow.LayerOp]) -> list[Chain]:
    """The layers of `block` not in `host`, grouped by stream connections, in block order."""
    on_host = set(host)
    layers = [op for op in block.ops
              if isinstance(op, dataflow.LayerOp) and op not in on_host]
    root = {op: op for op in layers}

    def find(op: dataflow.LayerOp) -> dataflow.LayerOp:
        while root[op] is not op:
            root[op] = root[root[op]]
            op = root[op]
        return op

    for op in layers:
        for stream in op.in_streams:
            producer = stream.owner
            if isinstance(producer, dataflow.LayerOp) and producer in root:
                root[find(op)] = find(producer)
    groups: dict[dataflow.LayerOp, Chain] = {}
    for op in layers:
        groups.setdefault(find(op), []).append(op)
    return list(groups.values())


def _boundary(chain: Chain) -> tuple[list[dataflow.ToStreamOp], list[SSAValue]] | str:
    """The chain's input boundary ops and output streams, or why it cannot be outlined."""
    members = set(chain)
    inputs: list[dataflow.ToStreamOp] = []
    outputs: list[SSAValue] = []
    for layer in chain:
        for stream in layer.in_streams:
            producer = stream.owner
            if producer in members:
                continue
            if not isinstance(producer, dataflow.ToStreamOp):
                return "its input stream is not a dataflow.to_stream of a host tensor"
            if producer not in inputs:
                inputs.append(producer)
        for stream in layer.out_streams:
            outside = [use.operation for use in stream.uses if use.operation not in members]
            if any(not isinstance(user, dataflow.FromStreamOp) for user in outside):
                return "one of its streams is used by a host op without a dataflow.from_stream"
            if outside:
                outputs.append(stream)
    return inputs, outputs


def _outline(chain: Chain, inputs: list[dataflow.ToStreamOp], outputs: list[SSAValue],
             name: str) -> dataflow.AcceleratorOp:
    """Move the chain into a new accelerator placed where its first layer was."""
    body = Block(arg_types=[boundary.output.type for boundary in inputs])
    result_types = [
        TensorType(stream.type.element_type, stream.type.get_shape())  # type: ignore[attr-defined]
        for stream in outputs
    ]
    accelerator = dataflow.AcceleratorOp.create(
        operands=[boundary.input for boundary in inputs], result_types=result_types,
        properties={"sym_name": StringAttr(name)}, regions=[Region(body)],
    )
    Rewriter.insert_op(accelerator, InsertPoint.before(chain[0]))
    members = set(chain)
    for layer in chain:
        layer.detach()
        body.add_op(layer)
    for arg, boundary in zip(body.args, inputs, strict=True):
        arg.name_hint = boundary.output.name_hint
        boundary.output.replace_uses_with_if(arg, lambda use: use.operation in members)
        if not boundary.output.uses:
            Rewriter.erase_op(boundary)
    body.add_op(dataflow.YieldOp.create(operands=outputs))
    for result, stream in zip(accelerator.outputs, outputs, strict=True):
        for use in list(stream.uses):
            if isinstance(use.operation, dataflow.FromStreamOp):
                result.name_hint = result.name_hint or use.operation.output.name_hint
                use.operation.output.replace_all_uses_with(result)
                Rewriter.erase_op(use.operation)
    return accelerator


def _work(chain: Chain) -> tuple[int, int]:
    """(multiply-accumulates per frame, layers): how much a chain is worth accelerating."""
    from qnn_mlir.cost.macs import multiply_accumulates

    return sum(multiply_accumulates(layer) for layer in chain), len(chain)


def _names(chain: Chain) -> str:
    return ", ".join(op.layer_name.data if op.layer_name else op.name for op in chain)


def _label(op: Operation) -> str:
    """How a report names an op: its kind and SSA name (or layer name, or location)."""
    if isinstance(op, dataflow.LayerOp) and op.layer_name:
        return f"{op.name} \"{op.layer_name.data}\""
    hints = [r.name_hint for r in op.results if r.name_hint]
    return f"{op.name} %{hints[0]}" if hints else f"{op.name} at {location_text(op)}"


def _host_ops(block: Block) -> list[Operation]:
    """The ops of a function body that compute on the host (not constants, returns,
    accelerators or the boundary ops that only re-type values around them)."""
    return [op for op in block.ops if not isinstance(
        op, arith.ConstantOp | func.ReturnOp | dataflow.AcceleratorOp | dataflow.ToStreamOp
        | dataflow.FromStreamOp)]


def _stranded_reason(layer: dataflow.LayerOp, accelerators: list[str]) -> str:
    """Why a streaming layer that could run in hardware stays on the host."""
    chain = [op for op in _chains(layer.parent_block(), [])  # type: ignore[arg-type]
             if layer in op][0]
    if not accelerators:
        return (f"its chain of {len(chain)} layer(s) ({_names(chain)}) could not be outlined "
                "into an accelerator")
    return (f"it belongs to a chain of {len(chain)} layer(s) ({_names(chain)}) that host ops "
            f"cut off from the accelerator @{', @'.join(accelerators)}; a function holds one "
            "accelerator, the chain with the most work (see the host ops' reasons)")


def host_reason_after_partition(op: Operation) -> str:
    """Why `op` runs on the host, true after dataflow-partition has run."""
    if isinstance(op, dataflow.LayerOp) and not reads_float(op):
        block = op.parent_block()
        accelerators = [a.sym_name.data for a in block.ops  # type: ignore[union-attr]
                        if isinstance(a, dataflow.AcceleratorOp)]
        return _stranded_reason(op, accelerators)
    return host_reason(op)


def host_op_reasons(module: ModuleOp) -> list[tuple[str, str]]:
    """(op, reason) for every op of the module's functions that runs on the host."""
    return [(_label(op), host_reason_after_partition(op))
            for function in module.ops if isinstance(function, func.FuncOp)
            and function.body.blocks for op in _host_ops(function.body.block)]


def _report(function: func.FuncOp, accelerator: dataflow.AcceleratorOp | None,
            chain: Chain, reasons: dict[Operation, str], float_layers: int) -> list[str]:
    """One remark per op left on the host, and a summary, as `file:line:col: remark: ...`."""
    block = function.body.block
    position = block.get_operation_index(accelerator) if accelerator else None
    remarks = []
    for op in _host_ops(block):
        side = ""
        if position is not None:
            side = " (before" if block.get_operation_index(op) < position else " (after"
            side += " the accelerator)"
        reason = reasons.get(op) or host_reason(op)
        remarks.append(f"{location_text(op)}: remark: {_label(op)} stays on the host"
                       f"{side}: {reason}")
    where = location_text(function)
    if accelerator is None and float_layers and not reasons:
        remarks.append(f"{where}: remark: @{function.sym_name.data} has no streaming layers "
                       "besides the float-input ones, which stay on the host: nothing to "
                       "outline (float-input=accelerator outlines them)")
    elif accelerator is None and reasons:
        remarks.append(f"{where}: remark: @{function.sym_name.data}: none of its chains of "
                       "streaming layers can be outlined (the reasons are above)")
    elif accelerator is None:
        remarks.append(f"{where}: remark: @{function.sym_name.data} has no streaming layers: "
                       "convert-quant-to-dataflow converted none of its ops (the reasons are "
                       "above), or has not run")
    else:
        remarks.append(f"{where}: remark: @{accelerator.sym_name.data} holds {len(chain)} "
                       f"layer(s): {_names(chain)}; {len(remarks)} op(s) stay on the host")
    return remarks


@dataclass(frozen=True)
class DataflowPartition(ModulePass):
    """Outline each function's heaviest chain of streaming layers into one dataflow.accelerator.

    A chain is a set of layers connected by streams (as convert-quant-to-dataflow
    leaves them). The one with the most multiply-accumulates (then the most layers, then
    the first in the block) that starts at `dataflow.to_stream`s and ends
    at `dataflow.from_stream`s moves into a `dataflow.accelerator` placed where
    its first layer was: the boundary ops' tensors become the accelerator's
    operands and results, their streams its block arguments and yielded
    values. Host ops stay before and after it; so do the layers of any other
    chain (one accelerator per function).

    A layer that reads a float stream (the input quantizer of a model whose
    input is float, a `dataflow.thresholding` with f32 thresholds) stays on
    the host by default, between its own `dataflow.to_stream` and
    `dataflow.from_stream`, and the accelerator starts at the next layer,
    reading its quantized output: the DMA then moves N-bit (bipolar or
    integer) elements instead of 32-bit floats (1 bit per pixel for TFC,
    32x less), and no float comparators go into the fabric. The host makes
    the same f32 comparisons, so the outputs are bit-identical either way.

    Options:
      top          name of the accelerator, a C identifier (default: `<function>_accel`)
      float-input  `host` (default): layers reading a float stream stay on the host;
                   `accelerator`: they join the chain after them and stream floats in
      report       print one remark per op that stays on the host, with the reason,
                   to stderr (`file:line:col: remark: ...`), and a summary per function
    """

    name = "dataflow-partition"
    top: str = ""
    float_input: str = "host"
    report: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # Declarations (the host side of an accelerator kernel) have no body to partition.
        functions = [f for f in op.walk() if isinstance(f, func.FuncOp) and f.body.blocks]
        if self.top and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.top):
            raise PassFailedException(
                f"{PASS_NAME}: top '{self.top}' must be a C identifier: it names the HLS top "
                "function")
        if self.float_input not in FLOAT_INPUT_CHOICES:
            raise PassFailedException(
                f"{PASS_NAME}: float-input must be 'host' or 'accelerator', got "
                f"'{self.float_input}'")
        remarks: list[str] = []
        for function in functions:
            name = self.top or re.sub(r"\W", "_", function.sym_name.data) + "_accel"
            if self.top and len(functions) > 1:
                name = f"{self.top}_{function.sym_name.data}"
            remarks += self._partition(function, name)
        if self.report:
            print("\n".join(remarks), file=sys.stderr)

    def _partition(self, function: func.FuncOp, name: str) -> list[str]:
        block = function.body.block
        host = _split_float_inputs(block) if self.float_input == "host" else []
        reasons: dict[Operation, str] = {}
        outlinable: list[tuple[Chain, list[dataflow.ToStreamOp], list[SSAValue]]] = []
        for chain in _chains(block, host):
            boundary = _boundary(chain)
            if isinstance(boundary, str):
                reasons.update(dict.fromkeys(
                    chain, f"its chain ({_names(chain)}) cannot be outlined: {boundary}"))
            else:
                outlinable.append((chain, *boundary))
        if not outlinable:
            return _report(function, None, [], reasons, len(host)) if self.report else []
        # The chain with the most work; then the longest; the first in the block among equals.
        best = max(outlinable, key=lambda candidate: _work(candidate[0]))
        for other, _, _ in outlinable:
            if other is not best[0]:
                reasons.update(dict.fromkeys(other, (
                    f"it belongs to a separate chain of {len(other)} layer(s) "
                    f"({_names(other)}, {_work(other)[0]:,} multiply-accumulates per frame); "
                    f"only the chain with the most work ({_names(best[0])}, "
                    f"{_work(best[0])[0]:,}) becomes the accelerator")))
        accelerator = _outline(*best, name)
        return (_report(function, accelerator, best[0], reasons, len(host)) if self.report
                else [])
