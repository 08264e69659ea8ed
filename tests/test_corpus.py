"""Every model of the Brevitas corpus (tools/brevitas_corpus.py) through `qnn-compile` with
the default options, checked against PyTorch, and its deployment package against the
C simulation.

The C simulation must equal PyTorch's outputs on every input within float rounding
(the compiler's own rule, FLOAT_RTOL of the largest logit), except where a threshold
tie explains the difference: a tie the compile reported (between the imported model
and the compiled one), or one between PyTorch and the exported model: an activation
level that differs by one, where the quantizer's input lies within the same float
tolerance of the threshold between the two levels (any other difference between
PyTorch and the export fails). Ties must stay rare. A model the compiler does not
support must be refused: exit code 1, a diagnostic naming the op, no traceback and
no build directory.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
from brevitas_corpus import MODELS, export, get_model, model_inputs, prepare, pytorch_outputs
from conftest import tool

from qnn_mlir.dialects import quant
from qnn_mlir.equivalence import FLOAT_RTOL, float_mismatch

CHECK_INPUTS = 500
MAX_TIE_SHARE = 0.02
"""Ties are rare (a quantizer input within float rounding of a threshold); more would
mean the tie rule is hiding something."""


def _pytorch_activations(model, inputs: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(module path, output) of every call of an enabled activation quantizer of the
    PyTorch model, in call order (a shared quantizer, as in QuantEltwiseAdd, is called
    once per input)."""
    import torch
    from brevitas.proxy.runtime_quant import ActQuantProxyFromInjector

    recorded: list[tuple[str, np.ndarray]] = []
    handles = [proxy.register_forward_hook(
        lambda _m, _args, out, path=path: recorded.append(
            (path, getattr(out, "value", out).detach().numpy())))
        for path, proxy in model.named_modules()
        if isinstance(proxy, ActQuantProxyFromInjector) and proxy.is_quant_enabled]
    with torch.no_grad():
        model(torch.from_numpy(inputs))
    for handle in handles:
        handle.remove()
    return recorded


def _pair_quantizers(calls, quantizers: list) -> list[tuple[object, np.ndarray]]:
    """(IR quantizer, PyTorch output) pairs, in the IR's program order. A call pairs with
    the first unpaired quantizer named after its module (`add.input_quant` ->
    `add_input_quant_...`), else, where the exporter named it generically, with the first
    unpaired one of the same shape."""
    from qnn_mlir.frontend.onnx_importer import sanitize_name

    free = list(quantizers)
    pairs = []
    for path, output in calls:
        base = sanitize_name(path.replace(".", "/")) + "_"
        named = [op for op in free if op.results[0].name_hint.startswith(base)]
        shaped = [op for op in free if quant.shape_of(op.results[0])[1:] == output.shape[1:]]
        assert named or shaped, f"no quantizer in the imported model for {path}"
        op = (named or shaped)[0]
        free.remove(op)
        pairs.append((op, output))
    assert not free, f"quantizers without a PyTorch call: {[o.results[0].name_hint for o in free]}"
    return sorted(pairs, key=lambda pair: quantizers.index(pair[0]))


