"""quant-canonicalize preserves semantics bit for bit: the interpreter before the
pass is the oracle for the IR after it, on real exports and on the lit test's IR."""

from __future__ import annotations

import os

import numpy as np
import pytest
from export_bnn_pynq import export_config
from test_models import model_inputs
from xdsl.context import Context

from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module
from qnn_mlir.passes.quant_canonicalize import QuantCanonicalize
from qnn_mlir.tools.qnn_translate import module_to_text

LIT_INPUT = os.path.join(os.path.dirname(__file__), "lit", "passes", "quant-canonicalize.mlir")


def canonicalized(module):
    copy = module.clone()
    QuantCanonicalize().apply(Context(), copy)
    copy.verify()
    return copy


@pytest.mark.parametrize("config,exporter", [("tfc_2w2a", "dynamo"), ("cnv_1w1a", "legacy")])
def test_real_models_unchanged_outputs(config, exporter, tmp_path, rng):
    module = import_onnx(export_config(config, str(tmp_path / "m.onnx"), exporter, seed=11))
    after = canonicalized(module)
    images = model_inputs(config, 6, rng)
    np.testing.assert_array_equal(run_module(module, [images])[0], run_module(after, [images])[0])


def _float_functions(text: str):
    """The lit test's functions with only float tensor arguments (the ones we can feed)."""
    module = parse_module_text(make_context(), text, LIT_INPUT)
    for function in module.ops:
        types = function.function_type.inputs.data
        if types and all("f32" in str(t) for t in types):
            yield function.sym_name.data, [tuple(t.get_shape()) for t in types]


def test_lit_cases_unchanged_outputs(rng):
    with open(LIT_INPUT, encoding="utf-8") as f:
        text = f.read()
    before = parse_module_text(make_context(), text, LIT_INPUT)
    after = canonicalized(before)
    assert module_to_text(after) != module_to_text(before)  # the pass did rewrite something
    checked = 0
    for name, shapes in _float_functions(text):
        inputs = [rng.normal(size=s).astype(np.float32) for s in shapes]
        inputs[0].flat[0] = -0.0  # signed zero must survive
        expected = run_module(before, inputs, name)
        actual = run_module(after, inputs, name)
        for e, a in zip(expected, actual, strict=True):
            np.testing.assert_array_equal(np.signbit(e), np.signbit(a))
            np.testing.assert_array_equal(e, a)
        checked += 1
    assert checked >= 5
