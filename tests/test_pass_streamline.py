"""streamline is bit-identical: thresholds come from an exact search."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from export_bnn_pynq import export_config
from pass_semantics import apply_passes, assert_bit_identical, check_lit_file
from test_models import model_inputs

from qnn_mlir.datasets import fashion_mnist
from qnn_mlir.frontend.onnx_importer import import_onnx

LIT = os.path.join(os.path.dirname(__file__), "lit", "passes", "streamline.mlir")


@pytest.mark.parametrize("config", ["tfc_1w1a", "tfc_2w2a", "sfc_1w2a", "lfc_1w1a"])
def test_bnn_pynq_bit_identical(config, tmp_path, rng):
    module = import_onnx(export_config(config, str(tmp_path / "m.onnx"), "legacy", seed=22))
    integer = apply_passes(module, ["quant-to-integer"])
    after = apply_passes(integer, ["streamline"])
    text = str(after)
    assert "quant.batchnorm" not in text
    # every multithreshold but the input quantizer's reads an integer accumulator
    float_inputs = re.findall(r"quant\.multithreshold [^\n]*: \(tensor<[0-9x]*xf32>", text)
    assert len(float_inputs) == 1
    images, _ = fashion_mnist("test")
    batch = np.concatenate([images[:200], model_inputs(config, 32, rng)])
    assert_bit_identical(integer, after, [batch])


def test_lit_cases(rng):
    assert check_lit_file(LIT, ["streamline"], rng) == 9
