"""What qnn-compile reports about the host: every host op named with a reason that is
true after the pipeline, the share of the work the accelerator does when it is not
all, and a diagnostic that lists the ops when nothing can stream."""

from __future__ import annotations

import subprocess

import numpy as np
import onnx
import pytest
from brevitas_corpus import export, get_model, prepare
from conftest import tool
from onnx import TensorProto, helper, numpy_helper

from qnn_mlir.compiler import CompileOptions, compile_model

STALE_REASONS = ("run quant-to-integer first", "no streaming layer implements 'dataflow.",
                 "run lower-conv")
"""Reasons that were once given after the fact and are false at the end of the pipeline."""


@pytest.mark.parametrize("name", ["per_channel_activation", "residual_mlp"])
def test_partial_acceleration_is_reported_honestly(name, tmp_path):
    spec = get_model(name)
    model = export(spec, prepare(spec), str(tmp_path / "model.onnx"))
    summary = compile_model(model, str(tmp_path / "build"), CompileOptions(check_images=20))
    assert 0 < summary.accelerated_macs < summary.total_macs
    text = summary.text()
    share = summary.accelerated_macs / summary.total_macs
    assert (f"the accelerator runs {share:.1%} of the model's {summary.total_macs:,} "
            "multiply-accumulates per frame; the frames/s above is the accelerator's alone"
            ) in text
    assert summary.host_ops
    for label, reason in summary.host_ops:
        assert " %" in label or ' "' in label, f"an unnamed host op: {label}"
        assert reason and not any(stale in reason for stale in STALE_REASONS), (label, reason)


def test_a_fully_accelerated_model_reports_no_share(tmp_path):
    spec = get_model("default_mlp")
    model = export(spec, prepare(spec), str(tmp_path / "model.onnx"))
    summary = compile_model(model, str(tmp_path / "build"), CompileOptions(check_images=20))
    assert summary.accelerated_macs == summary.total_macs > 0
    assert "the accelerator runs" not in summary.text()


def test_nothing_to_stream_lists_every_op_with_its_reason(tmp_path):
    """A float MLP without quantizers: the compile refuses, op by op."""
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Relu", ["h"], ["a"], name="relu1"),
         helper.make_node("MatMul", ["a", "w2"], ["y"], name="fc2")],
        "float_mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(rng.normal(size=(8, 5)).astype(np.float32), "w1"),
         numpy_helper.from_array(rng.normal(size=(5, 3)).astype(np.float32), "w2")])
    path = tmp_path / "float.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    build = tmp_path / "build"
    result = subprocess.run([tool("qnn-compile"), str(path), "-o", str(build)],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (f"qnn-compile: error: nothing in {path} can run on the accelerator; "
                        "every op stays on the host:")
    assert lines[1].startswith("  quant.matmul %fc1: its weights are f32 constants, not "
                               "quantized")
    assert lines[2].startswith("  quant.relu %relu1: it computes in float")
    assert lines[3].startswith("  quant.matmul %fc2: its weights are f32 constants")
    assert not build.exists()
