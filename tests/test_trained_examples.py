"""The trained TFC models in examples/: their records are sane, our interpreter
computes the same logits as execute_onnx, and it reproduces the recorded
PyTorch test accuracy on all of Fashion-MNIST's test set, image for image."""

from __future__ import annotations

import functools
import glob
import json
import os

import numpy as np
import pytest
from conftest import REPO, qonnx_reference

from qnn_mlir.datasets import fashion_mnist
from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module

# A trained example is an .onnx with the training record (.json) next to it.
EXAMPLES = sorted(p[:-len(".json")] + ".onnx"
                  for p in glob.glob(os.path.join(REPO, "examples", "tfc_*.json")))
ACCURACY_FLOOR = {"tfc_1w1a": 0.70, "tfc_1w2a": 0.75, "tfc_2w2a": 0.75}
"""Well below what 10 epochs reach (79-84%), well above what a broken model gets."""


@functools.cache
def fashion_mnist_test_set() -> tuple[np.ndarray, np.ndarray]:
    return fashion_mnist("test")


def record_of(path: str) -> dict:
    with open(os.path.splitext(path)[0] + ".json") as f:
        return json.load(f)


def test_the_trained_examples_are_there():
    names = [os.path.basename(p) for p in EXAMPLES if os.path.exists(p)]
    assert names == ["tfc_w1a1.onnx", "tfc_w1a2.onnx", "tfc_w2a2.onnx"]


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_record_is_sane(path):
    record = record_of(path)
    assert record["config"] in ACCURACY_FLOOR
    assert record["exporter"] == "legacy"
    assert not os.path.exists(path + ".data"), "the committed exports must be single files"
    assert record["test_images"] == 10000
    assert record["test_correct"] == round(record["test_accuracy"] * record["test_images"])
    assert record["test_accuracy"] > ACCURACY_FLOOR[record["config"]]
    assert record["export_check"]["bit_identical"]


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_interpreter_matches_execute_onnx_and_recorded_accuracy(path):
    images, labels = fashion_mnist_test_set()
    module = import_onnx(path)
    logits = run_module(module, [images])[0]
    assert logits.shape == (len(images), 10)

    np.testing.assert_array_equal(logits[:50], qonnx_reference(path, images[:50]))
    correct = int((logits.argmax(axis=1) == labels).sum())
    assert correct == record_of(path)["test_correct"]
