"""General Brevitas MLPs through the quant-level pipeline: learned float scales per
tensor and per channel, biases, unsigned ReLU, 2/4/8-bit, odd widths, negative
BatchNorm gammas, both exporters.

Oracles: the QONNX-form interpreter and PyTorch itself. With non-power-of-two
scales, float32 matmuls of fake-quantized values round differently from exact
integer accumulators times the scale (PyTorch, qonnx and numpy differ from each
other by the same order), so outputs agree within FLOAT_TOLERANCE and every
decided argmax is identical.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from brevitas_mlp import MLPSpec, build_mlp, export_mlp
from pass_semantics import apply_passes, assert_close_same_decisions

from qnn_mlir.datasets import fashion_mnist
from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module

SPECS = {
    "w4a4-per-channel-bias-bn": MLPSpec(),
    "w2a2-per-tensor": MLPSpec(weight_bits=2, act_bits=2, per_channel=False, bias=False),
    "w8a8-one-hidden": MLPSpec(widths=(784, 50, 10), weight_bits=8, act_bits=8),
    "w4a4-odd-widths-no-bn": MLPSpec(widths=(784, 33, 17, 10), batchnorm=False),
    "w3a5-seed7": MLPSpec(widths=(784, 24, 10), weight_bits=3, act_bits=5, seed=7),
}


@pytest.mark.parametrize("exporter", ["legacy", "dynamo"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_integer_pipeline_matches_pytorch(name, exporter, tmp_path):
    spec = SPECS[name]
    images = fashion_mnist("test")[0][:300]
    module = import_onnx(export_mlp(spec, str(tmp_path / "mlp.onnx"), exporter))
    integer = apply_passes(module, ["quant-to-integer", "streamline", "binarize-xnor"])
    text = str(integer)
    assert "quant.batchnorm" not in text and "quant.int_quant" not in text
    qonnx_form = run_module(module, [images])[0]
    integer_form = run_module(integer, [images])[0]
    with torch.no_grad():
        pytorch = build_mlp(spec)(torch.from_numpy(images)).numpy()
    assert_close_same_decisions(qonnx_form, integer_form)
    assert_close_same_decisions(pytorch, integer_form)


@pytest.mark.parametrize("name,exporter", [("w4a4-per-channel-bias-bn", "dynamo"),
                                           ("w2a2-per-tensor", "legacy"),
                                           ("w8a8-one-hidden", "legacy")])
def test_compiles_to_a_matching_c_simulation(name, exporter, tmp_path):
    """The whole qnn-compile flow: the C simulation of the emitted C++ equals the
    integer form bit for bit, and PyTorch within the stated tolerance."""
    import os

    from qnn_mlir.backends.hls.csim import run_module_csim
    from qnn_mlir.compiler import CompileOptions, compile_model
    from qnn_mlir.diagnostics import parse_module_file
    from qnn_mlir.dialects import make_context

    spec = SPECS[name]
    model = export_mlp(spec, str(tmp_path / "mlp.onnx"), exporter)
    build = str(tmp_path / "build")
    summary = compile_model(model, build, CompileOptions(check_images=100))
    assert summary.check.startswith("C simulation == imported model on 100 inputs")
    assert len(summary.tie_inputs) <= 2
    images = fashion_mnist("test")[0][:1000]

    def load(stage: str):
        return parse_module_file(make_context(), os.path.join(build, "ir", f"{stage}.mlir"))

    simulated = run_module_csim(load("04-hls"), [images])[0]
    np.testing.assert_array_equal(simulated, run_module(load("02-integer"), [images])[0])
    with torch.no_grad():
        pytorch = build_mlp(spec)(torch.from_numpy(images)).numpy()
    assert_close_same_decisions(pytorch, simulated)
