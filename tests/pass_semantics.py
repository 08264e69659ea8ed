"""Helpers for the per-pass semantics tests: the interpreter before a pass is
the oracle for the IR after it."""

from __future__ import annotations

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.interpreter import run_module
from qnn_mlir.passes import get_all_passes

FLOAT_TOLERANCE = 1e-5
"""Relative tolerance for float outputs of models with non-power-of-two scales,
where float32 matmuls of the QONNX form round differently from exact integer
accumulators times the scale (qonnx and PyTorch differ from each other as much)."""


def apply_passes(module: ModuleOp, names: list[str]) -> ModuleOp:
    """A verified copy of `module` after the named passes."""
    result = module.clone()
    passes = get_all_passes()
    for name in names:
        passes[name]()().apply(Context(), result)
        result.verify()
    return result


def assert_bit_identical(before: ModuleOp, after: ModuleOp, inputs: list[np.ndarray],
                         function: str | None = None) -> None:
    expected = run_module(before, inputs, function)
    actual = run_module(after, inputs, function)
    for e, a in zip(expected, actual, strict=True):
        assert e.dtype == a.dtype or (np.issubdtype(e.dtype, np.integer)
                                      and np.issubdtype(a.dtype, np.integer))
        np.testing.assert_array_equal(a, e)


def assert_close_same_decisions(reference: np.ndarray, actual: np.ndarray,
                                tolerance: float = FLOAT_TOLERANCE) -> None:
    """Logits within `tolerance` (relative to the largest), and the same argmax
    wherever the reference's top two differ by more than the tolerance."""
    scale = float(np.abs(reference).max()) or 1.0
    np.testing.assert_allclose(actual, reference, rtol=0, atol=tolerance * scale)
    top2 = np.sort(reference, axis=1)[:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) > 2 * tolerance * scale
    np.testing.assert_array_equal(actual.argmax(1)[decided], reference.argmax(1)[decided])


def lit_module(path: str) -> ModuleOp:
    with open(path, encoding="utf-8") as f:
        return parse_module_text(make_context(), f.read(), path)


def random_inputs_for(module: ModuleOp, function: str, rng: np.random.Generator,
                      batch: int = 64) -> list[np.ndarray]:
    """Random values of every argument's type: floats around the thresholds,
    integers over their whole range, bipolar as -1/+1."""
    from qnn_mlir.dialects import quant
    from qnn_mlir.dialects.datatypes import value_range
    from qnn_mlir.interpreter import entry_function

    entry = entry_function(module, function)
    inputs = []
    for arg in entry.body.blocks.first.args:
        shape = (batch, *quant.shape_of(arg)[1:])
        if quant.is_float_tensor(arg):
            inputs.append(rng.normal(scale=2.0, size=shape).astype(np.float32))
            continue
        low, high = value_range(quant.tensor_type(arg).element_type)
        values = rng.integers(low, high + 1, size=shape)
        if low == -1 and high == 1 and "bipolar" in str(arg.type):
            values = np.where(values >= 0, 1, -1)
        inputs.append(values.astype(np.int64))
    return inputs


def check_lit_file(path: str, names: list[str], rng: np.random.Generator) -> int:
    """Every function of a lit test input computes the same before and after."""
    from xdsl.dialects import func

    before = lit_module(path)
    after = apply_passes(before, names)
    checked = 0
    for function in before.ops:
        if isinstance(function, func.FuncOp):
            name = function.sym_name.data
            assert_bit_identical(before, after, random_inputs_for(before, name, rng), name)
            checked += 1
    return checked
