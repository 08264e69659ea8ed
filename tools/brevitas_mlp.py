#!/usr/bin/env python3
"""Build and export general Brevitas MLPs, beyond the bnn_pynq zoo.

    python tools/brevitas_mlp.py --widths 784,37,19,10 --weight-bits 4 --act-bits 4 \\
        --per-channel --bias -o mlp.onnx [--exporter dynamo]

Covers what a user's model may contain: learned float scales (per tensor or per
output channel), biases, unsigned ReLU activations, 2- to 8-bit layers, widths
that are not powers of two, BatchNorm with negative gammas, and a signed 8-bit
input quantizer. Weights and normalisation statistics are seeded random.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class MLPSpec:
    """What to build: layer widths and quantization choices."""

    widths: tuple[int, ...] = (784, 37, 19, 10)
    weight_bits: int = 4
    act_bits: int = 4
    per_channel: bool = True
    bias: bool = True
    batchnorm: bool = True
    input_bits: int = 8
    seed: int = 0


def build_mlp(spec: MLPSpec):
    """A torch module: QuantIdentity input, then Linear [+BN] + QuantReLU per hidden layer."""
    import brevitas.nn as qnn
    import torch
    from torch import nn

    torch.manual_seed(spec.seed)
    layers: list[nn.Module] = [
        nn.Flatten(),
        qnn.QuantIdentity(bit_width=spec.input_bits, return_quant_tensor=True),
    ]
    pairs = list(zip(spec.widths[:-1], spec.widths[1:], strict=True))
    for index, (fan_in, fan_out) in enumerate(pairs):
        last = index == len(pairs) - 1
        layers.append(qnn.QuantLinear(
            fan_in, fan_out, bias=spec.bias, weight_bit_width=spec.weight_bits,
            weight_scaling_per_output_channel=spec.per_channel, return_quant_tensor=False))
        if last:
            break
        if spec.batchnorm:
            layers.append(nn.BatchNorm1d(fan_out))
        layers.append(qnn.QuantReLU(bit_width=spec.act_bits, return_quant_tensor=True))
    model = nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(spec.seed + 1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm1d):
                shape = module.running_mean.shape
                module.running_mean.copy_(torch.randn(shape, generator=generator))
                module.running_var.copy_(torch.rand(shape, generator=generator) * 2 + 0.1)
                module.weight.copy_(torch.randn(shape, generator=generator))  # some negative
                module.bias.copy_(torch.randn(shape, generator=generator))
    return model.eval()


def export_mlp(spec: MLPSpec, path: str, exporter: str = "legacy") -> str:
    """Build `spec` and export it with export_qonnx to `path`."""
    import sys

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from export_bnn_pynq import export

    return export(build_mlp(spec), (1, 1, 28, 28), path, exporter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", default="784,37,19,10")
    parser.add_argument("--weight-bits", type=int, default=4)
    parser.add_argument("--act-bits", type=int, default=4)
    parser.add_argument("--per-channel", action="store_true")
    parser.add_argument("--bias", action="store_true")
    parser.add_argument("--no-batchnorm", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exporter", choices=("legacy", "dynamo"), default="legacy")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    spec = MLPSpec(tuple(int(w) for w in args.widths.split(",")), args.weight_bits,
                   args.act_bits, args.per_channel, args.bias, not args.no_batchnorm,
                   seed=args.seed)
    export_mlp(spec, args.output, args.exporter)


if __name__ == "__main__":
    main()
