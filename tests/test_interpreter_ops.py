"""Op by op: import a one-node QONNX/ONNX graph, interpret it, compare with
qonnx's execute_onnx on the same file. Bit-identical everywhere."""

from __future__ import annotations

import itertools

import numpy as np
import onnx
import pytest
from conftest import qonnx_reference
from onnx_builders import QONNX_DOMAIN, single_node_model, with_domain

from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module


def check_against_qonnx(model: onnx.ModelProto, batch: np.ndarray, tmp_path,
                        reference_model: onnx.ModelProto | None = None) -> str:
    """Import `model`, run it on `batch`, compare with execute_onnx of `reference_model`
    (default: the same model). Returns the imported IR text."""
    path, reference_path = str(tmp_path / "m.onnx"), str(tmp_path / "ref.onnx")
    onnx.save(model, path)
    onnx.save(reference_model or model, reference_path)
    module = import_onnx(path)
    ours = run_module(module, [batch])[0]
    expected = qonnx_reference(reference_path, batch)
    np.testing.assert_array_equal(ours, expected)
    return str(module)


def scalar(value) -> np.ndarray:
    return np.array(value, dtype=np.float32)


@pytest.mark.parametrize(
    "bitwidth,signed,narrow,mode",
    [(b, s, n, m) for b, s, n in itertools.product((1, 2, 3, 8), (0, 1), (0, 1))
     for m in ("ROUND", "FLOOR", "CEIL", "HALF_UP", "HALF_DOWN", "UP", "DOWN")
     if not (b == 1 and n)],
)
def test_int_quant(bitwidth, signed, narrow, mode, tmp_path, rng):
    channels = 6
    scale = rng.uniform(0.05, 0.5, size=(1, channels)).astype(np.float32)
    model = single_node_model(
        "Quant", [1, channels],
        {"scale": scale, "zeropt": scalar(0.0 if signed else 1.0), "bitwidth": scalar(bitwidth)},
        [[1, channels]],
        {"signed": signed, "narrow": narrow, "rounding_mode": mode}, domain=QONNX_DOMAIN,
    )
    # values on, between and beyond the quantization levels, ties included
    levels = rng.integers(-300, 300, size=(40, channels)) / 2.0
    batch = (levels * scale).astype(np.float32)
    batch[:20] += rng.normal(scale=0.3, size=(20, channels)).astype(np.float32)
    check_against_qonnx(model, batch, tmp_path)


def test_bipolar_quant_per_channel_scale(tmp_path, rng):
    scale = rng.uniform(0.1, 2, size=(1, 5)).astype(np.float32)
    model = single_node_model("BipolarQuant", [1, 5], {"scale": scale}, [[1, 5]],
                              domain=QONNX_DOMAIN)
    batch = rng.normal(size=(30, 5)).astype(np.float32)
    batch[0] = 0.0  # x >= 0 -> +1
    check_against_qonnx(model, batch, tmp_path)


@pytest.mark.parametrize("mode", ["FLOOR", "ROUND", "CEIL"])
def test_trunc(mode, tmp_path, rng):
    # qonnx 1.0 executes Trunc with five inputs as version 1
    scale = scalar(0.25)
    model = single_node_model(
        "Trunc", [1, 8],
        {"scale": scale, "zeropt": scalar(0), "in_bits": scalar(8), "out_bits": scalar(4)},
        [[1, 8]], {"rounding_mode": mode}, domain=QONNX_DOMAIN,
    )
    batch = (rng.integers(-128, 128, size=(50, 8)) * 0.25).astype(np.float32)
    check_against_qonnx(model, batch, tmp_path)


@pytest.mark.parametrize("layout,shape", [("NCHW", [1, 4, 3, 3]), ("NHWC", [1, 3, 3, 4]),
                                          ("NCHW", [1, 4])])
@pytest.mark.parametrize("global_thresholds", [False, True])
def test_multithreshold(layout, shape, global_thresholds, tmp_path, rng):
    rows = 1 if global_thresholds else 4
    thresholds = np.sort(rng.integers(-6, 6, size=(rows, 3)), axis=1).astype(np.float32)
    model = single_node_model(
        "MultiThreshold", shape, {"thresholds": thresholds}, [shape],
        {"out_scale": 2.0, "out_bias": -3.0, "out_dtype": "INT4", "data_layout": layout},
        domain=QONNX_DOMAIN, datatypes={"y0": "INT4"},
    )
    batch = rng.integers(-8, 8, size=(20, *shape[1:])).astype(np.float32)
    text = check_against_qonnx(model, batch, tmp_path)
    assert 'out_dtype = "INT4"' in text and 'quant.datatype = "INT4"' in text


@pytest.mark.parametrize("domain", ["finn.custom_op.general", "onnx.brevitas"])
def test_domain_spellings_import_the_same_ops(domain, tmp_path, rng):
    thresholds = np.array([[0.0]], dtype=np.float32)
    model = single_node_model("MultiThreshold", [1, 6], {"thresholds": thresholds}, [[1, 6]],
                              {"out_scale": 2.0, "out_bias": -1.0, "out_dtype": "BIPOLAR"},
                              domain=QONNX_DOMAIN, datatypes={"x": "INT8"})
    batch = rng.integers(-3, 3, size=(10, 6)).astype(np.float32)
    text = check_against_qonnx(with_domain(model, domain), batch, tmp_path, model)
    assert "quant.multithreshold" in text
    assert '{quant.datatype = "INT8"}' in text  # the graph input's annotation


