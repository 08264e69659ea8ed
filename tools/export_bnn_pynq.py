#!/usr/bin/env python3
"""Export a `brevitas_examples.bnn_pynq` model to QONNX, with random weights.

    python tools/export_bnn_pynq.py tfc_1w1a -o tfc.onnx [--exporter legacy] [--seed 0]

Pretrained weights need a download, so models get seeded random weights;
BatchNorm and TensorNorm statistics and affine parameters are randomised too
(including negative gammas), so that the exported graph exercises every
term of the normalisation instead of the identity defaults.

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


def input_shape(config: str) -> tuple[int, ...]:
    """One image: 1x28x28 for the FC models, 3x32x32 for CNV."""
    return (1, 3, 32, 32) if config.startswith("cnv") else (1, 1, 28, 28)


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


def build_model(config: str, seed: int = 0):
    """The bnn_pynq model for `config`, seeded, normalisation randomised, in eval mode."""
    import torch
    from brevitas_examples.bnn_pynq.models import model_with_cfg

    if config not in CONFIGS:
        raise SystemExit(f"error: unknown config '{config}'; choose from {', '.join(CONFIGS)}")
    torch.manual_seed(seed)
    model, _ = model_with_cfg(config, pretrained=False)
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


def export_config(config: str, path: str, exporter: str = "dynamo", seed: int = 0) -> str:
    """Build and export one configuration; returns the path of the .onnx file."""
    return export(build_model(config, seed), input_shape(config), path, exporter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", choices=CONFIGS)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--exporter", choices=("dynamo", "legacy"), default="dynamo")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.exporter == "dynamo":
        # The dynamo exporter reports progress on stdout; keep stdout for results.
        import contextlib
        import sys

        with contextlib.redirect_stdout(sys.stderr):
            export_config(args.config, args.output, args.exporter, args.seed)
    else:
        export_config(args.config, args.output, args.exporter, args.seed)


if __name__ == "__main__":
    main()
