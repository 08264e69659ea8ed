"""Differential checks run in a case's directory after its tool exited 0.

Each returns None when the outputs are right, a text saying how they differ
when they are not, or a text starting with `unavailable:` when the reference
itself cannot run the input (the case then counts as unchecked, not failed).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

UNAVAILABLE = "unavailable: "


BATCH = 8
"""Inputs per differential check."""


def differential_inputs(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Eight inputs: six uniform in [-3, 3) and two on a 1/16 grid, where quantizers with
    power-of-two scales meet rounding ties. An argument whose dimension 0 is not 1 (a
    graph input that is a parameter, not an image) gets one array of its own shape."""
    rng = np.random.default_rng(seed)
    if not shape or shape[0] != 1:
        return rng.uniform(-3, 3, size=shape).astype(np.float32)
    frame = shape[1:]
    uniform = rng.uniform(-3, 3, size=(6, *frame))
    grid = rng.integers(-48, 49, size=(2, *frame)) / 16
    return np.concatenate([uniform, grid]).astype(np.float32)


FLOAT_ROUNDING = 1e-5
"""Relative difference allowed where the float math is not exact: onnxruntime's GEMM sums
in its own blocked order (with FMA), so the last bits of a float-scaled sum differ."""


def compare(ours: list[np.ndarray], reference: list[np.ndarray], what: str,
            exact: bool = True) -> str | None:
    """Equal shapes and values (bit for bit when `exact`, else within float rounding of
    the output's magnitude), NaN and infinities where the reference has them; else how
    they differ."""
    if len(ours) != len(reference):
        return f"{what}: {len(ours)} outputs, the reference has {len(reference)}"
    for index, (a, b) in enumerate(zip(ours, reference, strict=True)):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            return f"{what}: output {index} has shape {list(a.shape)}, reference {list(b.shape)}"
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        if not exact:
            finite = np.isfinite(a) & np.isfinite(b)
            magnitude = float(np.abs(b[finite]).max()) if finite.any() else 0.0
            same |= finite & (np.abs(a - b) <= FLOAT_ROUNDING * max(magnitude, 1.0))
        if not same.all():
            differ = ~same
            return (f"{what}: output {index} differs at {int(differ.sum())} of {a.size} "
                    f"values, first at {np.argwhere(differ)[0].tolist()}: "
                    f"{a[differ][0]!r} vs reference {b[differ][0]!r}")
    return None


def qonnx_outputs(model_path: str, batches: list[np.ndarray]) -> list[np.ndarray]:
    """qonnx's execute_onnx on the model file, one input (of each graph input) at a time,
    outputs stacked."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ModelWrapper(model_path).transform(InferShapes())
        names = [o.name for o in model.graph.output]
        initializers = {t.name for t in model.graph.initializer}
        inputs = [i.name for i in model.graph.input if i.name not in initializers]
        shapes = [model.get_tensor_shape(name) for name in inputs]
        runs = [execute_onnx(model, {
            name: batch[index][None] if shape and shape[0] == 1 else batch
            for name, batch, shape in zip(inputs, batches, shapes, strict=True)})
            for index in range(BATCH)]
    return [np.concatenate([np.asarray(run[name]) for run in runs]) for name in names]


def interpreter_outputs(ir_path: str, batches: list[np.ndarray], count: int
                        ) -> list[np.ndarray]:
    """The interpreter on the IR file, one input at a time as qonnx runs (an argument whose
    dimension 0 is not 1 is a parameter, fed whole), outputs stacked."""
    from qnn_mlir.diagnostics import parse_module_file
    from qnn_mlir.dialects import make_context
    from qnn_mlir.interpreter import run_module

    module = parse_module_file(make_context(), ir_path)
    batched = [shape[:1] == (1,) for shape in _input_shapes(ir_path)]
    runs = [run_module(module, [batch[index][None] if is_batched else batch
                                for batch, is_batched in zip(batches, batched, strict=True)])
            for index in range(count)]
    return [np.concatenate([run[k] for run in runs]) for k in range(len(runs[0]))]


def _input_shapes(ir_path: str) -> list[tuple[int, ...]]:
    """The shape of each argument of the IR's entry function."""
    from qnn_mlir.diagnostics import parse_module_file
    from qnn_mlir.dialects import make_context
    from qnn_mlir.interpreter import entry_function

    entry = entry_function(parse_module_file(make_context(), ir_path))
    return [tuple(t.get_shape()) for t in entry.function_type.inputs.data]