@pytest.mark.parametrize(
    "attributes,bias",
    [({"pads": [1, 1, 1, 1]}, False), ({"strides": [2, 2]}, True),
     ({"dilations": [2, 1], "pads": [0, 1, 2, 0]}, False), ({"group": 2}, True),
     # auto_pad SAME with even kernels: asymmetric pads (PyTorch's padding="same")
     ({"auto_pad": "SAME_UPPER", "kernel_shape": [4, 2]}, False),
     ({"auto_pad": "SAME_LOWER", "kernel_shape": [2, 4], "strides": [2, 1]}, True)],
)
def test_conv(attributes, bias, tmp_path, rng):
    group = attributes.get("group", 1)
    kernel = attributes.get("kernel_shape", [3, 3])
    weights = {"w": rng.integers(-1, 2, size=(4, 4 // group, *kernel)).astype(np.float32)}
    if bias:
        weights["b"] = rng.integers(-5, 5, size=4).astype(np.float32)
    model = single_node_model("Conv", [1, 4, 7, 6], weights, [None],
                              {"kernel_shape": kernel, **attributes})
    batch = rng.integers(-4, 4, size=(5, 4, 7, 6)).astype(np.float32)
    check_against_qonnx(model, batch, tmp_path)


@pytest.mark.parametrize("attributes", [{"kernel_shape": [2, 2], "strides": [2, 2]},
                                        {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
                                        {"kernel_shape": [3, 2], "strides": [2, 1]}])
def test_maxpool(attributes, tmp_path, rng):
    model = single_node_model("MaxPool", [1, 3, 7, 8], {}, [None], attributes)
    check_against_qonnx(model, rng.normal(size=(6, 3, 7, 8)).astype(np.float32), tmp_path)


@pytest.mark.parametrize("attributes", [{}, {"alpha": 0.5, "beta": 2.0, "transB": 1}])
def test_gemm(attributes, tmp_path, rng):
    trans_b = attributes.get("transB", 0)
    weights = {"b": rng.integers(-2, 3, size=(3, 5) if trans_b else (5, 3)).astype(np.float32),
               "c": rng.integers(-2, 3, size=(3,)).astype(np.float32)}
    model = single_node_model("Gemm", [1, 5], weights, [[1, 3]], attributes)
    check_against_qonnx(model, rng.integers(-4, 4, size=(7, 5)).astype(np.float32), tmp_path)


def test_gemm_transposed_activation(tmp_path, rng):
    """transA moves the batch out of dim 0, so this runs one unbatched input."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    weights = {"b": rng.integers(-2, 3, size=(5, 3)).astype(np.float32)}
    model = single_node_model("Gemm", [5, 1], weights, [[1, 3]], {"transA": 1})
    onnx.save(model, tmp_path / "m.onnx")
    x = rng.integers(-4, 4, size=(5, 1)).astype(np.float32)
    ours = run_module(import_onnx(str(tmp_path / "m.onnx")), [x])[0]
    expected = execute_onnx(ModelWrapper(model), {"x": x})["y0"]
    np.testing.assert_array_equal(ours, expected)


def test_batchnorm_relu_topk_chain(tmp_path, rng):
    """A three-node graph: BatchNormalization -> Relu -> TopK, ties included."""
    from onnx import TensorProto, helper, numpy_helper

    params = {name: rng.normal(size=6).astype(np.float32) for name in ("g", "b", "m")}
    params["v"] = rng.uniform(0.1, 3, size=6).astype(np.float32)
    params["k"] = np.array([3], dtype=np.int64)
    nodes = [
        helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["bn"], name="bn",
                         epsilon=1e-3),
        helper.make_node("Relu", ["bn"], ["r"], name="relu"),
        helper.make_node("TopK", ["r", "k"], ["values", "indices"], name="topk"),
    ]
    graph = helper.make_graph(
        nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, [1, 3])],
        initializer=[numpy_helper.from_array(v, k) for k, v in params.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    batch = rng.integers(-3, 4, size=(25, 6)).astype(np.float32)
    check_against_qonnx(model, batch, tmp_path)


@pytest.mark.parametrize("channels,dtype", [(1, np.float32), (5, np.float32), (5, np.int64),
                                            (1, np.float64)])
def test_sorted_threshold_count_is_the_comparison_count(channels, dtype, rng):
    """The binary-search count equals #{i : x >= T[c, i]} computed column by column, with
    unsorted rows, repeated thresholds, -0.0, infinities and NaN inputs (NaN reaches
    no threshold), and NaN thresholds (never reached)."""
    from qnn_mlir.interpreter.stream_math import sorted_threshold_count

    thresholds = rng.integers(-4, 5, size=(channels, 7)).astype(dtype)
    values = rng.integers(-6, 7, size=(40, 3, channels)).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        thresholds /= 2
        values /= 2
        values.flat[:6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, np.nan]
        with_nan = thresholds.copy()
        with_nan[0, 3] = np.nan
        cases = [thresholds, with_nan]
    else:
        cases = [thresholds]
    for table in cases:
        expected = sum((values >= table[:, i]).astype(np.int64) for i in range(table.shape[1]))
        np.testing.assert_array_equal(sorted_threshold_count(values, table), expected)
