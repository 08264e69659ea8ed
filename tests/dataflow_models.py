"""Shared by the semantics tests of the dataflow passes: IR to run, inputs to feed, and
the before/after comparison (the interpreter before a pass is the oracle after it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import AnyFloat, IntegerType, ModuleOp, TensorType
from xdsl.passes import ModulePass

from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.dialects.datatypes import BipolarType, integer_range
from qnn_mlir.frontend.onnx_importer import import_onnx
from qnn_mlir.interpreter import run_module
from qnn_mlir.passes import get_all_passes
from qnn_mlir.tools.qnn_translate import module_to_text

TESTS = os.path.dirname(os.path.abspath(__file__))
TFC_W1A1 = os.path.join(TESTS, "..", "examples", "tfc_w1a1_random.onnx")
INTEGER_FORM_PASSES = ("quant-to-integer", "streamline", "binarize-xnor")


def lit_module(pass_name: str) -> ModuleOp:
    """The input of the pass's lit test, parsed and verified."""
    path = os.path.join(TESTS, "lit", "passes", f"{pass_name}.mlir")
    with open(path, encoding="utf-8") as f:
        return parse_module_text(make_context(), f.read(), path)


def run_passes(module: ModuleOp, *names: str, **options) -> ModuleOp:
    """A verified copy of `module` after the named passes (options go to the last one)."""
    copy = module.clone()
    passes = get_all_passes()
    for index, name in enumerate(names):
        cls = passes[name]()
        instance: ModulePass = cls(**options) if index == len(names) - 1 else cls()
        instance.apply(Context(), copy)
    copy.verify()
    return copy


def random_values(tensor: TensorType, batch: int, rng: np.random.Generator) -> np.ndarray:
    """A batch of values of the tensor type: floats around the thresholds, integers over
    their whole range, bipolar -1/+1."""
    shape = (batch, *tensor.get_shape()[1:])
    element = tensor.element_type
    if isinstance(element, AnyFloat):
        values = rng.normal(scale=1.5, size=shape).astype(np.float32)
        values.flat[: min(values.size, 4)] = [0.0, -0.0, 0.5, -0.5][: min(values.size, 4)]
        return values
    if isinstance(element, BipolarType):
        return rng.choice(np.array([-1, 1]), size=shape).astype(np.int64)
    assert isinstance(element, IntegerType)
    low, high = integer_range(element)
    return rng.integers(low, high + 1, size=shape, dtype=np.int64)


def runnable_functions(module: ModuleOp) -> Iterator[tuple[str, list[TensorType]]]:
    """Functions whose arguments are all tensors (not streams): those we can feed."""
    for function in module.ops:
        if isinstance(function, func.FuncOp):
            types = list(function.function_type.inputs.data)
            if all(isinstance(t, TensorType) for t in types):
                yield function.sym_name.data, types  # type: ignore[misc]


def assert_same_outputs(before: ModuleOp, after: ModuleOp, rng: np.random.Generator,
                        batch: int = 64) -> int:
    """Every feedable function computes bit-identical outputs before and after; returns how
    many functions were compared."""
    compared = 0
    for name, types in runnable_functions(before):
        inputs = [random_values(t, batch, rng) for t in types]
        expected = run_module(before, inputs, name)
        actual = run_module(after, inputs, name)
        for e, a in zip(expected, actual, strict=True):
            np.testing.assert_array_equal(a, e, err_msg=f"@{name}")
            assert np.signbit(np.asarray(a)).tolist() == np.signbit(np.asarray(e)).tolist()
        compared += 1
    return compared


def check_lit_cases(pass_name: str, rng: np.random.Generator, functions: int,
                    **options) -> ModuleOp:
    """The pass rewrites its lit test's IR, and each of the `functions` feedable functions
    computes the same outputs after it; returns the IR after the pass."""
    before = lit_module(pass_name)
    after = run_passes(before, pass_name, **options)
    assert module_to_text(after) != module_to_text(before)
    assert assert_same_outputs(before, after, rng, batch=200) == functions
    return after


def tfc_integer_form(path: str = TFC_W1A1) -> ModuleOp:
    """An exported model in the integer form, through the project's own passes."""
    return run_passes(import_onnx(path), *INTEGER_FORM_PASSES)


def tfc_images(count: int, rng: np.random.Generator) -> np.ndarray:
    """MNIST-shaped inputs in [0, 1], with pixels exactly on the input quantizer's 0.5."""
    images = rng.uniform(0, 1, size=(count, 1, 28, 28)).astype(np.float32)
    images[0] = 0.5
    images[1, 0, ::2] = 0.5
    return images


def assert_same_on_images(before: ModuleOp, after: ModuleOp, images: np.ndarray) -> None:
    """Bit-identical float outputs on a batch of images, and the same after a text round trip."""
    expected = run_module(before, [images])[0]
    np.testing.assert_array_equal(run_module(after, [images])[0], expected)
    reparsed = parse_module_text(make_context(), module_to_text(after), "after.mlir")
    np.testing.assert_array_equal(run_module(reparsed, [images])[0], expected)


def ops_where(module: ModuleOp, predicate: Callable[[object], bool]) -> list:
    """The ops of the module for which `predicate` holds, in walk order."""
    return [op for op in module.walk() if predicate(op)]
