"""Every bnn_pynq FC configuration, compiled end to end (qnn-compile's flow) to the
g++ C simulation of the emitted HLS C++, computes exactly what the model computes.

* trained TFC w1a1/w1a2/w2a2 (examples/): all 10,000 Fashion-MNIST test images;
  the C simulation's logits equal the reference interpreter's bit for bit, its
  correct count equals the one PyTorch recorded at training, and a sample is
  checked against qonnx's execute_onnx directly; for TFC-w1a1, whose trained
  parameters are committed, the logits equal PyTorch's on all 10,000 images;
* the other configurations, with random weights, at the default folding: 1000
  random inputs, bit for bit against the interpreter, plus an execute_onnx sample.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from conftest import REPO, qonnx_reference
from export_bnn_pynq import export_config

from qnn_mlir.backends.hls.csim import run_module_csim
from qnn_mlir.compiler import CompileOptions, compile_model
from qnn_mlir.datasets import fashion_mnist
from qnn_mlir.diagnostics import parse_module_file
from qnn_mlir.dialects import make_context
from qnn_mlir.interpreter import run_module

EXAMPLES = os.path.join(REPO, "examples")


def compiled_outputs(model: str, build: str, images: np.ndarray):
    """(C simulation, interpreter) outputs of the model compiled as a user compiles it, at
    the default folding (the fastest that fits the board), on `images`."""
    compile_model(model, build, CompileOptions(check_images=50))
    imported = parse_module_file(make_context(), os.path.join(build, "ir", "01-imported.mlir"))
    hls_form = parse_module_file(make_context(), os.path.join(build, "ir", "04-hls.mlir"))
    return run_module_csim(hls_form, [images])[0], run_module(imported, [images])[0]


@pytest.mark.parametrize("name", ["tfc_w1a1", "tfc_w1a2", "tfc_w2a2"])
def test_trained_tfc_on_the_whole_test_set(name, tmp_path):
    model = os.path.join(EXAMPLES, f"{name}.onnx")
    with open(os.path.join(EXAMPLES, f"{name}.json"), encoding="utf-8") as f:
        record = json.load(f)
    images, labels = fashion_mnist("test")
    simulated, interpreted = compiled_outputs(model, str(tmp_path / "build"), images)
    np.testing.assert_array_equal(simulated, interpreted)
    assert int(np.sum(simulated.argmax(1) == labels)) == record["test_correct"]
    np.testing.assert_array_equal(simulated[:40], qonnx_reference(model, images[:40]))
    state = os.path.join(EXAMPLES, f"{name}.pt")
    if name == "tfc_w1a1":  # its trained parameters are committed: PyTorch itself, 10k images
        np.testing.assert_array_equal(simulated, pytorch_logits(record["config"], state, images))


def pytorch_logits(config: str, state_path: str, images: np.ndarray) -> np.ndarray:
    """The trained Brevitas model, run by PyTorch on `images`."""
    import torch
    from train_bnn_pynq import load_trained, predict

    return predict(load_trained(config, state_path), torch.from_numpy(images)).numpy()


@pytest.mark.parametrize("config", ["sfc_1w1a", "sfc_1w2a", "sfc_2w2a", "lfc_1w1a", "lfc_1w2a",
                                    "tfc_1w1a", "tfc_1w2a", "tfc_2w2a"])
def test_random_weights_on_random_inputs(config, tmp_path, rng):
    exporter = "dynamo" if config in ("sfc_1w2a", "lfc_1w1a") else "legacy"
    model = export_config(config, str(tmp_path / "m.onnx"), exporter, seed=31)
    inputs = rng.uniform(0, 1, size=(1000, 1, 28, 28)).astype(np.float32)
    inputs[:20] = np.round(inputs[:20])  # pixels exactly on the decision points too
    simulated, interpreted = compiled_outputs(model, str(tmp_path / "build"), inputs)
    np.testing.assert_array_equal(simulated, interpreted)
    np.testing.assert_array_equal(simulated[:20], qonnx_reference(model, inputs[:20]))


def test_vitis_testbench_vectors_pass_standalone(tmp_path):
    """qnn-compile writes hls/tb_input.bin and tb_expected.bin; the emitted testbench,
    compiled as Vitis C simulation would (portable path, plain g++), passes on them
    and fails on a corrupted expectation."""
    import subprocess

    from qnn_mlir.backends.hls.csim import ap_types_dir

    build = tmp_path / "build"
    compile_model(os.path.join(EXAMPLES, "tfc_w1a1.onnx"), str(build),
                  CompileOptions(folding=os.path.join(EXAMPLES, "folding_tfc_w1a1.json"),
                                 check_images=120))
    hls = build / "hls"
    binary = str(tmp_path / "testbench")
    subprocess.run(["g++", "-std=c++14", "-O1", "-DQNN_PORTABLE_CSIM", "-isystem", ap_types_dir(),
                    f"-I{hls / 'include'}", f"-I{hls / 'csim'}", str(hls / "top.cpp"),
                    str(hls / "testbench.cpp"), "-o", binary], check=True)
    run = subprocess.run([binary, "tb_input.bin", "tb_expected.bin"], cwd=hls,
                         capture_output=True, text=True)
    assert run.returncode == 0 and "PASS: 100 frame(s)" in run.stdout, run.stdout + run.stderr
    corrupted = bytearray((hls / "tb_expected.bin").read_bytes())
    corrupted[7] ^= 1
    (tmp_path / "bad.bin").write_bytes(bytes(corrupted))
    run = subprocess.run([binary, "tb_input.bin", str(tmp_path / "bad.bin")], cwd=hls,
                         capture_output=True, text=True)
    assert run.returncode == 1 and "FAIL" in run.stderr
