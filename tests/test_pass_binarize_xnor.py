"""binarize-xnor is bit-identical: x.w = 2P - K and T_pop = ceil((T + K) / 2)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from export_bnn_pynq import export_config
from pass_semantics import apply_passes, assert_bit_identical, check_lit_file
from test_models import model_inputs

from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.passes.binarize_xnor import popcount_thresholds

LIT = os.path.join(os.path.dirname(__file__), "lit", "passes", "binarize-xnor.mlir")


def test_popcount_threshold_formula():
    """The classic example (K = 576, T = -10 gives 283), and the equivalence over a range."""
    assert popcount_thresholds(np.array([-10]), 576)[0] == 283
    fan_in = 7
    for threshold in range(-9, 10):
        t_pop = popcount_thresholds(np.array([threshold]), fan_in)[0]
        for popcount in range(fan_in + 1):
            assert (2 * popcount - fan_in >= threshold) == (popcount >= t_pop)


@pytest.mark.parametrize("config,xnor_layers", [("tfc_1w1a", 4), ("lfc_1w1a", 4),
                                                ("tfc_1w2a", 0), ("tfc_2w2a", 0)])
def test_bnn_pynq_bit_identical(config, xnor_layers, tmp_path, rng):
    module = import_onnx(export_config(config, str(tmp_path / "m.onnx"), "legacy", seed=23))
    streamlined = apply_passes(module, ["quant-to-integer", "streamline"])
    after = apply_passes(streamlined, ["binarize-xnor"])
    assert str(after).count("quant.xnor_popcount") == xnor_layers
    assert_bit_identical(streamlined, after, [model_inputs(config, 64, rng)])


def test_lit_cases(rng):
    assert check_lit_file(LIT, ["binarize-xnor"], rng) == 3
