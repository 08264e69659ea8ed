"""The stage comparison (equivalence.py) and its command-line forms, qnn-run --compare and
--bisect: exact passes must keep every value; an inexact one may differ by float
rounding and at threshold ties, and nothing else."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from conftest import tool
from pass_semantics import apply_passes

from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context, quant
from qnn_mlir.equivalence import compare
from qnn_mlir.ir_constants import constant_array, make_constant

MODEL = """
func.func @main(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {{
  {scaling}
  %scale = arith.constant dense<0.1> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %act = quant.int_quant %t, %scale, %zero {{bitwidth = 4 : i64, signed = false, narrow = false}}
      : (tensor<1x3xf32>, tensor<f32>, tensor<f32>) -> tensor<1x3xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %y = quant.mul %act, %two : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}}
"""
ONE_STEP = """%s = arith.constant dense<0.3> : tensor<f32>
  %t = quant.mul %x, %s : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>"""
TWO_STEPS = """%three = arith.constant dense<3.0> : tensor<f32>
  %x3 = quant.mul %x, %three : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %tenth = arith.constant dense<0.1> : tensor<f32>
  %t = quant.mul %x3, %tenth : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>"""


def _modules():
    """`before` computes t = x * 0.3, `after` (x * 3) * 0.1 and then quant-to-integer:
    the same t within float rounding, so that some inputs straddle a threshold."""
    before = parse_module_text(make_context(), MODEL.format(scaling=ONE_STEP), "before.mlir")
    other = parse_module_text(make_context(), MODEL.format(scaling=TWO_STEPS), "after.mlir")
    return before, apply_passes(other, ["quant-to-integer"])


def _near_ties() -> np.ndarray:
    """x with x * 0.3 at and around the rounding points (k + 0.5) / 10 of the quantizer."""
    centres = (np.arange(15) + 0.5) / 3.0
    offsets = np.arange(-3, 4)[:, None] * np.spacing(np.float32(centres))[None, :]
    x = (centres[None, :] + offsets).astype(np.float32).reshape(-1)
    x = x[: len(x) // 3 * 3].reshape(-1, 3)
    return np.concatenate([x, np.random.default_rng(0).uniform(0, 5, (64, 3))]).astype(
        np.float32)


def test_threshold_ties_are_told_apart_from_divergences():
    before, after = _modules()
    inputs = _near_ties()
    result = compare(before, after, [inputs], exact=False)
    assert result.divergence is None
    assert result.ties and set(result.ties.values()) == {"act"}
    # the tied inputs are exactly those whose activation levels differ
    x = inputs.astype(np.float32)
    one = np.rint(np.clip((x * np.float32(0.3)) / np.float32(0.1), 0, 15))
    two = np.rint(np.clip((x * np.float32(3.0) * np.float32(0.1)) / np.float32(0.1), 0, 15))
    assert set(result.ties) == set(np.nonzero(np.any(one != two, axis=1))[0].tolist())
    # in an exact pass the same difference is a divergence
    exact = compare(before, after, [inputs], exact=True)
    assert exact.divergence is not None and exact.divergence.name == "t"


def test_a_wrong_threshold_is_a_divergence_not_a_tie():
    before, after = _modules()
    threshold = next(op for op in after.walk() if isinstance(op, quant.MultiThresholdOp))
    table = constant_array(threshold.thresholds).copy()
    table[0, 7] += np.float32(0.05)  # level 8 now starts later: not a rounding effect
    constant = make_constant(table, quant.tensor_type(threshold.thresholds).element_type)
    threshold.parent_block().insert_op_before(constant, threshold)
    threshold.operands = [threshold.input, constant.result]
    inputs = np.full((4, 3), 0.78 / 0.3, dtype=np.float32)  # t = 0.78: level 8, then 7
    result = compare(before, after, [inputs], exact=False)
    assert result.divergence is not None and result.divergence.name == "act"
    assert result.divergence.op == "quant.multithreshold"
    assert "level 8 before, 7 after" in result.divergence.detail
    assert not result.ties


def test_qnn_run_compare_and_bisect(tmp_path):
    before, after = _modules()
    (tmp_path / "before.mlir").write_text(str(before))
    (tmp_path / "after.mlir").write_text(str(after))
    inputs = _near_ties()
    np.save(tmp_path / "x.npy", inputs)
    run = [tool("qnn-run"), str(tmp_path / "before.mlir"), "--input", str(tmp_path / "x.npy")]
    ok = subprocess.run(run + ["--compare", str(tmp_path / "after.mlir")], capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    assert "within float rounding" in ok.stdout and "threshold tie at %act" in ok.stdout
    strict = subprocess.run(run + ["--compare", str(tmp_path / "after.mlir"), "--exact"],
                            capture_output=True, text=True)
    assert strict.returncode == 1 and "error: departs from" in strict.stderr
    assert "%t ('quant.mul'" in strict.stderr and "Traceback" not in strict.stderr
    bisect = subprocess.run(run + ["--bisect", "-p", "quant-to-integer,streamline"],
                            capture_output=True, text=True)
    assert bisect.returncode == 0, bisect.stderr
    assert bisect.stdout.splitlines() == [
        f"quant-to-integer: keeps every value within float rounding on {len(inputs)} inputs",
        f"streamline: keeps every value bit for bit on {len(inputs)} inputs"]


@pytest.mark.parametrize("arguments,message", [
    (["--bisect"], "--bisect needs the passes: -p PIPELINE"),
    (["--compare", "x.mlir", "--output", "y.npy"], "take one .mlir file"),
])
def test_compare_and_bisect_usage_errors(arguments, message, tmp_path):
    before, _ = _modules()
    path = tmp_path / "m.mlir"
    path.write_text(str(before))
    result = subprocess.run([tool("qnn-run"), str(path), *arguments], capture_output=True,
                            text=True)
    assert result.returncode == 1 and message in result.stderr


def test_the_float_rule():
    """Within FLOAT_RTOL of the tensor's largest finite magnitude; NaN equals NaN; an
    infinity equals only itself; exact means every bit."""
    from qnn_mlir.equivalence import FLOAT_RTOL, float_mismatch

    a = np.array([[100.0, 1.0, np.inf, np.nan, 0.0]], dtype=np.float32)
    near = a + np.array([[0.5 * FLOAT_RTOL * 100, -0.02, 0, 0, 0.02]], dtype=np.float32)
    assert float_mismatch(a, near, exact=False).tolist() == [[False, False, False, False,
                                                                False]]
    assert float_mismatch(a, near, exact=True).tolist() == [[True, True, False, False, True]]
    far = np.array([[100.0 + 2 * FLOAT_RTOL * 100, 1.0, 5.0, 1.0, 0.0]], dtype=np.float32)
    assert float_mismatch(a, far, exact=False).tolist() == [[True, False, True, True, False]]
