"""QCDQ import (QuantizeLinear -> [Clip] -> DequantizeLinear) against onnxruntime, which
runs these models natively: the imported IR must compute the same bits.

Covered: export_onnx_qcdq exports of an MLP with Brevitas' default quantizers, of an
8-bit per-channel MLP with Int32Bias and of a 4-bit one (Clip), with both torch
exporters; hand-built graphs for what those exports do not show (an odd zero point
with inputs exactly on the rounding points, per-axis weights, narrow ranges, int32
biases). The compile of such models is checked against PyTorch in test_corpus.py.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from brevitas_corpus import MODELS, export, model_inputs, prepare, pytorch_outputs
from onnx import TensorProto, helper, numpy_helper
from pass_semantics import assert_close_same_decisions

from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.frontend.qcdq import convert_qcdq
from qnn_mlir.interpreter import run_module

QCDQ_MODELS = [m for m in MODELS if m.exporter.startswith("qcdq")]


def onnxruntime_values(model: onnx.ModelProto, inputs: np.ndarray,
                       names: list[str]) -> dict[str, np.ndarray]:
    """The tensors `names` as onnxruntime computes them, one input at a time, with its
    graph optimizations off: they fuse DequantizeLinear -> Gemm into an integer QGemm
    that assumes the bias scale is the product of the input and weight scales, which
    ONNX does not require."""
    model = onnx.shape_inference.infer_shapes(model)  # a copy, with the extra outputs
    outputs = {o.name for o in model.graph.output}
    for name in names:
        if name not in outputs:
            model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                                    None))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    runs = [session.run(names, {feed: x[None]}) for x in inputs]
    return {name: np.concatenate([run[i] for run in runs]) for i, name in enumerate(names)}


def check_quantizers_bit_for_bit(path: str, inputs: np.ndarray, tmp_path) -> int:
    """Every QCDQ quantizer of the model, imported on its own, maps the tensor that
    onnxruntime feeds it to exactly onnxruntime's dequantized output. Returns how many."""
    original = onnx.load(path)
    fused = convert_qcdq(onnx.load(path), path)
    initializers = {t.name: t for t in fused.graph.initializer}
    quantizers = [n for n in fused.graph.node if n.op_type == "Quant"]
    weights = [n for n in quantizers if n.input[0] in initializers]
    activations = [n for n in quantizers if n not in weights]
    values = onnxruntime_values(original, inputs, [n.input[0] for n in activations]
                                + [n.output[0] for n in activations])
    values.update(onnxruntime_values(original, inputs[:1], [n.output[0] for n in weights]))
    for index, node in enumerate(quantizers):
        if node in weights:  # a constant: one "batch" of it
            x = numpy_helper.to_array(initializers[node.input[0]])[None]
        else:
            x = values[node.input[0]]
        expected = values[node.output[0]]
        alone = onnx.helper.make_node("Quant", ["x", *node.input[1:]], ["y"], name="alone",
                                      domain=node.domain)
        alone.attribute.extend(node.attribute)
        graph = helper.make_graph(
            [alone], "one", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape[1:]
                                                           and [1, *x.shape[1:]])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [initializers[name] for name in node.input[1:]])
        single = helper.make_model(graph, opset_imports=list(fused.opset_import))
        single.ir_version = 9
        single_path = str(tmp_path / f"quantizer{index}.onnx")
        onnx.save(single, single_path)
        ours = run_module(import_onnx(single_path), [x.reshape(len(x), *x.shape[1:])])[0]
        np.testing.assert_array_equal(ours.reshape(expected.shape), expected,
                                      err_msg=f"quantizer {node.name}")
    return len(quantizers)


