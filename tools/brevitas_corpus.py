#!/usr/bin/env python3
"""A corpus of small Brevitas models written the way Brevitas users write them.

    python tools/brevitas_corpus.py --list
    python tools/brevitas_corpus.py -o corpus/            # export every model
    python tools/brevitas_corpus.py -o corpus/ lenet5 hardtanh_w4a4

Each model has seeded random weights; BatchNorm statistics are measured on the
data and its affine parameters then randomised (about half the gammas
negative); activation scales are calibrated on the data with Brevitas'
`calibration_mode`, as a user calibrates a post-training-quantized model. The
inputs are Fashion-MNIST test images, pooled to 7x7 or 14x14 for the small
models, or seeded normal noise where the model expects features.

The corpus covers Brevitas' default quantizers, HardTanh, binarized layers with
BatchNorm, 8-bit per-channel weights with `Int32Bias` and BatchNorm, a first
layer without an input quantizer, quantize-then-view, LeNet-5 and its FC tail,
zero-point (shifted) activations, power-of-two scales, per-channel activation
scales, export_qonnx with both torch exporters, and export_onnx_qcdq. Models
marked `refuse` contain an op the compiler does not support: the expected
outcome is a diagnostic and exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CorpusModel:
    """One model of the corpus: how to build it, feed it and export it."""

    name: str
    build: Callable[[], object]
    input_shape: tuple[int, ...]
    data: str = "fashion7"
    """fashion7 / fashion14 / fashion28: Fashion-MNIST pooled to that size; normal: N(0, 1)."""
    exporter: str = "qonnx"
    """qonnx, qonnx-dynamo (export_qonnx), qcdq, qcdq-dynamo (export_onnx_qcdq)."""
    expect: str = "compile"
    """compile: compiles and matches PyTorch; refuse: a diagnostic and exit 1."""
    exact: bool = False
    """Power-of-two scales: the compiled model equals the imported one bit for bit."""
    note: str = ""

    @property
    def description(self) -> str:
        """One line: the note, else the first line of the builder's docstring."""
        return self.note or (self.build.__doc__ or "").strip().split("\n")[0]


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------


def _nn():
    import brevitas.nn as qnn
    from torch import nn

    return qnn, nn


def _mlp(widths, *, input_quant=True, batchnorm=True, act="relu", weight_bits=8,
         act_bits=8, bias=True, weight_quant=None, bias_quant=None, input_kwargs=None,
         act_kwargs=None, dropout=False, per_channel=False):
    """Flatten, [QuantIdentity], then QuantLinear [+ BN] + activation per hidden layer."""
    qnn, nn = _nn()
    quant_tensors = bias_quant is not None  # Int32Bias needs the input's scale
    layers = [nn.Flatten()]
    if input_quant:
        layers.append(qnn.QuantIdentity(return_quant_tensor=quant_tensors, **(input_kwargs or {})))
    pairs = list(zip(widths[:-1], widths[1:], strict=True))
    for index, (fan_in, fan_out) in enumerate(pairs):
        linear_kwargs = {"weight_bit_width": weight_bits} if weight_quant is None else {
            "weight_quant": weight_quant}
        if bias_quant is not None:
            linear_kwargs["bias_quant"] = bias_quant
        if per_channel:
            linear_kwargs["weight_scaling_per_output_channel"] = True
        layers.append(qnn.QuantLinear(fan_in, fan_out, bias=bias, **linear_kwargs))
        if index == len(pairs) - 1:
            break
        if batchnorm:
            layers.append(nn.BatchNorm1d(fan_out))
        if dropout:
            layers.append(nn.Dropout(0.2))
        kwargs = dict(act_kwargs or {})
        if act == "relu":
            layers.append(qnn.QuantReLU(bit_width=act_bits, return_quant_tensor=quant_tensors,
                                        **kwargs))
        elif act == "hardtanh":
            layers.append(qnn.QuantHardTanh(bit_width=act_bits, max_val=1.0, min_val=-1.0,
                                            return_quant_tensor=quant_tensors, **kwargs))
        else:
            layers.append(qnn.QuantIdentity(bit_width=act_bits,
                                            return_quant_tensor=quant_tensors, **kwargs))
    return nn.Sequential(*layers)


