"""dataflow-insert-dwc: insert a data width converter wherever a layer reads another fold."""

from __future__ import annotations

from dataclasses import dataclass
from math import lcm

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException, VerifyException

from qnn_mlir.cost.cycles import layers_of
from qnn_mlir.dialects import dataflow
from qnn_mlir.dialects.dataflow import check_stream_widths, cxx_prefix
from qnn_mlir.passes.convert_quant_to_dataflow import LayerNamer


def conversion_folds(carried: int, read: int) -> list[int]:
    """The folds a stream goes through from `carried` to `read`: one converter when one
    divides the other, else two through their least common multiple."""
    if max(carried, read) % min(carried, read) == 0:
        return [read]
    return [lcm(carried, read), read]


def _insert_converters(layer: dataflow.LayerOp, index: int, namer: LayerNamer) -> None:
    """Converters in front of input stream `index` of `layer`, named after the layer."""
    source: SSAValue = layer.in_streams[index]
    folds = conversion_folds(source.type.fold.data, layer.read_fold(index))  # type: ignore
    reader = layer.layer_name.data if layer.layer_name else None
    if reader is not None and len(layer.in_streams) > 1:
        reader = f"{reader}_in{index}"
    for step, fold in enumerate(folds):
        suffix = "_dwc" if len(folds) == 1 else f"_dwc{step}"
        converter = dataflow.DWCOp.create(
            operands=[source],
            result_types=[source.type.with_fold(fold)],  # type: ignore[attr-defined]
            properties={"name": namer.name(reader + suffix if reader else None, "dwc")},
        )
        converter.location = layer.location
        converter.output.name_hint = cxx_prefix(converter.layer_name.data)  # type: ignore
        Rewriter.insert_op(converter, InsertPoint.before(layer))
        source = converter.output
    layer.operands[index] = source


@dataclass(frozen=True)
class DataflowInsertDWC(ModulePass):
    """Insert a `dataflow.dwc` wherever a layer reads its input in another fold than it carries.

    A stream of fold f read SIMD (or PE) r at a time gets one converter f -> r
    when one fold divides the other, and two through lcm(f, r) otherwise, so
    that each converter only splits or joins words. Converters are named after
    their reader (`<layer>_dwc`, or `_dwc0`/`_dwc1` for a pair). Afterwards
    every layer reads the fold its input carries (`check_stream_widths`),
    which hardware generation requires. Run it after `dataflow-fold`; running
    it again changes nothing. No options.
    """

    name = "dataflow-insert-dwc"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        namer = LayerNamer(op)
        for layer in layers_of(op):
            for index, stream in enumerate(layer.in_streams):
                if stream.type.fold.data != layer.read_fold(index):  # type: ignore[attr-defined]
                    _insert_converters(layer, index, namer)
        try:
            check_stream_widths(op)
        except VerifyException as error:  # a bug here, not in the input
            raise PassFailedException(f"{self.name}: {error}") from error