def exact_arithmetic(model) -> bool:
    """Whether every float constant of the ONNX model has at most 12 significant bits, so
    that (with quantized inputs) no sum or product a layer computes is rounded, and any
    summation order gives the same bits."""
    from onnx import numpy_helper

    for tensor in model.graph.initializer:
        try:
            values = numpy_helper.to_array(tensor)
        except Exception:  # noqa: BLE001 - data that does not fill its shape: not exact
            return False
        if not np.issubdtype(values.dtype, np.floating):
            continue
        values = values.astype(np.float64).ravel()
        if not np.all(np.isfinite(values)):
            return False
        mantissas, _ = np.frexp(values)
        if np.any(mantissas * 4096 != np.round(mantissas * 4096)):
            return False
    return True


def import_matches_qonnx(model_path: str, ir_path: str, seed: int, exact: bool):
    """The oracle of an import: the imported IR, interpreted, equals execute_onnx (bit for
    bit when the model's arithmetic is exact)."""

    def check() -> str | None:
        batches = [differential_inputs(shape, seed + index)
                   for index, shape in enumerate(_input_shapes(ir_path))]
        try:
            reference = qonnx_outputs(model_path, batches)
        except Exception as error:  # noqa: BLE001 - qonnx cannot run this model
            return f"{UNAVAILABLE}qonnx: {type(error).__name__}: {str(error)[:200]}"
        try:
            ours = interpreter_outputs(ir_path, batches, BATCH)
        except Exception as error:  # noqa: BLE001 - an import that cannot run is a defect
            return f"the imported IR does not run: {type(error).__name__}: {str(error)[:300]}"
        rule = "bit for bit" if exact else "within float rounding"
        return compare(ours, reference, f"interpreter vs qonnx execute_onnx ({rule})", exact)

    return check


def outputs_match_file(output_path: str, expected: list[np.ndarray], what: str):
    """The oracle of a run: the saved .npy equals `expected` (the other path's outputs)."""

    def check() -> str | None:
        saved = np.load(output_path)
        return compare([saved], expected, what)

    return check


def run_paths_agree(input_path: str, output_path: str, other: str, where: str):
    """The oracle of a `qnn-run` that exited 0: the other execution path (`interpreter` on
    the IR file `where`, or `csim` of the build directory `where`) gives the saved outputs
    on the same input file, bit for bit."""

    def check() -> str | None:
        batch = np.load(input_path)
        saved = np.load(output_path)
        if other == "interpreter":
            expected = interpreter_outputs(where, [batch], len(batch))
        else:
            from qnn_mlir.backends.hls.csim import run_module_csim
            from qnn_mlir.compiler import STAGES
            from qnn_mlir.diagnostics import parse_module_file
            from qnn_mlir.dialects import make_context

            module = parse_module_file(make_context(),
                                       os.path.join(where, "ir", f"{STAGES[-1]}.mlir"))
            expected = run_module_csim(module, [batch])
        return compare([saved], expected, f"qnn-run vs the {other}")

    return check


def project_is_safe(project: str):
    """The oracle of `--to-hls`: the project's C++ parses and its Tcl runs only Vitis's
    commands (scratch files go to the case's `.fuzz` directory, which is not output)."""

    def check() -> str | None:
        from fuzzing.emitted_files import project_problem

        scratch = os.path.join(".fuzz", "tcl")
        os.makedirs(scratch, exist_ok=True)
        return project_problem(project, scratch)

    return check
