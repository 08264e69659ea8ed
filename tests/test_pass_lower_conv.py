"""lower-conv: transpose, pad, sliding window and matmul compute the convolution exactly.

The oracle is onnxruntime's Conv on integer-valued data (exact in float32, so
any summation order gives the same bits), and the interpreter before the pass.
"""

from __future__ import annotations

import os
import re
import subprocess

import numpy as np
import onnx
import onnxruntime
import pytest
from export_bnn_pynq import export_config
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from pass_semantics import (
    apply_passes,
    assert_bit_identical,
    assert_close_same_decisions,
    lit_module,
)
from test_models import model_inputs
from xdsl.utils.exceptions import PassFailedException

from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module
from qnn_mlir.passes import is_exact
from qnn_mlir.passes.lower_conv import LowerConv

LIT = os.path.join(os.path.dirname(__file__), "lit", "passes", "lower-conv.mlir")


def conv_model(path: str, shape, out_channels: int, kernel, strides, pads, bias: bool,
               rng: np.random.Generator, group: int = 1, dilations=(1, 1)) -> str:
    """One ONNX Conv with small integer weights (and bias), saved to `path`."""
    n, channels, height, width = shape
    weights = rng.integers(-3, 4, size=(out_channels, channels // group, *kernel))
    initializers = [numpy_helper.from_array(weights.astype(np.float32), "w")]
    inputs = ["x", "w"]
    if bias:
        initializers.append(numpy_helper.from_array(
            rng.integers(-5, 6, size=out_channels).astype(np.float32), "b"))
        inputs.append("b")
    node = helper.make_node("Conv", inputs, ["y"], name="/features.3/Conv",
                            kernel_shape=list(kernel), strides=list(strides), pads=list(pads),
                            group=group, dilations=list(dilations))
    graph = helper.make_graph(
        [node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def onnxruntime_output(path: str, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(None, {"x": image[None]})[0] for image in x])


@settings(max_examples=30, deadline=None)
@given(kernel=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       strides=st.tuples(st.sampled_from([1, 2]), st.sampled_from([1, 2])),
       pads=st.tuples(*[st.integers(0, 3)] * 4),
       channels=st.integers(1, 5), out_channels=st.integers(1, 6),
       extra=st.tuples(st.integers(0, 5), st.integers(0, 5)),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_matches_onnxruntime_conv(tmp_path_factory, kernel, strides, pads, channels,
                                  out_channels, extra, bias, seed):
    # Every kernel size 1..7 (square or not), stride 1 or 2 per axis, symmetric or
    # asymmetric zero padding (pads < kernel or not), non-square inputs.
    rng = np.random.default_rng(seed)
    shape = (1, channels, kernel[0] + extra[0], kernel[1] + extra[1])
    path = conv_model(str(tmp_path_factory.mktemp("conv") / "conv.onnx"), shape, out_channels,
                      kernel, strides, pads, bias, rng)
    lowered = apply_passes(import_onnx(path), ["lower-conv"])
    text = str(lowered)
    assert "quant.conv" not in text and "quant.sliding_window" in text
    assert ("quant.pad" in text) == any(pads)
    x = rng.integers(-8, 9, size=(3, *shape[1:])).astype(np.float32)
    (actual,) = run_module(lowered, [x])
    np.testing.assert_array_equal(actual, onnxruntime_output(path, x))


def test_float_convolution_within_float_rounding(tmp_path, rng):
    # Float data (a Brevitas model before quant-to-integer): the window sums in
    # another order, so lower-conv is inexact there, within float rounding.
    path = conv_model(str(tmp_path / "conv.onnx"), (1, 3, 9, 7), 5, (3, 3), (2, 1),
                      (1, 0, 1, 2), True, rng)
    model = onnx.load(path)
    weights = rng.normal(size=(5, 3, 3, 3)).astype(np.float32)
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(weights, "w"))
    onnx.save(model, path)
    lowered = apply_passes(import_onnx(path), ["lower-conv"])
    x = rng.normal(size=(4, 3, 9, 7)).astype(np.float32)
    (actual,) = run_module(lowered, [x])
    np.testing.assert_allclose(actual, onnxruntime_output(path, x), rtol=1e-5, atol=1e-5)
    assert not is_exact(LowerConv())


def test_lit_cases(rng):
    # The lit file's functions on integer-valued inputs: exact whatever the summation order.
    from xdsl.dialects import func

    before = lit_module(LIT)
    after = apply_passes(before, ["lower-conv"])
    for function in before.ops:
        if isinstance(function, func.FuncOp):
            inputs = [rng.integers(-4, 5, size=arg.type.get_shape()).astype(np.float32)
                      for arg in function.body.block.args]
            assert_bit_identical(before, after, inputs, function.sym_name.data)


def test_cnv_is_bit_identical(tmp_path, rng):
    # FINN's CNV-w1a1 as Brevitas exports it: bipolar weight quantizers are rebuilt
    # on the weight matrices, and every value keeps its bits.
    module = import_onnx(export_config("cnv_1w1a", str(tmp_path / "cnv.onnx"), "legacy", seed=5))
    lowered = apply_passes(module, ["lower-conv"])
    text = str(lowered)
    assert text.count("quant.sliding_window") == 6 and "quant.conv" not in text
    assert text.count("quant.bipolar_quant") == str(module).count("quant.bipolar_quant")
    weight_matrices = re.findall(r"weight_quant_BipolarQuant = quant.bipolar_quant .*"
                                 r"-> tensor<\d+x\d+xf32>", text)
    assert len(weight_matrices) == 9  # 6 conv and 3 FC weight quantizers, on 2-D matrices
    assert_bit_identical(module, lowered, [model_inputs("cnv_1w1a", 8, rng)])


def test_cnv_streamlines_after_lowering(tmp_path, rng):
    # The lowered convolutions go through quant-to-integer, streamline and binarize-xnor
    # like Linear layers: the five binarized convolutions and three FC layers become
    # XNOR-popcounts, every BatchNorm folds into channels-last thresholds, the max
    # pools pool channels-last, the transposes between layers cancel, the one before
    # the flatten folds into the first FC layer's weight rows (only the one into the
    # first conv stays), and the outputs stay the model's (within float rounding,
    # which quant-to-integer's float tail allows).
    module = import_onnx(export_config("cnv_1w1a", str(tmp_path / "cnv.onnx"), "legacy", seed=5))
    lowered = apply_passes(module, ["lower-conv", "streamline-pipeline"])
    text = str(lowered)
    assert text.count("quant.xnor_popcount") == 8 and "quant.batchnorm" not in text
    assert text.count('data_layout = "NHWC"') == 6 + 2 and text.count("quant.transpose") == 1
    x = model_inputs("cnv_1w1a", 16, rng)
    (expected,), (actual,) = run_module(module, [x]), run_module(lowered, [x])
    assert_close_same_decisions(expected, actual)


@pytest.mark.parametrize("options,reason", [
    ({"group": 2}, "groups = 2"),
    ({"dilations": (2, 2)}, r"dilations \[2, 2\]"),
    ({"kernel": (9, 3)}, r"kernel \[9, 3\]"),
    ({"strides": (3, 1)}, r"strides \[3, 1\]"),
])
def test_unsupported_convolutions_are_diagnostics(tmp_path, rng, options, reason):
    settings_ = {"kernel": (3, 3), "strides": (1, 1), **options}
    path = conv_model(str(tmp_path / "conv.onnx"), (1, 4, 12, 12), 4, settings_["kernel"],
                      settings_["strides"], (0, 0, 0, 0), False, rng,
                      group=options.get("group", 1), dilations=options.get("dilations", (1, 1)))
    with pytest.raises(PassFailedException,
                       match=f"cannot lower convolution 'features.3': {reason}"):
        apply_passes(import_onnx(path), ["lower-conv"])


def test_unsupported_convolution_through_qnn_opt(tmp_path, rng):
    path = conv_model(str(tmp_path / "conv.onnx"), (1, 4, 8, 8), 4, (3, 3), (1, 1),
                      (1, 1, 1, 1), False, rng, group=4)
    imported = subprocess.run(["qnn-translate", "--import-onnx", path, "-o",
                               str(tmp_path / "conv.mlir")], capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    result = subprocess.run(["qnn-opt", str(tmp_path / "conv.mlir"), "-p", "lower-conv"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    # Text IR has no ONNX node names: the layer is named by its SSA value.
    assert "lower-conv cannot lower convolution 'features_3_Conv': groups = 4" in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