@pytest.mark.parametrize("spec", QCDQ_MODELS, ids=[m.name for m in QCDQ_MODELS])
def test_brevitas_qcdq_exports_match_onnxruntime_and_pytorch(spec, tmp_path):
    """Each quantizer bit for bit; the whole model within float rounding (float32 Gemms
    sum in another order in onnxruntime's MLAS than in numpy's BLAS)."""
    model = prepare(spec)
    path = export(spec, model, str(tmp_path / "model.onnx"))
    assert any(n.op_type == "QuantizeLinear" for n in onnx.load(path).graph.node)
    inputs = model_inputs(spec, 100)
    assert check_quantizers_bit_for_bit(path, inputs, tmp_path) >= 4
    imported = run_module(import_onnx(path), [inputs])[0]
    output = onnx.load(path).graph.output[0].name
    reference = onnxruntime_values(onnx.load(path), inputs, [output])[output]
    assert_close_same_decisions(reference, imported)
    assert_close_same_decisions(pytorch_outputs(model, inputs), imported)


def _model(nodes, initializers, input_shape, output_shape, opset: int = 19) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "qcdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    return model


def _check(model: onnx.ModelProto, inputs: np.ndarray, tmp_path, exact: bool) -> str:
    path = str(tmp_path / "hand.onnx")
    onnx.save(model, path)
    module = import_onnx(path)
    check_quantizers_bit_for_bit(path, inputs, tmp_path)
    ours = run_module(module, [inputs])[0]
    reference = onnxruntime_values(model, inputs, ["y"])["y"]
    if exact:
        np.testing.assert_array_equal(ours, reference)
    else:
        assert_close_same_decisions(reference, ours)
    return str(module)


def test_odd_zero_point_rounds_as_quantize_linear(tmp_path):
    """round(x / s) + z, not round(x / s + z): with z = 37 the halves differ."""
    scale, zero = np.float32(0.125), np.uint8(37)
    model = _model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quantize"),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequantize")],
        {"s": np.array(scale), "z": np.array(zero)}, [1, 8], [1, 8])
    halves = ((np.arange(-40, 40) + 0.5) * scale).astype(np.float32)
    inputs = np.concatenate([halves, np.linspace(-9, 30, 80, dtype=np.float32)]).reshape(-1, 8)
    assert "zeropt_after_rounding" in _check(model, inputs, tmp_path, exact=True)


def test_per_axis_weights_narrow_clip_and_int32_bias(tmp_path, rng):
    """A Gemm whose weights are Clip(-7, 7) -> DequantizeLinear(axis 0) of int8 levels, with
    a 4-bit signed activation quantizer in front and an int32 bias."""
    levels = rng.integers(-7, 8, size=(5, 6)).astype(np.int8)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="act_quantize"),
        helper.make_node("Clip", ["xq", "lo4", "hi4"], ["xc"], name="act_clip"),
        helper.make_node("DequantizeLinear", ["xc", "xs", "xz"], ["xd"], name="act_dequantize"),
        helper.make_node("Clip", ["w", "lo7", "hi7"], ["wc"], name="weight_clip"),
        helper.make_node("DequantizeLinear", ["wc", "ws", "wz"], ["wd"], name="weight",
                         axis=0),
        helper.make_node("DequantizeLinear", ["b", "bs", "bz"], ["bd"], name="bias", axis=0),
        helper.make_node("Gemm", ["xd", "wd", "bd"], ["y"], name="fc", transB=1),
    ]
    initializers = {
        "xs": np.array(0.37, dtype=np.float32), "xz": np.array(0, dtype=np.int8),
        "lo4": np.array(-8, dtype=np.int8), "hi4": np.array(7, dtype=np.int8),
        "w": levels, "lo7": np.array(-7, dtype=np.int8), "hi7": np.array(7, dtype=np.int8),
        "ws": rng.uniform(0.01, 0.1, 5).astype(np.float32), "wz": np.zeros(5, dtype=np.int8),
        "b": rng.integers(-5000, 5000, 5).astype(np.int32),
        "bs": rng.uniform(1e-4, 1e-3, 5).astype(np.float32), "bz": np.zeros(5, dtype=np.int32),
    }
    model = _model(nodes, initializers, [1, 6], [1, 5])
    inputs = rng.normal(scale=2.0, size=(200, 6)).astype(np.float32)
    text = _check(model, inputs, tmp_path, exact=False)
    assert text.count("quant.int_quant") == 2  # the activation and the weights
    assert "bitwidth = 4 : i64, signed = true, narrow = false" in text
    assert "bitwidth = 4 : i64, signed = true, narrow = true" in text