def pytorch_ties(model, inputs: np.ndarray, imported) -> set[int]:
    """Inputs on which an activation of PyTorch first departs from the imported model's
    (the oracle of the compile check) at a threshold tie: by one level, where the
    imported model's quantizer input lies within float rounding (FLOAT_RTOL of the
    tensor's largest magnitude) of the threshold between the two levels. Later
    quantizers of a tied input are not compared (the tie propagates); any other
    difference fails: PyTorch and the exported model must agree."""
    from qnn_mlir.equivalence import levels, trace
    from qnn_mlir.interpreter.constant_eval import constant_value, is_constant, run_op

    quantizers = [op for op in imported.walk()
                  if isinstance(op, quant.IntQuantOp | quant.BipolarQuantOp)
                  and not is_constant(op.operands[0])]
    values = trace(imported, [inputs])
    ties: set[int] = set()
    for op, output in _pair_quantizers(_pytorch_activations(model, inputs), quantizers):
        result, x = op.results[0], values[op.operands[0]]
        assert output.shape == x.shape, (result.name_hint, output.shape, x.shape)
        ours, theirs = levels(result, values[result]), levels(result, output)
        differ = (ours != theirs).reshape(len(x), -1)
        differ[sorted(ties)] = False
        if not differ.any():
            continue
        magnitude = np.abs(x).reshape(len(x), -1).max(axis=1).reshape(
            (-1,) + (1,) * (x.ndim - 1))
        constants = [constant_value(v) for v in op.operands[1:]]
        below, above = (levels(result, run_op(op, [x + sign * FLOAT_RTOL * magnitude,
                                                   *constants])[0]) for sign in (-1, 1))
        tie = ((below != above) & (np.abs(ours - theirs) == 1)).reshape(len(x), -1)
        assert not (differ & ~tie).any(), f"PyTorch and the export disagree at " \
                                          f"%{result.name_hint}"
        ties |= set(np.nonzero(differ.any(axis=1))[0].tolist())
    return ties


@pytest.mark.parametrize("name", [m.name for m in MODELS if m.expect == "compile"])
def test_compiles_and_matches_pytorch(name, tmp_path):
    from qnn_runtime.package import DeploymentPackage

    from qnn_mlir.backends.hls.csim import run_module_csim
    from qnn_mlir.compiler import CompileOptions, compile_model
    from qnn_mlir.diagnostics import parse_module_file
    from qnn_mlir.dialects import make_context

    spec = get_model(name)
    model = prepare(spec)
    path = export(spec, model, str(tmp_path / f"{name}.onnx"))
    inputs = model_inputs(spec, CHECK_INPUTS)
    build = str(tmp_path / "build")
    summary = compile_model(path, build, CompileOptions(check_inputs=inputs))
    if spec.exact:  # exact scales: no rounding, so no tie and no difference at all
        assert summary.check == (f"C simulation == imported model, bit for bit, on "
                                 f"{len(inputs)} inputs")
    hls_form = parse_module_file(make_context(), os.path.join(build, "ir", "04-hls.mlir"))
    simulated = run_module_csim(hls_form, [inputs])[0]
    reference = pytorch_outputs(model, inputs)
    differing = np.nonzero(float_mismatch(reference, simulated, exact=False)
                           .reshape(len(inputs), -1).any(axis=1))[0].tolist()
    imported = parse_module_file(make_context(), os.path.join(build, "ir", "01-imported.mlir"))
    ties = set(summary.tie_inputs) | pytorch_ties(model, inputs, imported)
    unexplained = [i for i in differing if i not in ties]
    assert not unexplained, (
        f"{name}: C simulation differs from PyTorch beyond float rounding on inputs "
        f"{unexplained[:10]} (max |diff| {np.abs(simulated - reference).max():.3g}); "
        f"check: {summary.check}")
    assert len(set(differing)) <= MAX_TIE_SHARE * len(inputs), summary.check
    assert summary.accelerated_macs > 0
    # The deployment package computes the whole model as qnn-run --csim does: its generated
    # host code, packing and the synthesis top's C simulation give the same bits.
    assert summary.deploy_dir, summary.deploy_note
    package = DeploymentPackage(os.path.join(build, "deploy"))
    (deployed,) = package.predict(package.accelerator("sim"), inputs)
    assert deployed.dtype == simulated.dtype and np.array_equal(deployed, simulated), name


@pytest.mark.parametrize("name", [m.name for m in MODELS if m.expect == "refuse"])
def test_unsupported_models_are_refused_clearly(name, tmp_path):
    spec = get_model(name)
    path = export(spec, prepare(spec), str(tmp_path / f"{name}.onnx"))
    build = tmp_path / "build"
    result = subprocess.run([tool("qnn-compile"), path, "-o", str(build)], capture_output=True,
                            text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert "unsupported op" in result.stderr and "Tanh" in result.stderr
    assert not build.exists()
