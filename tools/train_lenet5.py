#!/usr/bin/env python3
"""Train a 4-bit Brevitas LeNet-5 on Fashion-MNIST and export it to QONNX.

    python tools/train_lenet5.py --epochs 5 -o examples/lenet5_w4a4.onnx
    python tools/train_lenet5.py --variant float-scales --epochs 3 \
        -o examples/lenet5_w4a4_float.onnx

The network takes one 1x28x28 image in [0, 1]: an 8-bit unsigned input
quantizer with a power-of-two scale, conv 5x5 (6 channels, padding 2), ReLU,
max pool 2, conv 5x5 (16 channels), ReLU, max pool 2, flatten, fully
connected 400 -> 120 -> 84 -> 10 with ReLUs between; weights and the ReLUs'
activations are 4 bits. The last layer's output (no quantizer) is the logits.

`--variant fixed-point` (the default): every scale is a power of two
(Int8WeightPerTensorFixedPoint and Uint8ActPerTensorFixedPoint at 4 bits), no
biases and no BatchNorm. Every value of the exported graph is then an integer
times a power of two, small enough that float32 computes it exactly whatever
the order of the sums: the export check requires execute_onnx's logits to be
bit-identical to PyTorch's, and exits with status 1 otherwise.

`--variant float-scales`: Brevitas' default learned float scales
(Int8WeightPerChannelFloat on the convolutions, Int8WeightPerTensorFloat on
the linear layers, Uint8ActPerTensorFloat on the ReLUs, all 4 bits), a float
bias on every layer, BatchNorm2d after each convolution and BatchNorm1d after
the first two linear layers (before their ReLU). Before training, the
BatchNorm statistics and affine parameters are randomised with the seed
(export_bnn_pynq.randomize_normalization: about half the gammas negative);
training keeps most gammas negative, and the JSON records how many are. The
export check reports the largest |onnx - torch| and how many predictions
agree; float rounding may differ, so nothing is required of it.

The recipe is the one tools/train_bnn_pynq.py uses (same helpers): Adam with a
learning rate halved at 40%, 60% and 80% of the epochs, batches of 100,
cross-entropy by default, seeded and deterministic for a given `--threads`.
The JSON next to the .onnx records the model, the recipe, the PyTorch accuracy
on all 10,000 test images, the export check and the exported ONNX op types.
"""

from __future__ import annotations

import argparse
import collections

from export_bnn_pynq import randomize_normalization
from train_bnn_pynq import (
    add_recipe_arguments,
    check_recipe_arguments,
    load_data,
    make_deterministic,
    train_export_check,
)

VARIANTS = ("fixed-point", "float-scales")
INPUT_SHAPE = (1, 1, 28, 28)
WEIGHT_BITS, ACT_BITS, INPUT_BITS = 4, 4, 8


def build_lenet5(variant: str):
    """LeNet-5 as a torch.nn.Sequential, untrained (uses torch's global RNG)."""
    import torch
    from brevitas import nn as qnn
    from brevitas.quant import (
        Int8WeightPerChannelFloat,
        Int8WeightPerTensorFixedPoint,
        Int8WeightPerTensorFloat,
        Uint8ActPerTensorFixedPoint,
        Uint8ActPerTensorFloat,
    )

    fixed = variant == "fixed-point"
    conv_weights = Int8WeightPerTensorFixedPoint if fixed else Int8WeightPerChannelFloat
    linear_weights = Int8WeightPerTensorFixedPoint if fixed else Int8WeightPerTensorFloat
    relu_quant = Uint8ActPerTensorFixedPoint if fixed else Uint8ActPerTensorFloat

    def conv(cin, cout, **kwargs):
        layers = [qnn.QuantConv2d(cin, cout, 5, bias=not fixed, weight_quant=conv_weights,
                                  weight_bit_width=WEIGHT_BITS, **kwargs)]
        if not fixed:
            layers.append(torch.nn.BatchNorm2d(cout))
        return layers + [qnn.QuantReLU(act_quant=relu_quant, bit_width=ACT_BITS),
                         torch.nn.MaxPool2d(2)]

    def linear(cin, cout, last=False):
        layers = [qnn.QuantLinear(cin, cout, bias=not fixed, weight_quant=linear_weights,
                                  weight_bit_width=WEIGHT_BITS)]
        if last:
            return layers
        if not fixed:
            layers.append(torch.nn.BatchNorm1d(cout))
        return layers + [qnn.QuantReLU(act_quant=relu_quant, bit_width=ACT_BITS)]

    return torch.nn.Sequential(
        # Input in [0, 1]; a power-of-two scale in both variants (2^-8 once trained).
        qnn.QuantIdentity(act_quant=Uint8ActPerTensorFixedPoint, bit_width=INPUT_BITS),
        *conv(1, 6, padding=2), *conv(6, 16), torch.nn.Flatten(),
        *linear(400, 120), *linear(120, 84), *linear(84, 10, last=True))


