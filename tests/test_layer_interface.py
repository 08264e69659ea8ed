"""A layer kind defined here alone compiles to C simulation: the passes know only the interface.

`ElementwiseIdentityOp` and its C++ header live in this file (the header is
written to a temporary folder). The op is put between two layers of the
trained TFC-w1a1 after `convert-quant-to-dataflow`; `dataflow-partition`,
`dataflow-fold` (the default: fill the board), `dataflow-insert-dwc`,
`convert-dataflow-to-hls`, the emitter and the C simulation then handle it
through `LayerOp` only, and the C simulation equals the interpreter and the
imported model bit for bit. docs/adding-a-layer.md walks through the same op.
"""

from __future__ import annotations

import os
from typing import ClassVar

import numpy as np
import pytest
from xdsl.dialects.builtin import I64, IntegerAttr, StringAttr, i64
from xdsl.irdl import irdl_op_definition, prop_def
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import VerifyException

from qnn_mlir.backends.hls.csim import run_module_csim
from qnn_mlir.compiler import run_stages
from qnn_mlir.cost.resources import Resources
from qnn_mlir.dialects import dataflow
from qnn_mlir.dialects.datatypes import element_bits
from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")

IDENTITY_HEADER = """\
// identity_layer/identity.h - a layer defined by a test: copies a stream, PE elements a word.
#ifndef IDENTITY_LAYER_IDENTITY_H
#define IDENTITY_LAYER_IDENTITY_H

#include <hls_stream.h>

#include "qnn/types.h"

namespace identity_layer {

template <int ELEMENTS, int PE, int BITS, int IN_W, int OUT_W>
void identity(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
  for (int i = 0; i < ELEMENTS / PE; i++) {
#pragma HLS PIPELINE II=1
    out.write(ap_uint<OUT_W>(in.read().range(PE * BITS - 1, 0)));
  }
}

}  // namespace identity_layer

#endif  // IDENTITY_LAYER_IDENTITY_H
"""


@irdl_op_definition
class ElementwiseIdentityOp(dataflow.StreamLayerOp):
    """y = x, PE elements per cycle: the smallest layer that exercises every interface method."""

    name = "test.identity"
    PE = prop_def(IntegerAttr[I64])
    assembly_format = "$input `PE` $PE attr-dict `:` type($input) `->` type($output)"

    KIND: ClassVar[str] = "identity"
    READ_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    WRITE_FOLD_PARAMETER: ClassVar[str | None] = "PE"
    HLS_HEADER: ClassVar[str] = "identity_layer/identity.h"
    HLS_HEADER_DIR: ClassVar[str | None] = None  # set by the fixture to a temporary folder

    def folding_parameters(self) -> list[dataflow.FoldingParameter]:
        return [dataflow.FoldingParameter("PE", "channels", self.channels)]

    def cycles(self, folding=None) -> int:
        return self.vectors * self.channels // self.param("PE", folding)

    def resources(self, board, folding=None) -> Resources:
        return Resources(lut=self.param("PE", folding) * element_bits(self.in_type.element_type))

    def interpret(self, inputs):
        return (inputs[0],)

    def lower_to_hls(self, prefix: str) -> dataflow.HLSCall:
        elements = self.vectors * self.channels
        args = [elements, self.PE.value.data, element_bits(self.in_type.element_type)]
        return dataflow.HLSCall("identity_layer::identity", args, [],
                                f"a copy, PE {self.PE.value.data}")

    def verify_layer(self) -> None:
        pe = self.PE.value.data
        self._check_positive(PE=pe)
        self._check_multiple("channels", self.channels, "PE", pe)
        if self.in_type.with_fold(pe) != self.out_type:
            raise VerifyException(f"'{self.name}' output must be the input stream with fold PE")


@pytest.fixture
def identity_header(tmp_path, monkeypatch):
    folder = tmp_path / "layers"
    (folder / "identity_layer").mkdir(parents=True)
    (folder / "identity_layer" / "identity.h").write_text(IDENTITY_HEADER)
    monkeypatch.setattr(ElementwiseIdentityOp, "HLS_HEADER_DIR", str(folder))


@irdl_op_definition
class UnloweredOp(dataflow.StreamLayerOp):
    """A layer with semantics and a cost but no HLS lowering."""

    name = "test.unlowered"
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def cycles(self, folding=None) -> int:
        return self.in_type.words_per_frame

    def resources(self, board, folding=None) -> Resources:
        return Resources()

    def interpret(self, inputs):
        return (inputs[0],)


def _insert_identity(module, after: str, kind: type[dataflow.StreamLayerOp] =
                     ElementwiseIdentityOp) -> dataflow.StreamLayerOp:
    """A `kind` layer reading the stream of layer `after`, in front of its readers."""
    layer = next(op for op in module.walk()
                 if isinstance(op, dataflow.LayerOp) and op.layer_name.data == after)
    stream = layer.output
    readers = {use.operation for use in stream.uses}
    properties = {"name": StringAttr(f"{after}.copy")}
    if kind is ElementwiseIdentityOp:
        properties["PE"] = IntegerAttr(1, i64)
    identity = kind.create(operands=[stream], result_types=[stream.type],
                           properties=properties)
    Rewriter.insert_op(identity, InsertPoint.after(layer))
    stream.replace_uses_with_if(identity.output, lambda use: use.operation in readers)
    identity.output.name_hint = f"{stream.name_hint}_copy"
    identity.verify()
    return identity


def test_a_layer_defined_in_a_test_compiles_to_c_simulation(identity_header):
    imported = import_onnx(os.path.join(EXAMPLES, "tfc_w1a1.onnx"))
    converted = run_stages(imported, "streamline-pipeline,convert-quant-to-dataflow")[-1].module
    _insert_identity(converted, "features.6")
    converted.verify()
    stages = run_stages(converted, "dataflow-partition,dataflow-fold,dataflow-insert-dwc")
    final = stages[-1].module
    accelerator = next(op for op in final.walk() if isinstance(op, dataflow.AcceleratorOp))
    copy = next(op for op in accelerator.layers() if isinstance(op, ElementwiseIdentityOp))
    # dataflow-fold folded the new layer like any other: fewer cycles than the bottleneck
    assert copy.PE.value.data > 1
    assert copy.cycles() <= max(op.cycles() for op in accelerator.layers())

    images = np.random.default_rng(0).uniform(0, 1, (200, 1, 28, 28)).astype(np.float32)
    simulated = run_module_csim(final, [images])[0]
    assert np.array_equal(simulated, run_module(final, [images])[0])
    assert np.array_equal(simulated, run_module(imported, [images])[0])


def test_a_layer_without_a_lowering_is_a_diagnostic():
    from xdsl.utils.exceptions import DiagnosticException

    from qnn_mlir.passes.convert_dataflow_to_hls import build_kernel

    imported = import_onnx(os.path.join(EXAMPLES, "tfc_w1a1.onnx"))
    converted = run_stages(imported, "streamline-pipeline,convert-quant-to-dataflow")[-1].module
    _insert_identity(converted, "features.6", UnloweredOp)
    partitioned = run_stages(converted, "dataflow-partition")[-1].module
    accelerator = next(op for op in partitioned.walk() if isinstance(op, dataflow.AcceleratorOp))
    with pytest.raises(DiagnosticException, match="layer 'features_6_copy' \\('test.unlowered'\\) "
                       "has no HLS lowering"):
        build_kernel(accelerator, 2)
