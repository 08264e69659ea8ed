"""Convolutional networks compiled end to end (qnn-compile's flow, default folding) to the
g++ C simulation of the emitted HLS C++ compute exactly what the model computes.

* the trained LeNet-5 (examples/lenet5_w4a4.onnx, power-of-two scales): on all
  10,000 Fashion-MNIST test images the C simulation's logits equal PyTorch's
  bit for bit, and the accuracies of PyTorch, the interpreter and the C
  simulation are the same count;
* a LeNet-5 with learned float scales, biases and BatchNorm (negative gammas)
  compiles with every convolution on the accelerator, and its compile check
  (float rounding and threshold ties only) holds;
* bnn_pynq's CNV w1a1, w1a2 and w2a2 as published (3x32x32, seeded random
  weights): 100 random inputs, bit for bit against the interpreter, and a
  sample against qonnx's execute_onnx;
* CNV w1a1 and w2a2 with one input channel, trained on Fashion-MNIST padded to
  32x32 (examples/): 200 test images, the same way;
* CNV-w1a1 at FINN's notebook folding has FINN's 32,768-cycle bottleneck
  (about 3,050 frames/s at 100 MHz); the default folding reaches as much
  within the budget.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from conftest import REPO, qonnx_reference
from export_bnn_pynq import export_config

from qnn_mlir.backends.hls.csim import run_module_csim
from qnn_mlir.compiler import CompileOptions, compile_model, lower_to_cpp
from qnn_mlir.datasets import fashion_mnist
from qnn_mlir.diagnostics import parse_module_file
from qnn_mlir.dialects import make_context, quant
from qnn_mlir.equivalence import float_mismatch
from qnn_mlir.interpreter import run_module

EXAMPLES = os.path.join(REPO, "examples")
FINN_CNV_W1A1 = ((16, 3), (32, 32), (16, 32), (16, 32), (4, 32), (1, 32), (1, 4), (1, 8), (5, 1))
"""FINN's CNV-w1a1 notebook folding, (PE, SIMD) of its nine MVAUs in order (FACTS.md)."""


def load_stage(build: str, stage: str):
    return parse_module_file(make_context(), os.path.join(build, "ir", f"{stage}.mlir"))


def lenet5_pytorch(images: np.ndarray) -> np.ndarray:
    """The trained fixed-point LeNet-5 (its committed parameters), run by PyTorch."""
    import torch
    from train_bnn_pynq import predict
    from train_lenet5 import build_lenet5

    model = build_lenet5("fixed-point")
    model.load_state_dict(torch.load(os.path.join(EXAMPLES, "lenet5_w4a4.pt")))
    return predict(model.eval(), torch.from_numpy(images)).numpy()


def test_trained_lenet5_on_the_whole_test_set(tmp_path):
    model = os.path.join(EXAMPLES, "lenet5_w4a4.onnx")
    build = str(tmp_path / "build")
    summary = compile_model(model, build, CompileOptions(check_images=200))
    assert summary.accelerated_macs == summary.total_macs, summary.text()
    images, labels = fashion_mnist("test")
    simulated = run_module_csim(load_stage(build, "04-hls"), [images])[0]
    interpreted = run_module(load_stage(build, "01-imported"), [images])[0]
    reference = lenet5_pytorch(images)
    np.testing.assert_array_equal(simulated, reference)
    correct = [int(np.sum(out.argmax(1) == labels)) for out in (reference, interpreted,
                                                                 simulated)]
    with open(os.path.join(EXAMPLES, "lenet5_w4a4.json"), encoding="utf-8") as f:
        recorded = json.load(f)["test_correct"]
    assert correct == [recorded] * 3, correct
    np.testing.assert_array_equal(simulated[:10], qonnx_reference(model, images[:10]))


def test_float_scale_lenet5_puts_its_convolutions_on_the_accelerator(tmp_path):
    """Learned float scales, float biases and BatchNorm with negative gammas: the compile
    check (bit for bit, float rounding, or a reported threshold tie) holds, and no
    convolution or matrix product is left on the host."""
    model = os.path.join(EXAMPLES, "lenet5_w4a4_float.onnx")
    build = str(tmp_path / "build")
    images = fashion_mnist("test")[0][:300]
    summary = compile_model(model, build, CompileOptions(check_inputs=images))
    assert summary.check.startswith("C simulation == imported model"), summary.check
    assert summary.accelerated_macs == summary.total_macs, summary.text()
    host = load_stage(build, "03-dataflow")
    assert not [op for op in host.walk()
                if isinstance(op, quant.ConvOp | quant.MatMulOp | quant.SlidingWindowOp)]
    # Against qonnx itself: within float rounding except on the inputs the check reports
    # as threshold ties.
    sample = images[:40]
    simulated = run_module_csim(load_stage(build, "04-hls"), [sample])[0]
    beyond = float_mismatch(qonnx_reference(model, sample), simulated, exact=False)
    differing = set(np.nonzero(beyond.reshape(len(sample), -1).any(axis=1))[0].tolist())
    assert differing <= set(summary.tie_inputs), (differing, summary.check)


