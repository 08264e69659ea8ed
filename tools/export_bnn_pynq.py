#!/usr/bin/env python3
"""Export a `brevitas_examples.bnn_pynq` model to QONNX, with random weights.

    python tools/export_bnn_pynq.py tfc_1w1a -o tfc.onnx [--exporter legacy] [--seed 0]
    python tools/export_bnn_pynq.py cnv_1w1a --in-channels 1 -o cnv_gray.onnx

Pretrained weights need a download, so models get seeded random weights;
BatchNorm and TensorNorm statistics and affine parameters are randomised too
(including negative gammas), so that the exported graph exercises every
term of the normalisation instead of the identity defaults.

`--in-channels` overrides the IN_CHANNELS of the configuration's .ini: CNV
takes 3x32x32 (CIFAR-10) images by default, `--in-channels 1` makes it take
1x32x32 grayscale ones. The FC models flatten a 28x28 image and take 1 only.

`--exporter dynamo` (the default of export_qonnx on this torch) emits Gemm and
may write the weights to a side `.data` file; `legacy` (dynamo=False) emits
Transpose+MatMul.
"""

from __future__ import annotations

import argparse
import os
import warnings

CONFIGS = (
    "tfc_1w1a", "tfc_1w2a", "tfc_2w2a",
    "sfc_1w1a", "sfc_1w2a", "sfc_2w2a",
    "lfc_1w1a", "lfc_1w2a",
    "cnv_1w1a", "cnv_1w2a", "cnv_2w2a",
)
"""Every FC and CNV configuration of bnn_pynq."""


def input_shape(config: str, in_channels: int | None = None) -> tuple[int, ...]:
    """One image: 1x28x28 for the FC models, 3x32x32 for CNV (`in_channels`x32x32
    when given)."""
    if config.startswith("cnv"):
        return (1, 3 if in_channels is None else in_channels, 32, 32)
    return (1, 1, 28, 28)


def make_model(config: str, in_channels: int | None = None):
    """The bnn_pynq model of `config`, untrained, as model_with_cfg builds it, with
    `in_channels` (when given) in place of the IN_CHANNELS of the config's .ini."""
    from brevitas_examples.bnn_pynq.models import get_model_cfg, model_impl

    if config not in CONFIGS:
        raise SystemExit(f"error: unknown config '{config}'; choose from {', '.join(CONFIGS)}")
    cfg = get_model_cfg(config)
    if in_channels is not None:
        if in_channels < 1 or (in_channels != 1 and not config.startswith("cnv")):
            raise SystemExit(f"error: {config} cannot take {in_channels} input channels "
                             "(the FC models take 1, CNV any positive number)")
        cfg.set("MODEL", "IN_CHANNELS", str(in_channels))
    return model_impl[cfg.get("MODEL", "ARCH")](cfg)


def randomize_normalization(model, generator) -> None:
    """Give every BatchNorm/TensorNorm random statistics and affine parameters."""
    import torch

    for module in model.modules():
        if hasattr(module, "running_mean") and hasattr(module, "running_var"):
            shape = module.running_mean.shape
            with torch.no_grad():
                module.running_mean.copy_(torch.randn(shape, generator=generator) * 4)
                module.running_var.copy_(torch.rand(shape, generator=generator) * 8 + 0.05)
                if getattr(module, "weight", None) is not None:
                    module.weight.copy_(torch.randn(shape, generator=generator))
                if getattr(module, "bias", None) is not None:
                    module.bias.copy_(torch.randn(shape, generator=generator))


def build_model(config: str, seed: int = 0, in_channels: int | None = None):
    """The bnn_pynq model for `config`, seeded, normalisation randomised, in eval mode."""
    import torch

    torch.manual_seed(seed)
    model = make_model(config, in_channels)
    randomize_normalization(model, torch.Generator().manual_seed(seed + 1))
    return model.eval()


def export(model, shape: tuple[int, ...], path: str, exporter: str = "dynamo") -> str:
    """export_qonnx `model` for an input of `shape` to `path`; returns `path`."""
    import torch
    from brevitas.export import export_qonnx

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_qonnx(model, torch.zeros(shape), path, dynamo=(exporter == "dynamo"))
    return path


def export_config(config: str, path: str, exporter: str = "dynamo", seed: int = 0,
                  in_channels: int | None = None) -> str:
    """Build and export one configuration; returns the path of the .onnx file."""
    return export(build_model(config, seed, in_channels), input_shape(config, in_channels),
                  path, exporter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", choices=CONFIGS)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--exporter", choices=("dynamo", "legacy"), default="dynamo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--in-channels", type=int,
                        help="input channels (CNV only; default: the config's, 3)")
    args = parser.parse_args()
    if args.exporter == "dynamo":
        # The dynamo exporter reports progress on stdout; keep stdout for results.
        import contextlib
        import sys

        with contextlib.redirect_stdout(sys.stderr):
            export_config(args.config, args.output, args.exporter, args.seed, args.in_channels)
    else:
        export_config(args.config, args.output, args.exporter, args.seed, args.in_channels)


if __name__ == "__main__":
    main()