def _default_mlp():
    """Brevitas' defaults: 8-bit per-tensor float scales, float bias, 8-bit ReLU."""
    qnn, nn = _nn()
    return nn.Sequential(nn.Flatten(), qnn.QuantIdentity(), qnn.QuantLinear(49, 32, bias=True),
                         qnn.QuantReLU(), qnn.QuantLinear(32, 10, bias=True))


def _binarized():
    """FINN-style binarized MLP: bipolar weights and activations, BatchNorm in between."""
    from brevitas.quant import SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst

    qnn, nn = _nn()

    def sign():
        return qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst)

    def linear(fan_in, fan_out):
        return qnn.QuantLinear(fan_in, fan_out, bias=False,
                               weight_quant=SignedBinaryWeightPerTensorConst)

    return nn.Sequential(nn.Flatten(), sign(), linear(49, 64), nn.BatchNorm1d(64), sign(),
                         linear(64, 32), nn.BatchNorm1d(32), sign(), linear(32, 10),
                         nn.BatchNorm1d(10))


def _w8_per_channel(inputs=196):
    """8-bit per-channel weights, Int32Bias, BatchNorm, 8-bit ReLU."""
    from brevitas.quant import Int8WeightPerChannelFloat, Int32Bias

    return _mlp((inputs, 48, 10), weight_quant=Int8WeightPerChannelFloat, bias_quant=Int32Bias)


class _QuantThenView:
    """Input quantizer, then `x.view(batch, -1)` in forward, then a QuantLinear with bias."""

    @staticmethod
    def build():
        """Input quantizer, then `x.view(batch, -1)`, then a QuantLinear with bias."""
        import torch

        qnn, nn = _nn()

        class QuantThenView(nn.Module):
            def __init__(self):
                super().__init__()
                self.quant_input = qnn.QuantIdentity(bit_width=8, return_quant_tensor=True)
                self.fc1 = qnn.QuantLinear(49, 20, bias=True, weight_bit_width=4)
                self.act = qnn.QuantReLU(bit_width=4)
                self.fc2 = qnn.QuantLinear(20, 10, bias=True, weight_bit_width=4)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                x = self.quant_input(x)
                x = x.view(x.shape[0], -1)
                return self.fc2(self.act(self.fc1(x)))

        return QuantThenView()


def _lenet5_tail():
    """LeNet-5's classifier: 400 -> 120 -> 84 -> 10, 4-bit weights and ReLUs, biases."""
    qnn, nn = _nn()
    return nn.Sequential(
        qnn.QuantReLU(bit_width=4), qnn.QuantLinear(400, 120, bias=True, weight_bit_width=4),
        qnn.QuantReLU(bit_width=4), qnn.QuantLinear(120, 84, bias=True, weight_bit_width=4),
        qnn.QuantReLU(bit_width=4), qnn.QuantLinear(84, 10, bias=True, weight_bit_width=4))


def _lenet5():
    """LeNet-5 on 28x28 (first conv padded by 2), 4-bit weights and activations."""
    qnn, nn = _nn()
    return nn.Sequential(
        qnn.QuantIdentity(bit_width=8),
        qnn.QuantConv2d(1, 6, 5, padding=2, bias=True, weight_bit_width=4),
        qnn.QuantReLU(bit_width=4), nn.MaxPool2d(2),
        qnn.QuantConv2d(6, 16, 5, bias=True, weight_bit_width=4),
        qnn.QuantReLU(bit_width=4), nn.MaxPool2d(2), nn.Flatten(),
        qnn.QuantLinear(400, 120, bias=True, weight_bit_width=4), qnn.QuantReLU(bit_width=4),
        qnn.QuantLinear(120, 84, bias=True, weight_bit_width=4), qnn.QuantReLU(bit_width=4),
        qnn.QuantLinear(84, 10, bias=True, weight_bit_width=4))