@pytest.mark.parametrize("config", ["cnv_1w1a", "cnv_1w2a", "cnv_2w2a"])
def test_cnv_with_random_weights_on_random_inputs(config, tmp_path, rng):
    model = export_config(config, str(tmp_path / "cnv.onnx"), "legacy", seed=17)
    inputs = rng.uniform(0, 1, size=(100, 3, 32, 32)).astype(np.float32)
    build = str(tmp_path / "build")
    summary = compile_model(model, build, CompileOptions(check_inputs=inputs[:20]))
    assert summary.check == "C simulation == imported model, bit for bit, on 20 inputs"
    simulated = run_module_csim(load_stage(build, "04-hls"), [inputs])[0]
    np.testing.assert_array_equal(simulated, run_module(load_stage(build, "01-imported"),
                                                        [inputs])[0])
    np.testing.assert_array_equal(simulated[:4], qonnx_reference(model, inputs[:4]))


@pytest.fixture(scope="module")
def cnv_w1a1(tmp_path_factory) -> str:
    return export_config("cnv_1w1a", str(tmp_path_factory.mktemp("cnv") / "cnv.onnx"),
                         "legacy", seed=5)


def test_finn_folding_of_cnv_w1a1_has_finn_bottleneck(cnv_w1a1, tmp_path):
    from qnn_mlir.frontend.onnx_importer import import_onnx

    module = import_onnx(cnv_w1a1)
    names = []  # the MVAUs' layer names: the modules of the convolutions and linear layers
    for op in module.walk():
        if isinstance(op, quant.ConvOp | quant.MatMulOp):
            from qnn_mlir.diagnostics import source_module

            names.append(source_module(op))
    assert len(names) == len(FINN_CNV_W1A1), names
    config = tmp_path / "finn.json"
    config.write_text(json.dumps({name: {"PE": pe, "SIMD": simd}
                                  for name, (pe, simd) in zip(names, FINN_CNV_W1A1,
                                                              strict=True)}))
    summary = lower_to_cpp(cnv_w1a1, CompileOptions(folding=str(config), skip_csim=True)).summary
    assert summary.bottleneck.endswith(", 32,768 cycles"), summary.text()
    assert round(summary.compute_fps) == 3052  # 100 MHz / 32,768
    assert "bottleneck linear_features.0, 32,768 cycles" in summary.text()


def test_default_folding_of_cnv_w1a1_reaches_finn_within_the_budget(cnv_w1a1):
    summary = lower_to_cpp(cnv_w1a1, CompileOptions(skip_csim=True)).summary
    assert summary.compute_fps >= 3050, summary.text()
    assert all(summary.total[key] <= allowed for key, allowed in summary.budget.items()), \
        summary.text()


@pytest.mark.parametrize("name", ["cnv_w1a1_fmnist", "cnv_w2a2_fmnist"])
def test_trained_cnv_on_fashion_mnist(name, tmp_path):
    """CNV trained on Fashion-MNIST padded to 32x32 (tools/train_bnn_pynq.py
    --in-channels 1): 200 test images, bit for bit against the interpreter, and a
    sample against execute_onnx (which the training run's export check found
    bit-identical to PyTorch on 200 images)."""
    model = os.path.join(EXAMPLES, f"{name}.onnx")
    images, labels = fashion_mnist("test")
    images = np.pad(images[:200], ((0, 0), (0, 0), (2, 2), (2, 2)))
    labels = labels[:200]
    build = str(tmp_path / "build")
    summary = compile_model(model, build, CompileOptions(check_inputs=images[:20]))
    assert summary.check == "C simulation == imported model, bit for bit, on 20 inputs"
    assert summary.accelerated_macs == summary.total_macs, summary.text()
    simulated = run_module_csim(load_stage(build, "04-hls"), [images])[0]
    np.testing.assert_array_equal(simulated, run_module(load_stage(build, "01-imported"),
                                                        [images])[0])
    np.testing.assert_array_equal(simulated[:3], qonnx_reference(model, images[:3]))
    assert np.mean(simulated.argmax(1) == labels) > 0.8
