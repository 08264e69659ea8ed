"""qnn-compile's check fails, and names the pass and the value, when a pass is wrong.

Each test swaps one registered pass for a deliberately broken copy (in the
registry that the compile flow reads) and runs `qnn-compile`'s own entry point:
it must exit 1 with a diagnostic that names that pass and the first value that
departs, and leave no build directory. The unbroken flow on the same model passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from brevitas_corpus import export, get_model, prepare
from xdsl.rewriter import InsertPoint, Rewriter

import qnn_mlir.passes as registry
from qnn_mlir.compile_check import Stage, check_compiled
from qnn_mlir.diagnostics import QnnError
from qnn_mlir.dialects import dataflow, quant
from qnn_mlir.ir_constants import constant_array, dense_attr, make_constant
from qnn_mlir.passes.binarize_xnor import BinarizeXnor
from qnn_mlir.passes.convert_quant_to_dataflow import ConvertQuantToDataflow
from qnn_mlir.passes.streamline import Streamline
from qnn_mlir.tools import qnn_compile


@dataclass(frozen=True)
class ThresholdsOffByOne(Streamline):
    """streamline, then every integer threshold of the last activation moved up by 1."""

    def apply(self, ctx, op) -> None:
        super().apply(ctx, op)
        last = [t for t in op.walk() if isinstance(t, quant.MultiThresholdOp)
                and not quant.is_float_tensor(t.input)][-1]
        table = constant_array(last.thresholds) + 1
        constant = make_constant(table, quant.tensor_type(last.thresholds).element_type)
        Rewriter.insert_op(constant, InsertPoint.before(last))
        last.operands = [last.input, constant.result]


@dataclass(frozen=True)
class PopcountWithoutCeil(BinarizeXnor):
    """binarize-xnor with T_pop = floor((T + K) / 2) instead of the ceiling."""

    def apply(self, ctx, op) -> None:
        import qnn_mlir.passes.binarize_xnor as module

        original = module.popcount_thresholds
        module.popcount_thresholds = lambda t, k: (t.astype(np.int64) + k) // 2
        try:
            super().apply(ctx, op)
        finally:
            module.popcount_thresholds = original


@dataclass(frozen=True)
class FirstWeightFlipped(ConvertQuantToDataflow):
    """convert-quant-to-dataflow, then the first MVAU's weight (0, 0) negated."""

    def apply(self, ctx, op) -> None:
        super().apply(ctx, op)
        mvau = next(m for m in op.walk() if isinstance(m, dataflow.MVAUOp))
        weights = mvau.weight_values().copy()
        weights[0, 0] = -weights[0, 0] if weights[0, 0] else 1
        mvau.properties["weights"] = dense_attr(weights, mvau.weights.get_element_type())


BROKEN = {
    "streamline": (ThresholdsOffByOne, "w8_per_channel_int32bias_bn", "v4_act_quant_Quant"),
    "binarize-xnor": (PopcountWithoutCeil, "binarized_bn", "v4_act_quant_BipolarQuant"),
    "convert-quant-to-dataflow": (FirstWeightFlipped, "default_mlp", "v3_act_quant_Quant"),
}


def _with_pass(monkeypatch, name: str, replacement) -> None:
    original = registry.get_all_passes

    def patched():
        passes = original()
        passes[name] = lambda: replacement
        return passes

    monkeypatch.setattr(registry, "get_all_passes", patched)


@pytest.mark.parametrize("pass_name", sorted(BROKEN))
def test_a_broken_pass_exits_1_naming_the_pass_and_the_value(pass_name, monkeypatch, tmp_path,
                                                             capsys):
    broken, model_name, value = BROKEN[pass_name]
    spec = get_model(model_name)
    model = export(spec, prepare(spec), str(tmp_path / "model.onnx"))
    build = tmp_path / "build"
    with pytest.raises(SystemExit) as good:  # the real pass: the check passes
        qnn_compile.main([model, "-o", str(build)])
    assert good.value.code == 0
    capsys.readouterr()
    _with_pass(monkeypatch, pass_name, broken)
    broken_build = tmp_path / "broken"
    with pytest.raises(SystemExit) as failed:
        qnn_compile.main([model, "-o", str(broken_build)])
    error = capsys.readouterr().err
    assert failed.value.code == 1
    assert f"the first pass that changes a value is '{pass_name}'" in error, error
    assert f"%{value} (" in error, error
    assert "Traceback" not in error and not broken_build.exists()


def test_a_back_end_difference_is_blamed_on_the_back_end():
    """The C simulation must equal the last dataflow stage bit for bit."""
    from qnn_mlir.diagnostics import parse_module_text
    from qnn_mlir.dialects import make_context

    text = """
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %y = quant.mul %x, %two : (tensor<1x2xf32>, tensor<f32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}"""
    module = parse_module_text(make_context(), text, "m.mlir")
    inputs = np.ones((3, 2), dtype=np.float32)
    simulated = np.full((3, 2), 2.0, dtype=np.float32)
    result = check_compiled([Stage("import", module), Stage("copy", module.clone())],
                            simulated, inputs)
    assert result.bit_for_bit == 3
    simulated[1, 1] = 2.5
    with pytest.raises(QnnError, match=r"C simulation of the emitted C\+\+ differs from the "
                                       r"interpreter of the dataflow form on 1 of 3 inputs"):
        check_compiled([Stage("import", module), Stage("copy", module.clone())], simulated,
                       inputs)
