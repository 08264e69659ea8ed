"""Brevitas CNNs covering every convolution feature lower-conv and the streaming layers
handle, each compiled by qnn-compile's flow (default folding) and checked bit for bit in
C simulation against qonnx's execute_onnx on the exported file.

Every scale is a power of two (Brevitas' fixed-point quantizers) and there is
no bias or BatchNorm, so every value is exact in float32 and bit-exactness is
the right bar. Together the models cover kernels 1, 2, 3, 5 and 7 and a 2x3
one, strides 1 and 2 (also per axis), symmetric, per-axis and asymmetric
padding (PyTorch's padding="same" with even kernels, exported as ONNX
auto_pad SAME_UPPER), non-square inputs, max pools with kernel equal to stride
and 3x3 at stride 2,
2-, 3-, 4- and 8-bit weights and activations, signed and unsigned, and
binarized layers: an unpadded one (XNOR-popcount) and zero-padded ones, which
compute on {-1, 0, +1}.
"""

from __future__ import annotations

import contextlib
import sys
import warnings

import numpy as np
import pytest
from conftest import qonnx_reference

from qnn_mlir.backends.hls.csim import run_module_csim
from qnn_mlir.compiler import CompileOptions, compile_model
from qnn_mlir.diagnostics import parse_module_file
from qnn_mlir.dialects import make_context

INPUTS = 12


def _layers():
    from brevitas import nn as qnn
    from brevitas.quant import (
        Int8ActPerTensorFixedPoint,
        Int8WeightPerTensorFixedPoint,
        SignedBinaryActPerTensorConst,
        SignedBinaryWeightPerTensorConst,
        Uint8ActPerTensorFixedPoint,
    )

    def conv(cin, cout, kernel, bits, **kwargs):
        return qnn.QuantConv2d(cin, cout, kernel, bias=False, weight_bit_width=bits,
                               weight_quant=Int8WeightPerTensorFixedPoint, **kwargs)

    def linear(cin, cout, bits):
        return qnn.QuantLinear(cin, cout, bias=False, weight_bit_width=bits,
                               weight_quant=Int8WeightPerTensorFixedPoint)

    def relu(bits):
        return qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=bits)

    def signed(bits):
        return qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=bits)

    def binary_conv(cin, cout, kernel, **kwargs):
        # Scale 1, as bnn_pynq's weights (the default constant, 0.1, is not exact in float:
        # sums that are exactly 0 come out as +-3e-8, on either side of the sign's threshold)
        return qnn.QuantConv2d(cin, cout, kernel, bias=False, weight_scaling_const=1.0,
                               weight_quant=SignedBinaryWeightPerTensorConst, **kwargs)

    def sign():
        return qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst)

    return conv, linear, relu, signed, binary_conv, sign, qnn


def model_k3_w4a4():
    """3x12x12 RGB-like input; 3x3 conv padded by 1, 4-bit; 2x2 max pool; 1x1 conv."""
    import torch
    conv, linear, relu, _, _, _, qnn = _layers()
    return torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=_fixed_input(), bit_width=8),
        conv(3, 8, 3, 4, padding=1), relu(4), torch.nn.MaxPool2d(2),
        conv(8, 6, 1, 4), relu(4), torch.nn.Flatten(), linear(6 * 6 * 6, 10, 4))


def model_k5_w3a3():
    """Non-square 1x21x17 input; 5x5 conv at stride 2 padded by 2, 3-bit; 3x3/2 max pool
    (overlapping windows); a 2x3 kernel padded (1, 0)."""
    import torch
    conv, linear, relu, _, _, _, qnn = _layers()
    return torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=_fixed_input(), bit_width=8),
        conv(1, 6, 5, 3, stride=2, padding=2), relu(3), torch.nn.MaxPool2d(3, stride=2),
        conv(6, 4, (2, 3), 3, padding=(1, 0)), relu(3), torch.nn.Flatten(),
        linear(4 * 6 * 2, 7, 3))


def model_k7_w8a8():
    """2x15x13 input; 7x7 conv padded by 3, 8-bit; 2x2 max pool; 3x3 conv at stride
    (2, 1)."""
    import torch
    conv, linear, relu, _, _, _, qnn = _layers()
    return torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=_fixed_input(), bit_width=8),
        conv(2, 4, 7, 8, padding=3), relu(8), torch.nn.MaxPool2d(2),
        conv(4, 5, 3, 8, stride=(2, 1)), relu(8), torch.nn.Flatten(), linear(5 * 3 * 4, 6, 8))