def _relu_then_bn():
    """BatchNorm after the activation (negative gammas), re-quantized by a signed quantizer."""
    qnn, nn = _nn()
    return nn.Sequential(
        nn.Flatten(), qnn.QuantIdentity(), qnn.QuantLinear(49, 24, bias=True, weight_bit_width=4),
        qnn.QuantReLU(bit_width=4), nn.BatchNorm1d(24), qnn.QuantIdentity(bit_width=4),
        qnn.QuantLinear(24, 10, bias=True, weight_bit_width=4))


def _bn_on_input():
    """BatchNorm on the float input (negative gammas) before the input quantizer."""
    qnn, nn = _nn()
    return nn.Sequential(
        nn.Flatten(), nn.BatchNorm1d(49), qnn.QuantIdentity(bit_width=6),
        qnn.QuantLinear(49, 24, bias=True, weight_bit_width=6), qnn.QuantReLU(bit_width=6),
        qnn.QuantLinear(24, 10, bias=True, weight_bit_width=6))


def _shifted_activations():
    """Asymmetric activations with a learned zero point (ShiftedUint8ActPerTensorFloat)."""
    from brevitas.quant import ShiftedUint8ActPerTensorFloat

    return _mlp((49, 32, 10), act="identity",
                act_kwargs={"act_quant": ShiftedUint8ActPerTensorFloat})


def _power_of_two():
    """Power-of-two (fixed-point) scales everywhere: the float model is exact."""
    from brevitas.quant import (
        Int8ActPerTensorFixedPoint,
        Int8WeightPerTensorFixedPoint,
        Uint8ActPerTensorFixedPoint,
    )

    qnn, nn = _nn()
    return nn.Sequential(
        nn.Flatten(), qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint),
        qnn.QuantLinear(49, 32, bias=False, weight_quant=Int8WeightPerTensorFixedPoint),
        qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint),
        qnn.QuantLinear(32, 10, bias=False, weight_quant=Int8WeightPerTensorFixedPoint))


def _per_channel_activation():
    """A ReLU with one learned scale per channel: the next layer's input is not a
    scalar multiple of integers, so that layer runs on the host, in float."""
    qnn, nn = _nn()
    return nn.Sequential(
        nn.Flatten(), qnn.QuantIdentity(), qnn.QuantLinear(49, 16, bias=True),
        qnn.QuantReLU(scaling_per_output_channel=True, per_channel_broadcastable_shape=(1, 16),
                      scaling_stats_permute_dims=(1, 0)),
        qnn.QuantLinear(16, 12, bias=True), qnn.QuantReLU(bit_width=4),
        qnn.QuantLinear(12, 10, bias=True))


def _residual_mlp():
    """A residual block: y = fc2(q(x) + relu(fc1(x))), with Brevitas' QuantEltwiseAdd."""
    qnn, nn = _nn()

    class ResidualMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant_input = qnn.QuantIdentity()
            self.fc1 = qnn.QuantLinear(49, 49, bias=True)
            self.relu = qnn.QuantReLU()
            self.shortcut = qnn.QuantIdentity()
            self.add = qnn.QuantEltwiseAdd()
            self.fc2 = qnn.QuantLinear(49, 10, bias=True)

        def forward(self, x):
            x = self.quant_input(x.flatten(1))
            return self.fc2(self.add(self.shortcut(x), self.relu(self.fc1(x))))

    return ResidualMLP()


def _tanh_head():
    """A float Tanh, which no converter handles: the compile must refuse it clearly."""
    qnn, nn = _nn()
    return nn.Sequential(nn.Flatten(), qnn.QuantIdentity(), qnn.QuantLinear(49, 16, bias=True),
                         nn.Tanh(), qnn.QuantIdentity(), qnn.QuantLinear(16, 10, bias=True))


