"""Shared fixtures: exported bnn_pynq models and the qonnx reference executor."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

os.environ.setdefault("OMP_NUM_THREADS", "1")


def qonnx_reference(path: str, batch: np.ndarray) -> np.ndarray:
    """qonnx's execute_onnx on the model file as exported (only shapes inferred),
    one image at a time, outputs stacked."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ModelWrapper(path).transform(InferShapes())
        in_name, out_name = model.graph.input[0].name, model.graph.output[0].name
        outputs = [execute_onnx(model, {in_name: image[None]})[out_name] for image in batch]
    return np.concatenate(outputs)


def tool(name: str) -> str:
    """Path of a console script installed next to the running Python."""
    return os.path.join(os.path.dirname(sys.executable), name)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
