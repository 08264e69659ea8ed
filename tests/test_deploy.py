"""The deployment package end to end: `qnn-compile` writes BUILD/deploy/, whose
`driver.py --device sim` must give the whole model's output bit for bit equal to
`qnn-run --csim BUILD` and to qonnx's execute_onnx on the ONNX file.

The driver runs as a user runs it: a separate Python process started in the
package directory, importing only the package's own copy of the runtime.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, qonnx_reference, tool

EXAMPLES = os.path.join(REPO, "examples")


def fashion_images(count: int, shape: tuple[int, ...]) -> np.ndarray:
    """Test images of Fashion-MNIST (the models' training set), in the model's shape."""
    from qnn_mlir.datasets import fashion_mnist

    images = fashion_mnist("test")[0][:count]
    if shape[-1] == 32:  # CNV takes 32x32: pad the 28x28 image by 2 on each side
        images = np.pad(images.reshape(-1, 28, 28), ((0, 0), (2, 2), (2, 2)))
    return images.reshape(count, *shape).astype(np.float32)


def run(command: list[str], cwd: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr + result.stdout
    return result


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """name -> build directory of `qnn-compile` with no flags but the check's size."""
    builds = {}

    def build(name: str, *flags: str) -> str:
        if name not in builds:
            directory = str(tmp_path_factory.mktemp(name) / "build")
            run([tool("qnn-compile"), os.path.join(EXAMPLES, f"{name}.onnx"), "-o", directory,
                 *flags])
            builds[name] = directory
        return builds[name]

    return build


def driver_outputs(build: str, images: np.ndarray, tmp_path, *flags: str) -> np.ndarray:
    x, y = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x, images)
    deploy = os.path.join(build, "deploy")
    # from an unrelated directory: the driver finds its package by its own path
    run([sys.executable, os.path.join(deploy, "driver.py"), "--device", "sim", "--input",
         str(x), "--output", str(y), *flags], cwd=str(tmp_path))
    return np.load(y)


def csim_outputs(build: str, images: np.ndarray, tmp_path) -> np.ndarray:
    x, z = tmp_path / "x_csim.npy", tmp_path / "z.npy"
    np.save(x, images)
    run([tool("qnn-run"), "--csim", build, "--input", str(x), "--output", str(z)])
    return np.load(z)


@pytest.mark.parametrize("name", ["tfc_w1a1", "tfc_w1a2", "tfc_w2a2"])
def test_trained_tfc_driver_equals_csim_and_qonnx(name, compiled, tmp_path):
    build = compiled(name, "--check-images", "100")
    images = fashion_images(300, (1, 28, 28))
    outputs = driver_outputs(build, images, tmp_path, "--batch", "128")
    assert outputs.dtype == np.float32 and outputs.shape == (300, 10)
    assert np.array_equal(outputs, csim_outputs(build, images, tmp_path))
    sample = images[:40]  # qonnx takes about 11 ms per image
    assert np.array_equal(outputs[:40], qonnx_reference(os.path.join(EXAMPLES, f"{name}.onnx"),
                                                        sample))


def test_trained_cnv_driver_equals_csim_and_qonnx(compiled, tmp_path):
    build = compiled("cnv_w1a1_fmnist", "--check-images", "10")
    images = fashion_images(6, (1, 32, 32))
    outputs = driver_outputs(build, images, tmp_path)
    assert np.array_equal(outputs, csim_outputs(build, images, tmp_path))
    reference = qonnx_reference(os.path.join(EXAMPLES, "cnv_w1a1_fmnist.onnx"), images)
    assert np.array_equal(outputs, reference)


def test_package_contents_and_manifest(compiled):
    deploy = os.path.join(compiled("tfc_w1a1", "--check-images", "100"), "deploy")
    for name in ("driver.py", "validate.py", "model.py", "host_constants.npz", "manifest.json",
                 "README.md", "sim/accelerator.so", "vivado/block_design.tcl",
                 "qnn_runtime/packing.py", "qnn_runtime/accelerator.py"):
        assert os.path.isfile(os.path.join(deploy, name)), name
    with open(os.path.join(deploy, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    (port_in,), (port_out,) = manifest["inputs"], manifest["outputs"]
    # TFC-w1a1: 784 bipolar pixels in words of SIMD bits, 10 ui7 logits
    assert port_in["datatype"] == "bipolar" and port_in["shape"] == [1, 784]
    assert port_in["fold"] <= port_in["word_bits"] < port_in["fold"] + 8  # whole bytes
    assert 784 % port_in["fold"] == 0
    assert port_in["beat_bits"] in (8, 16, 32, 64, 128, 256, 512, 1024)
    assert port_in["beat_bits"] >= port_in["word_bits"]
    assert port_out["datatype"] == "uint7" and port_out["shape"] == [1, 10]
    assert manifest["host"]["inputs"][0]["shape"] == [1, 1, 28, 28]
    assert manifest["folding"], "qnn-compile records the layers' PE and SIMD"
    with open(os.path.join(deploy, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert "vivado -mode batch -source" in readme and "driver.py --device sim" in readme


def test_validate_reports_the_accuracy_the_outputs_give(compiled, tmp_path):
    build = compiled("tfc_w1a1", "--check-images", "100")
    from qnn_mlir.datasets import fashion_mnist

    images, labels = fashion_mnist("test")
    images, labels = images[:500].reshape(500, 1, 28, 28), labels[:500].astype(np.int64)
    expected = np.mean(np.argmax(csim_outputs(build, images, tmp_path), axis=1) == labels)
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "labels.npy", labels)
    result = run([sys.executable, os.path.join(build, "deploy", "validate.py"), "--device",
                  "sim", "--images", str(tmp_path / "images.npy"), "--labels",
                  str(tmp_path / "labels.npy")])
    assert f"top-1 accuracy: {100 * expected:.2f}%" in result.stdout


def test_throughput_reports_its_breakdown(compiled):
    build = compiled("tfc_w1a1", "--check-images", "100")
    result = run([sys.executable, os.path.join(build, "deploy", "driver.py"), "--device", "sim",
                  "--throughput", "--batch", "200"])
    assert "images/s" in result.stdout
    for phase in ("host", "pack", "transfer", "unpack"):
        assert phase in result.stdout
