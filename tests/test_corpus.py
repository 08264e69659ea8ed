"""Every model of the Brevitas corpus (tools/brevitas_corpus.py) through `qnn-compile` with
the default options, checked against PyTorch.

The C simulation must equal PyTorch's outputs on every input within float rounding
(the compiler's own rule, FLOAT_RTOL of the largest logit), except where a threshold
tie explains the difference: a tie the compile reported (between the imported model
and the compiled one), or one between PyTorch and the exported model, found here by
moving every activation quantizer's input in PyTorch by the same float tolerance
and seeing its output change. Ties must stay rare. A model the compiler does not
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

from qnn_mlir.equivalence import FLOAT_RTOL, float_mismatch

CHECK_INPUTS = 500
MAX_TIE_SHARE = 0.02
"""Ties are rare (a quantizer input within float rounding of a threshold); more would
mean the tie rule is hiding something."""


def pytorch_ties(model, inputs: np.ndarray) -> set[int]:
    """Inputs on which some activation quantizer of the PyTorch model has an input
    within FLOAT_RTOL (of that tensor's largest magnitude) of one of its thresholds."""
    import torch
    from brevitas.proxy.runtime_quant import ActQuantProxyFromInjector

    recorded: list[tuple[torch.nn.Module, torch.Tensor]] = []
    proxies = [m for m in model.modules() if isinstance(m, ActQuantProxyFromInjector)]
    handles = [p.register_forward_hook(
        lambda module, args, _out: recorded.append((module, args[0].detach())))
        for p in proxies]
    with torch.no_grad():
        model(torch.from_numpy(inputs))
    for handle in handles:
        handle.remove()
    ties: set[int] = set()
    with torch.no_grad():
        for proxy, x in recorded:
            x = getattr(x, "value", x)
            flat = x.reshape(len(x), -1)
            delta = FLOAT_RTOL * flat.abs().max(dim=1).values.reshape(
                (-1,) + (1,) * (x.dim() - 1))

            def quantized(t, proxy=proxy):
                return getattr(proxy(t), "value", proxy(t))

            moved = quantized(x - delta) != quantized(x + delta)
            ties |= set(np.nonzero(moved.reshape(len(x), -1).any(dim=1).numpy())[0].tolist())
    return ties


@pytest.mark.parametrize("name", [m.name for m in MODELS if m.expect == "compile"])
def test_compiles_and_matches_pytorch(name, tmp_path):
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
    ties = set(summary.tie_inputs) | pytorch_ties(model, inputs)
    unexplained = [i for i in differing if i not in ties]
    assert not unexplained, (
        f"{name}: C simulation differs from PyTorch beyond float rounding on inputs "
        f"{unexplained[:10]} (max |diff| {np.abs(simulated - reference).max():.3g}); "
        f"check: {summary.check}")
    assert len(set(differing)) <= MAX_TIE_SHARE * len(inputs), summary.check
    assert summary.accelerated_macs > 0


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