def normalization_summary(model) -> dict:
    """How many BatchNorm channels the model has, and how many of their gammas are negative."""
    import torch

    gammas = [m.weight.detach() for m in model.modules()
              if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    return {"batchnorm_channels": sum(len(g) for g in gammas),
            "negative_gammas": sum(int((g < 0).sum()) for g in gammas)}


def scales_summary(model) -> dict:
    """Whether every weight and activation scale of the model is a power of two."""
    import torch
    from brevitas import nn as qnn

    scales = []
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, qnn.QuantIdentity | qnn.QuantReLU):
                scales.append(module.act_quant.scale())
            elif isinstance(module, qnn.QuantConv2d | qnn.QuantLinear):
                scales.append(module.quant_weight().scale)
    values = torch.cat([s.flatten() for s in scales])
    exponents = torch.log2(values)
    return {"power_of_two_scales": bool(torch.equal(exponents, exponents.round())),
            "scale_exponents": sorted({int(e) for e in exponents.round()})}


def onnx_summary(path: str) -> dict:
    """The op types of the exported graph (with counts) and the first Conv's pads."""
    import onnx

    graph = onnx.load(path).graph
    ops = collections.Counter(node.op_type for node in graph.node)
    convs = [node for node in graph.node if node.op_type == "Conv"]
    pads = [list(a.ints) for a in convs[0].attribute if a.name == "pads"] if convs else []
    return {"onnx_ops": dict(sorted(ops.items())), "conv1_pads": pads[0] if pads else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=VARIANTS, default="fixed-point")
    add_recipe_arguments(parser, epochs=5, loss="cross-entropy", lr=0.002)
    args = parser.parse_args()
    check_recipe_arguments(parser, args)

    data = load_data(args.train_images)
    make_deterministic(args.seed, args.threads)
    fixed = args.variant == "fixed-point"
    model = build_lenet5(args.variant)
    if not fixed:
        import torch

        randomize_normalization(model, torch.Generator().manual_seed(args.seed + 1))
    record = {
        "config": "lenet5_w4a4" if fixed else "lenet5_w4a4_float", "variant": args.variant,
        "weight_bits": WEIGHT_BITS, "act_bits": ACT_BITS, "input_bits": INPUT_BITS,
        "scales": "power-of-two" if fixed else "float (per-channel on the convolutions)",
        "bias": "none" if fixed else "float (not quantized)",
        "batchnorm": "none" if fixed else (
            f"after each conv and fc1/fc2; statistics and affine parameters randomised "
            f"before training (randomize_normalization, generator seed {args.seed + 1})"),
        "input": "the 28x28 image, values in [0, 1]",
    }

    def describe(trained, path: str) -> dict:
        summary = scales_summary(trained) if fixed else normalization_summary(trained)
        summary.update(onnx_summary(path))
        print(f"ONNX ops: {summary['onnx_ops']}; first Conv pads {summary['conv1_pads']}")
        return summary

    result = train_export_check(model, record["config"], args.output, INPUT_SHAPE, data, args,
                                record, require="bit-identical" if fixed else None,
                                clip=False, describe=describe)
    problems = []
    if result["conv1_pads"] != [2, 2, 2, 2]:
        problems.append(f"the first Conv has pads {result['conv1_pads']}, not [2, 2, 2, 2]")
    if "MaxPool" not in result["onnx_ops"]:
        problems.append("the graph has no MaxPool")
    if fixed and not result["power_of_two_scales"]:
        problems.append(f"scales that are not powers of two: {result['scale_exponents']}")
    if not fixed and result["negative_gammas"] == 0:
        problems.append("no BatchNorm gamma is negative")
    if problems:
        raise SystemExit("error: " + "; ".join(problems))


if __name__ == "__main__":
    main()
