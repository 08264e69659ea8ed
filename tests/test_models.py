"""Every bnn_pynq configuration, exported both ways, imports to IR that verifies,
round-trips through the textual form, and runs bit-identically to execute_onnx."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from conftest import qonnx_reference, tool
from export_bnn_pynq import CONFIGS, export_config, input_shape

from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module
from qnn_mlir.tools.qnn_translate import module_to_text


def model_inputs(config: str, count: int, rng: np.random.Generator) -> np.ndarray:
    """Random images in the model's input range, plus values that sit exactly on
    quantizer decision points (0.5 -> 2x-1 = 0 for FC; k/256 ties for CNV's 8-bit input)."""
    shape = input_shape(config)[1:]
    if config.startswith("cnv"):
        images = rng.uniform(-1, 1, size=(count, *shape))
        images[-2:] = rng.integers(-256, 256, size=(2, *shape)) / 256.0
    else:
        images = rng.uniform(0, 1, size=(count, *shape))
        images[-1] = rng.choice([0.0, 0.5, 1.0], size=shape)
    return images.astype(np.float32)


@pytest.mark.parametrize("exporter", ["legacy", "dynamo"])
@pytest.mark.parametrize("config", CONFIGS)
def test_import_and_run_matches_execute_onnx(config, exporter, tmp_path, rng):
    path = export_config(config, str(tmp_path / f"{config}.onnx"), exporter, seed=7)
    module = import_onnx(path)

    # The printed IR parses and verifies again, and prints identically.
    text = module_to_text(module)
    reparsed = parse_module_text(make_context(), text, "roundtrip.mlir")
    assert module_to_text(reparsed) == text

    images = model_inputs(config, 8 if config.startswith("cnv") else 24, rng)
    ours = run_module(reparsed, [images])[0]
    reference = qonnx_reference(path, images)
    assert ours.dtype == reference.dtype == np.float32
    np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("config", ["tfc_1w1a", "cnv_2w2a"])
def test_command_line_tools_agree_with_library(config, tmp_path, rng):
    """qnn-translate -> qnn-opt -> qnn-run on files gives the library's results."""
    onnx_path = export_config(config, str(tmp_path / "m.onnx"), "legacy", seed=3)
    mlir_path, opt_path = tmp_path / "m.mlir", tmp_path / "opt.mlir"
    images = model_inputs(config, 4, rng)
    np.save(tmp_path / "x.npy", images)
    subprocess.run([tool("qnn-translate"), "--import-onnx", onnx_path, "-o", mlir_path], check=True)
    subprocess.run([tool("qnn-opt"), mlir_path, "-p", "quant-canonicalize", "-o", opt_path],
                   check=True)
    subprocess.run([tool("qnn-run"), opt_path, "--input", tmp_path / "x.npy",
                    "--output", tmp_path / "y.npy"], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), qonnx_reference(onnx_path, images))
