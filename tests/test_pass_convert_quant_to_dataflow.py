"""convert-quant-to-dataflow preserves semantics bit for bit: the interpreter before the
pass is the oracle after it, on the lit test's IR and on exported models in integer form."""

from __future__ import annotations

import pytest
from dataflow_models import (
    assert_same_on_images,
    check_lit_cases,
    lit_module,
    ops_where,
    run_passes,
    tfc_images,
    tfc_integer_form,
)
from export_bnn_pynq import export_config
from xdsl.dialects.builtin import f32
from xdsl.utils.exceptions import PassFailedException

from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import dataflow, make_context, quant
from qnn_mlir.passes.convert_quant_to_dataflow import host_reason, unconvertible_reason

PASS = "convert-quant-to-dataflow"


def test_lit_cases_unchanged_outputs(rng):
    check_lit_cases(PASS, rng, functions=3)


def test_tfc_w1a1_becomes_input_quantizer_and_four_xnor_mvaus(rng):
    before = tfc_integer_form()
    after = run_passes(before, PASS)
    layers = ops_where(after, lambda op: isinstance(op, dataflow.LayerOp))
    assert [op.name for op in layers] == ["dataflow.thresholding"] + ["dataflow.mvau"] * 4
    assert all(op.xnor is not None and op.thresholds is not None for op in layers[1:4])
    assert layers[4].thresholds is None  # the last layer outputs its popcount to the host
    assert layers[0].in_type.element_type == f32  # the input quantizer reads floats
    assert len({op.layer_name.data for op in layers}) == 5
    # consecutive layers are connected by streams: one to_stream in, one from_stream out
    assert len(ops_where(after, lambda op: isinstance(op, dataflow.ToStreamOp))) == 1
    assert len(ops_where(after, lambda op: isinstance(op, dataflow.FromStreamOp))) == 1
    assert_same_on_images(before, after, tfc_images(100, rng))


@pytest.mark.parametrize("config", ["tfc_2w2a", "sfc_1w2a"])
def test_exported_multibit_models_unchanged_outputs(config, tmp_path, rng):
    before = tfc_integer_form(export_config(config, str(tmp_path / "m.onnx"), "legacy", seed=5))
    after = run_passes(before, PASS)
    mvaus = ops_where(after, lambda op: isinstance(op, dataflow.MVAUOp))
    assert len(mvaus) == 4
    assert not ops_where(after, lambda op: isinstance(op, quant.MatMulOp | quant.XnorPopcountOp))
    assert_same_on_images(before, after, tfc_images(50, rng))


def test_reasons_say_why_ops_stay():
    module = lit_module(PASS)
    reasons = {op.results[0].name_hint: host_reason(op) for op in module.walk()
               if isinstance(op, quant.QuantOp) and unconvertible_reason(op) is not None}
    assert "innermost" in reasons["nchw"]
    assert "out_scale 0.5" in reasons["scaled"] or "f32" in reasons["scaled"]
    assert "not quantized" in reasons["float_matmul"]
    assert "values are used" in reasons["values"]


def test_an_inconsistent_integer_form_is_a_diagnostic_not_a_wrong_layer():
    text = """
func.func @narrow(%s: tensor<1x6xsi8>) -> tensor<1x2xsi4> {
  %w = arith.constant dense<1> : tensor<6x2xsi2>
  %fc0 = quant.matmul %s, %w : (tensor<1x6xsi8>, tensor<6x2xsi2>) -> tensor<1x2xsi4>
  func.return %fc0 : tensor<1x2xsi4>
}
"""
    module = parse_module_text(make_context(), text, "narrow.mlir")
    with pytest.raises(PassFailedException, match=(
            r"cannot convert 'quant.matmul' at narrow.mlir:4:3: 'dataflow.mvau' accumulator "
            r"range \[-768, 762\] does not fit the output element type si4 \[-8, 7\]: use si11")):
        run_passes(module, PASS)
