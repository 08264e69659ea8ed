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
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def
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


# -- layers with several streams ---------------------------------------------------------

FORK_JOIN_HEADER = """\
// fork_join/fork_join.h - layers defined by a test: one stream to two, and two to one.
#ifndef FORK_JOIN_FORK_JOIN_H
#define FORK_JOIN_FORK_JOIN_H

#include <hls_stream.h>

#include "qnn/types.h"

namespace fork_join {

// Both outputs get every word of the input.
template <int WORDS, int W, int A, int B>
void fork(hls::stream<ap_uint<W> > &in, hls::stream<ap_uint<A> > &left,
          hls::stream<ap_uint<B> > &right) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    const ap_uint<W> word = in.read();
    left.write(ap_uint<A>(word));
    right.write(ap_uint<B>(word));
  }
}

// The first input passes through; the second is read and dropped.
template <int WORDS_FIRST, int WORDS_SECOND, int A, int B, int W>
void join_first(hls::stream<ap_uint<A> > &first, hls::stream<ap_uint<B> > &second,
                hls::stream<ap_uint<W> > &out) {
  for (int i = 0; i < WORDS_SECOND; i++) second.read();
  for (int i = 0; i < WORDS_FIRST; i++) out.write(ap_uint<W>(first.read()));
}

}  // namespace fork_join

#endif  // FORK_JOIN_FORK_JOIN_H
"""


class _ForkJoinLayer(dataflow.LayerOp):
    """What the two test layers share: streams of one shape and element type, no folding."""

    HLS_HEADER: ClassVar[str] = "fork_join/fork_join.h"
    HLS_HEADER_DIR: ClassVar[str | None] = None  # set by the fixture

    def cycles(self, folding=None) -> int:
        return max(s.type.words_per_frame for s in (*self.in_streams, *self.out_streams))

    def resources(self, board, folding=None) -> Resources:
        return Resources(lut=sum(s.type.word_bits for s in self.out_streams))

    def verify_layer(self) -> None:
        streams = [s.type for s in (*self.in_streams, *self.out_streams)]
        if len({(t.get_shape(), t.element_type) for t in streams}) != 1:
            raise VerifyException(f"'{self.name}' streams must carry the same tensor")


@irdl_op_definition
class ForkOp(_ForkJoinLayer):
    """One input stream, two output streams with the same values."""

    name = "test.fork"
    input = operand_def(dataflow.StreamType)
    left = result_def(dataflow.StreamType)
    right = result_def(dataflow.StreamType)
    KIND: ClassVar[str] = "fork"

    def write_fold(self, index=0, folding=None) -> int:
        return self.input.type.fold.data  # both outputs keep the input's packing

    def interpret(self, inputs):
        return (inputs[0], inputs[0])

    def lower_to_hls(self, prefix: str) -> dataflow.HLSCall:
        return dataflow.HLSCall("fork_join::fork", [self.input.type.words_per_frame], [],
                                "two copies")


@irdl_op_definition
class JoinFirstOp(_ForkJoinLayer):
    """Two input streams, one output stream: the first input's values."""

    name = "test.join_first"
    first = operand_def(dataflow.StreamType)
    second = operand_def(dataflow.StreamType)
    output = result_def(dataflow.StreamType)
    KIND: ClassVar[str] = "join"

    def read_fold(self, index=0, folding=None) -> int:
        return 4 if index == 1 else self.output.type.fold.data  # the second is read 4 a word

    def interpret(self, inputs):
        return (inputs[0],)

    def lower_to_hls(self, prefix: str) -> dataflow.HLSCall:
        words = [s.type.words_per_frame for s in self.in_streams]
        return dataflow.HLSCall("fork_join::join_first", words, [], "the first input")


@pytest.fixture
def fork_join_header(tmp_path, monkeypatch):
    folder = tmp_path / "layers"
    (folder / "fork_join").mkdir(parents=True)
    (folder / "fork_join" / "fork_join.h").write_text(FORK_JOIN_HEADER)
    monkeypatch.setattr(_ForkJoinLayer, "HLS_HEADER_DIR", str(folder))


def test_layers_with_several_streams_compile_to_c_simulation(fork_join_header):
    """A fork into two streams and a join of two streams, between two MVAUs: partition
    keeps them in the chain, dataflow-insert-dwc converts the one input that is read in
    another fold (join's second input, read 4 elements a word), and the C simulation
    equals the imported model."""
    imported = import_onnx(os.path.join(EXAMPLES, "tfc_w1a1.onnx"))
    converted = run_stages(imported, "streamline-pipeline,convert-quant-to-dataflow")[-1].module
    layer = next(op for op in converted.walk()
                 if isinstance(op, dataflow.LayerOp) and op.layer_name.data == "features.6")
    stream = layer.output
    readers = {use.operation for use in stream.uses}
    fork = ForkOp.create(operands=[stream], result_types=[stream.type, stream.type],
                         properties={"name": StringAttr("fork")})
    join = JoinFirstOp.create(operands=[fork.left, fork.right], result_types=[stream.type],
                              properties={"name": StringAttr("join")})
    Rewriter.insert_op([fork, join], InsertPoint.after(layer))
    stream.replace_uses_with_if(join.output, lambda use: use.operation in readers)
    for value, hint in ((fork.left, "left"), (fork.right, "right"), (join.output, "joined")):
        value.name_hint = hint
    converted.verify()

    final = run_stages(converted, "dataflow-partition,dataflow-fold,dataflow-insert-dwc")[-1]
    accelerator = next(op for op in final.module.walk()
                       if isinstance(op, dataflow.AcceleratorOp))
    kinds = [op.name for op in accelerator.layers()]
    assert "test.fork" in kinds and "test.join_first" in kinds
    join_op = next(op for op in accelerator.layers() if isinstance(op, JoinFirstOp))
    assert isinstance(join_op.second.owner, dataflow.DWCOp)  # read 4 a word: converted
    assert join_op.second.type.fold.data == 4

    images = np.random.default_rng(1).uniform(0, 1, (100, 1, 28, 28)).astype(np.float32)
    simulated = run_module_csim(final.module, [images])[0]
    assert np.array_equal(simulated, run_module(imported, [images])[0])