MODELS: tuple[CorpusModel, ...] = (
    CorpusModel("default_mlp", _default_mlp, (1, 1, 7, 7)),
    CorpusModel("default_mlp_dynamo", _default_mlp, (1, 1, 7, 7), exporter="qonnx-dynamo"),
    CorpusModel("default_mlp_qcdq", _default_mlp, (1, 1, 7, 7), exporter="qcdq"),
    CorpusModel("default_mlp_784", lambda: _mlp((784, 64, 10), batchnorm=False),
                (1, 1, 28, 28), data="fashion28", note="default quantizers on 28x28 images"),
    CorpusModel("no_input_quant", lambda: _mlp((49, 24, 10), input_quant=False, act_bits=4),
                (1, 1, 7, 7), note="the first QuantLinear sees the float input"),
    CorpusModel("quant_then_view", _QuantThenView.build, (1, 1, 7, 7)),
    CorpusModel("hardtanh_w4a4", lambda: _mlp((49, 30, 10), act="hardtanh", weight_bits=4,
                                              act_bits=4, input_kwargs={"bit_width": 4}),
                (1, 1, 7, 7), note="QuantHardTanh activations, 4-bit"),
    CorpusModel("binarized_bn", _binarized, (1, 1, 7, 7)),
    CorpusModel("binarized_bn_dynamo", _binarized, (1, 1, 7, 7), exporter="qonnx-dynamo"),
    CorpusModel("w8_per_channel_int32bias_bn", _w8_per_channel, (1, 1, 14, 14),
                data="fashion14"),
    CorpusModel("w8_per_channel_int32bias_bn_dynamo", _w8_per_channel, (1, 1, 14, 14),
                data="fashion14", exporter="qonnx-dynamo"),
    CorpusModel("w8_per_channel_int32bias_bn_qcdq", _w8_per_channel, (1, 1, 14, 14),
                data="fashion14", exporter="qcdq"),
    CorpusModel("lenet5_fc_tail", _lenet5_tail, (1, 400), data="normal"),
    CorpusModel("lenet5", _lenet5, (1, 1, 28, 28), data="fashion28",
                note="convolutions stay on the host until lower-conv; the FC tail streams"),
    CorpusModel("odd_widths_w3a5", lambda: _mlp((49, 37, 19, 10), weight_bits=3, act_bits=5),
                (1, 1, 7, 7), note="3-bit weights, 5-bit ReLUs, widths 37 and 19"),
    CorpusModel("w2a2_per_channel", lambda: _mlp((49, 40, 10), weight_bits=2, act_bits=2,
                                                 per_channel=True),
                (1, 1, 7, 7), note="2-bit per-channel weights, 2-bit ReLUs"),
    CorpusModel("relu_then_bn", _relu_then_bn, (1, 1, 7, 7)),
    CorpusModel("signed_act_int4", lambda: _mlp((49, 28, 18, 10), act="identity",
                                                weight_bits=4, act_bits=4), (1, 1, 7, 7),
                note="signed 4-bit QuantIdentity activations, no ReLU"),
    CorpusModel("bn_on_input", _bn_on_input, (1, 1, 7, 7)),
    CorpusModel("shifted_activations", _shifted_activations, (1, 1, 7, 7)),
    CorpusModel("power_of_two_scales", _power_of_two, (1, 1, 7, 7), exact=True),
    CorpusModel("w4a4_qcdq", lambda: _mlp((49, 30, 10), weight_bits=4, act_bits=4,
                                          input_kwargs={"bit_width": 4}), (1, 1, 7, 7),
                exporter="qcdq", note="4-bit weights and activations through QCDQ's Clip"),
    CorpusModel("w4a4_qcdq_dynamo", lambda: _mlp((49, 30, 10), weight_bits=4, act_bits=4,
                                                 input_kwargs={"bit_width": 4}), (1, 1, 7, 7),
                exporter="qcdq-dynamo", note="the same through the dynamo exporter"),
    CorpusModel("dropout_bias", lambda: _mlp((49, 33, 10), dropout=True, weight_bits=5,
                                             act_bits=3), (1, 1, 7, 7),
                note="Dropout (inference), 5-bit weights, 3-bit ReLUs"),
    CorpusModel("per_channel_activation", _per_channel_activation, (1, 1, 7, 7)),
    CorpusModel("residual_mlp", _residual_mlp, (1, 1, 7, 7),
                note="a residual block: the add of two streams stays on the host"),
    CorpusModel("tanh_head", _tanh_head, (1, 1, 7, 7), expect="refuse"),
)
"""Every model of the corpus, by name."""