def model_k2_signed_w2a2():
    """1x16x16 input; 2x2 conv at stride 2 with 2-bit weights into signed 2-bit
    activations; a 2x2 max pool of signed values; a 4x4 conv padded by 1."""
    import torch
    conv, linear, _, signed, _, _, qnn = _layers()
    return torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=_fixed_input(), bit_width=8),
        conv(1, 8, 2, 2, stride=2), signed(2), torch.nn.MaxPool2d(2),
        conv(8, 4, 4, 2, padding=1), signed(2), torch.nn.Flatten(), linear(4 * 3 * 3, 5, 2))


def model_same_even_kernel_w4a4():
    """1x9x11 input; a 4x4 conv with padding="same" (asymmetric: 1 before, 2 after, as
    PyTorch pads an even kernel) and a 2x4 one, 4-bit."""
    import torch
    conv, linear, relu, _, _, _, qnn = _layers()
    return torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=_fixed_input(), bit_width=8),
        conv(1, 4, 4, 4, padding="same"), relu(4),
        conv(4, 3, (2, 4), 4, padding="same"), relu(4), torch.nn.Flatten(),
        linear(3 * 9 * 11, 5, 4))


def model_binarized():
    """Bipolar 3x10x10 input; a binarized 3x3 conv without padding (XNOR-popcount), a
    2x2 max pool of {-1, +1} (OR), binarized 3x3 convs padded by 1 (on {-1, 0, +1})."""
    import torch
    _, linear, _, _, binary_conv, sign, qnn = _layers()
    return torch.nn.Sequential(
        sign(), binary_conv(3, 16, 3), sign(), torch.nn.MaxPool2d(2),
        binary_conv(16, 8, 3, padding=1), sign(),
        binary_conv(8, 8, 3, padding=1, stride=2), sign(), torch.nn.Flatten(),
        qnn.QuantLinear(8 * 2 * 2, 10, bias=False, weight_scaling_const=1.0,
                        weight_quant=_layers_binary_weights()))


def _fixed_input():
    from brevitas.quant import Uint8ActPerTensorFixedPoint

    return Uint8ActPerTensorFixedPoint


def _layers_binary_weights():
    from brevitas.quant import SignedBinaryWeightPerTensorConst

    return SignedBinaryWeightPerTensorConst


MODELS = {
    "k3_pad1_pool2_w4a4": (model_k3_w4a4, (1, 3, 12, 12)),
    "k5_s2_pool3s2_nonsquare_w3a3": (model_k5_w3a3, (1, 1, 21, 17)),
    "k7_stride21_w8a8": (model_k7_w8a8, (1, 2, 15, 13)),
    "k2_s2_signed_w2a2": (model_k2_signed_w2a2, (1, 1, 16, 16)),
    "same_even_kernel_w4a4": (model_same_even_kernel_w4a4, (1, 1, 9, 11)),
    "binarized_padded": (model_binarized, (1, 3, 10, 10)),
}


def export(build, shape: tuple[int, ...], path: str, seed: int) -> str:
    """The model with seeded weights, exported with export_qonnx."""
    import torch
    from brevitas.export import export_qonnx

    torch.manual_seed(seed)
    model = build().eval()
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        export_qonnx(model, torch.zeros(shape), path, dynamo=False)
    return path


@pytest.mark.parametrize("name", MODELS)
def test_cnn_matches_execute_onnx_bit_for_bit(name, tmp_path, rng):
    build_model, shape = MODELS[name]
    path = export(build_model, shape, str(tmp_path / f"{name}.onnx"), seed=7)
    inputs = rng.uniform(-1 if name == "binarized_padded" else 0, 1,
                         size=(INPUTS, *shape[1:])).astype(np.float32)
    build = str(tmp_path / "build")
    summary = compile_model(path, build, CompileOptions(check_inputs=inputs))
    assert summary.check == f"C simulation == imported model, bit for bit, on {INPUTS} inputs"
    assert summary.accelerated_macs == summary.total_macs, summary.text()
    hls_form = parse_module_file(make_context(), f"{build}/ir/04-hls.mlir")
    simulated = run_module_csim(hls_form, [inputs])[0]
    np.testing.assert_array_equal(simulated, qonnx_reference(path, inputs))
