"""quant-to-integer keeps every bnn_pynq model's outputs bit for bit (their scales
are 1), and the lit test's functions; general float scales stay within tolerance."""

from __future__ import annotations

import os

import pytest
from export_bnn_pynq import export_config
from pass_semantics import apply_passes, assert_bit_identical, check_lit_file
from test_models import model_inputs

from qnn_mlir.frontend.onnx_importer import import_onnx

LIT = os.path.join(os.path.dirname(__file__), "lit", "passes", "quant-to-integer.mlir")
FC_CONFIGS = ["tfc_1w1a", "tfc_1w2a", "tfc_2w2a", "sfc_1w1a", "sfc_1w2a", "sfc_2w2a",
              "lfc_1w1a", "lfc_1w2a"]


@pytest.mark.parametrize("config", FC_CONFIGS)
def test_bnn_pynq_bit_identical(config, tmp_path, rng):
    exporter = "dynamo" if config in ("tfc_1w2a", "sfc_2w2a") else "legacy"
    module = import_onnx(export_config(config, str(tmp_path / "m.onnx"), exporter, seed=21))
    after = apply_passes(module, ["quant-to-integer"])
    assert "quant.bipolar_quant" not in str(after) and "quant.int_quant" not in str(after)
    assert_bit_identical(module, after, [model_inputs(config, 64, rng)])


def test_lit_cases(rng):
    assert check_lit_file(LIT, ["quant-to-integer"], rng) == 5