def get_model(name: str) -> CorpusModel:
    """The corpus model called `name`."""
    for model in MODELS:
        if model.name == name:
            return model
    raise SystemExit(f"error: no corpus model '{name}'; --list shows them")


# ---------------------------------------------------------------------------
# Data, calibration, export
# ---------------------------------------------------------------------------


def model_inputs(spec: CorpusModel, count: int, split: str = "test", seed: int = 0) -> np.ndarray:
    """`count` inputs of the model's shape (batch first), as float32."""
    if spec.data == "normal":
        rng = np.random.default_rng(seed)
        return rng.normal(size=(count, *spec.input_shape[1:])).astype(np.float32)
    from qnn_mlir.datasets import fashion_mnist

    images = fashion_mnist(split)[0][:count].reshape(-1, 28, 28)
    size = int(spec.data.removeprefix("fashion"))
    pool = 28 // size
    pooled = images.reshape(len(images), size, pool, size, pool).mean(axis=(2, 4))
    return pooled.reshape(len(images), *spec.input_shape[1:]).astype(np.float32)


def prepare(spec: CorpusModel, seed: int = 0):
    """The model with seeded weights, data-matched then randomised BatchNorm, and
    activation scales calibrated on 512 training inputs; in eval mode."""
    import torch
    from brevitas.graph.calibrate import calibration_mode
    from torch import nn

    torch.manual_seed(seed)
    model = spec.build()
    calibration = torch.from_numpy(model_inputs(spec, 512, split="train"))
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d)]
    with torch.no_grad():
        if norms:
            for norm in norms:
                norm.reset_running_stats()
                norm.momentum = None  # a cumulative average over the calibration data
            model.train()
            model(calibration)
            generator = torch.Generator().manual_seed(seed + 1)
            for norm in norms:
                norm.weight.copy_(torch.randn(norm.weight.shape, generator=generator))
                norm.bias.copy_(torch.randn(norm.bias.shape, generator=generator) * 0.5)
        model.eval()
        with calibration_mode(model):
            model(calibration)
    return model.eval()


def pytorch_outputs(model, inputs: np.ndarray) -> np.ndarray:
    """The model's float outputs on a batch, as numpy."""
    import torch

    with torch.no_grad():
        output = model(torch.from_numpy(inputs))
    return np.asarray(getattr(output, "value", output).detach().numpy(), dtype=np.float32)


def export(spec: CorpusModel, model, path: str) -> str:
    """Export `model` as the spec says; returns `path`."""
    import torch
    from brevitas.export import export_onnx_qcdq, export_qonnx

    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    function = export_onnx_qcdq if spec.exporter.startswith("qcdq") else export_qonnx
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        function(model, torch.zeros(spec.input_shape), path,
                 dynamo=spec.exporter.endswith("dynamo"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="models to export (default: all)")
    parser.add_argument("-o", "--output", help="directory for <name>.onnx files")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    args = parser.parse_args()
    if args.list or not args.output:
        for spec in MODELS:
            print(f"{spec.name:<36} {spec.exporter:<13} {spec.expect:<8} "
                  f"{spec.description}")
        return
    for spec in [get_model(n) for n in args.names] or MODELS:
        print(export(spec, prepare(spec), os.path.join(args.output, f"{spec.name}.onnx")))


if __name__ == "__main__":
    main()
