#!/usr/bin/env python3
"""Train a `brevitas_examples.bnn_pynq` model on Fashion-MNIST and export it to QONNX.

    python tools/train_bnn_pynq.py tfc_1w1a --epochs 10 -o examples/tfc_w1a1.onnx
    python tools/train_bnn_pynq.py --all --epochs 10 -o trained/
    python tools/train_bnn_pynq.py cnv_1w1a --in-channels 1 --epochs 3 -o cnv_w1a1_fmnist.onnx

The FC models (TFC, SFC, LFC) take the 1x28x28 image. CNV, made for 3x32x32
CIFAR-10 images, is built with one input channel (`--in-channels 1`, which
CNV requires here) and trained on the images zero-padded by 2 pixels on each
side: the input of a trained CNV is the padded 1x32x32 image (values in
[0, 1]; the model computes 2x-1 itself, so the border becomes -1 inside).

Training runs on the CPU with Brevitas' quantization-aware layers: Adam with a
learning rate that halves at fixed epochs, batches of 100, the squared hinge
loss bnn_pynq trains with (or `--loss cross-entropy`), and the latent float
weights clipped to [-1, 1] after every step, which binarized training needs
so that weights stay where their straight-through gradient is non-zero.
`--seed` makes a run repeatable (same seed, same threads -> same weights).

After training, the model is exported with export_qonnx (`--exporter legacy`,
the default, is dynamo=False: one small file; `dynamo` may write a side
`.data` file), and qonnx's execute_onnx runs the exported file on test images
to check that it computes the same logits as the PyTorch model. A JSON file
next to each .onnx records the configuration, the recipe and the PyTorch
accuracy on all 10,000 test images (as a fraction and as a count).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import warnings

import numpy as np
from export_bnn_pynq import CONFIGS, export, input_shape, make_model

FC_CONFIGS = tuple(c for c in CONFIGS if not c.startswith("cnv"))
"""The FC configurations (TFC, SFC, LFC) that train on 28x28 grayscale images."""

CNV_PADDING = 2
"""Zero pixels on each side of a 28x28 image to make CNV's 32x32 input."""


def default_filename(config: str) -> str:
    """The file name of a trained export: tfc_1w2a -> tfc_w1a2.onnx."""
    arch, bits = config.split("_")
    weight_bits, act_bits = bits.split("w")
    return f"{arch}_w{weight_bits}a{act_bits.rstrip('a')}.onnx"


def make_deterministic(seed: int, threads: int) -> None:
    """Seed torch and fix the thread count, so a run is repeatable on this machine."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    # Some CPU kernels have no deterministic variant; those only warn.
    torch.use_deterministic_algorithms(True, warn_only=True)


def squared_hinge_loss(logits, labels):
    """mean(max(0, 1 - t * y)^2) with targets t = +1 for the label and -1 elsewhere."""
    import torch

    targets = 2.0 * torch.nn.functional.one_hot(labels, logits.shape[1]).to(logits.dtype) - 1.0
    return torch.clamp(1.0 - targets * logits, min=0.0).pow(2).mean()


def learning_rate(base: float, epoch: int, epochs: int) -> float:
    """Halve the rate at 40%, 60% and 80% of the run (epoch counts from 0); the
    first epoch always runs at `base`."""
    drops = sum(epoch >= max(1, round(epochs * fraction)) for fraction in (0.4, 0.6, 0.8))
    return base * 0.5 ** drops


def predict(model, images, batch_size: int = 1000):
    """The model's logits (eval mode, no gradient) on `images`, a float32 tensor."""
    import torch

    model.eval()
    with torch.no_grad():
        return torch.cat([model(images[i:i + batch_size])
                          for i in range(0, len(images), batch_size)])


def load_trained(config: str, state_path: str, in_channels: int | None = None):
    """The bnn_pynq model of `config` with the parameters saved next to its export."""
    import torch

    model = make_model(config, in_channels)
    model.load_state_dict(torch.load(state_path, weights_only=True))
    return model.eval()


def count_correct(model, images, labels) -> int:
    """How many of `images` the model classifies as `labels`."""
    return int((predict(model, images).argmax(dim=1) == labels).sum())


def train(model, data, epochs: int, lr: float, batch_size: int, loss_name: str,
          seed: int, clip: bool = True) -> list[dict]:
    """Train `model` in place; prints and returns one record per epoch. With `clip`,
    the model's clip_weights(-1, 1) (bnn_pynq models have one) runs after every step."""
    import torch

    train_images, train_labels, test_images, test_labels = data
    loss_fn = squared_hinge_loss if loss_name == "hinge" else torch.nn.functional.cross_entropy
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    shuffle = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(epochs):
        start = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(lr, epoch, epochs)
        model.train()
        total_loss, order = 0.0, torch.randperm(len(train_images), generator=shuffle)
        for i in range(0, len(order), batch_size):
            batch = order[i:i + batch_size]
            loss = loss_fn(model(train_images[batch]), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if clip:
                model.clip_weights(-1.0, 1.0)
            total_loss += loss.item() * len(batch)
        seconds = time.perf_counter() - start
        correct = count_correct(model, test_images, test_labels)
        record = {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"],
                  "train_loss": round(total_loss / len(order), 5),
                  "test_accuracy": correct / len(test_labels), "seconds": round(seconds, 2)}
        history.append(record)
        print(f"epoch {epoch + 1:3d}/{epochs}  lr {record['lr']:.4f}  "
              f"loss {record['train_loss']:.4f}  test {100 * record['test_accuracy']:.2f}%  "
              f"{seconds:.1f} s", flush=True)
    return history


def execute_exported(path: str, images: np.ndarray) -> np.ndarray:
    """qonnx's execute_onnx on the exported file, one image at a time, outputs stacked."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrapper = ModelWrapper(path).transform(InferShapes())
        in_name, out_name = wrapper.graph.input[0].name, wrapper.graph.output[0].name
        return np.concatenate([execute_onnx(wrapper, {in_name: image[None]})[out_name]
                               for image in images])


def check_export(model, path: str, images) -> dict:
    """Compare the exported file (execute_onnx) with the PyTorch model on `images`."""
    reference = predict(model, images).numpy()
    exported = execute_exported(path, images.numpy())
    result = {
        "images": len(images),
        "max_abs_diff": float(np.max(np.abs(exported - reference))),
        "bit_identical": bool(np.array_equal(exported, reference)),
        "same_predictions": int((exported.argmax(1) == reference.argmax(1)).sum()),
    }
    print(f"export check on {result['images']} test images: "
          f"{result['same_predictions']}/{result['images']} predictions agree, "
          f"max |onnx - torch| = {result['max_abs_diff']:.3g}"
          f"{' (bit-identical)' if result['bit_identical'] else ''}", flush=True)
    return result


def load_data(train_images: int | None = None, padding: int = 0):
    """Fashion-MNIST train and test splits as torch tensors: the first `train_images`
    training images (all when None), every image zero-padded by `padding` pixels."""
    import torch

    from qnn_mlir.datasets import fashion_mnist

    train_x, train_y = fashion_mnist("train")
    test_x, test_y = fashion_mnist("test")
    if train_images is not None:
        train_x, train_y = train_x[:train_images], train_y[:train_images]
    if padding:
        pad = ((0, 0), (0, 0), (padding, padding), (padding, padding))
        train_x, test_x = np.pad(train_x, pad), np.pad(test_x, pad)
    return tuple(torch.from_numpy(np.ascontiguousarray(a))
                 for a in (train_x, train_y, test_x, test_y))


CHECK_REQUIREMENTS = {
    "bit-identical": lambda check: check["bit_identical"],
    "same-predictions": lambda check: check["same_predictions"] == check["images"],
}
"""What `train_export_check` can require of the export check."""


def train_export_check(model, name: str, path: str, shape: tuple[int, ...], data,
                       args: argparse.Namespace, record: dict, require: str | None,
                       clip: bool = True, describe=None) -> dict:
    """Train `model` in place, export it to `path` for inputs of `shape`, check the
    export against PyTorch, save the parameters (.pt) and write the JSON record.

    `args` carries the recipe (epochs, seed, exporter, loss, lr, batch_size, threads,
    check_images); `record` the fields that describe the model, first in the JSON.
    `describe(model, path)`, when given, runs after the export and returns more
    fields for the JSON (what the trained model or its export contains). Exits with
    an error (status 1) when the export check does not meet `require` (a key of
    CHECK_REQUIREMENTS; None requires nothing)."""
    import torch

    train_images, train_labels, test_images, test_labels = data
    print(f"== {name}: {args.epochs} epochs on {len(train_labels)} images, "
          f"seed {args.seed} -> {path}", flush=True)
    start = time.perf_counter()
    history = train(model, data, args.epochs, args.lr, args.batch_size, args.loss, args.seed,
                    clip)
    train_seconds = time.perf_counter() - start

    correct = count_correct(model, test_images, test_labels)
    # The dynamo exporter reports progress on stdout; keep stdout for results.
    with contextlib.redirect_stdout(sys.stderr):
        export(model.eval(), shape, path, args.exporter)
    check = check_export(model, path, test_images[:args.check_images])
    extra = describe(model, path) if describe is not None else {}
    # The trained parameters too, so that PyTorch itself can be re-run on the
    # test set later (tools/demo.py does) instead of trusting the recorded figure.
    torch.save(model.state_dict(), os.path.splitext(path)[0] + ".pt")
    record = {
        **record, "dataset": "fashion-mnist", "input_shape": list(shape), **extra,
        "epochs": args.epochs, "seed": args.seed, "exporter": args.exporter,
        "loss": args.loss, "lr": args.lr, "batch_size": args.batch_size,
        "threads": args.threads, "train_images": len(train_labels),
        "test_images": len(test_labels), "test_correct": correct,
        "test_accuracy": correct / len(test_labels),
        "train_seconds": round(train_seconds, 1),
        "seconds_per_epoch": round(sum(h["seconds"] for h in history) / len(history), 2),
        "export_check": {**check, "required": require}, "history": history,
    }
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(f"{name}: {100 * record['test_accuracy']:.2f}% ({correct}/{len(test_labels)}) "
          f"in {train_seconds:.0f} s; wrote {path}", flush=True)
    if require is not None and not CHECK_REQUIREMENTS[require](check):
        raise SystemExit(f"error: the export of {name} is not {require} with PyTorch")
    return record


def train_and_export(config: str, path: str, data, args: argparse.Namespace) -> dict:
    """Train one configuration, export it to `path`, check it and write the JSON record."""
    make_deterministic(args.seed, args.threads)
    model = make_model(config, args.in_channels)
    record = {"config": config}
    if args.in_channels is not None:
        record["in_channels"] = args.in_channels
    if config.startswith("cnv"):
        record["input"] = (f"the 28x28 image zero-padded by {CNV_PADDING} pixels on each "
                           "side to 32x32, values in [0, 1]")
    return train_export_check(model, config, path, input_shape(config, args.in_channels),
                              data, args, record, require="same-predictions")


def add_recipe_arguments(parser: argparse.ArgumentParser, *, epochs: int, loss: str,
                         lr: float) -> None:
    """The command-line options every training script here shares, with these defaults."""
    parser.add_argument("-o", "--output", required=True,
                        help="the .onnx file (the .json and .pt go next to it)")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exporter", choices=("legacy", "dynamo"), default="legacy")
    parser.add_argument("--loss", choices=("hinge", "cross-entropy"), default=loss)
    parser.add_argument("--lr", type=float, default=lr, help="initial Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--train-images", type=int,
                        help="train on the first N training images only (e.g. to time an "
                             "epoch); default: all 60,000")
    parser.add_argument("--check-images", type=int, default=200,
                        help="test images to run through execute_onnx after export")


def check_recipe_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject option values add_recipe_arguments' options cannot take."""
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.train_images is not None and args.train_images < 1:
        parser.error("--train-images must be at least 1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", nargs="?", choices=CONFIGS)
    parser.add_argument("--all", action="store_true",
                        help="train every FC configuration; -o is then a directory")
    parser.add_argument("--in-channels", type=int,
                        help="input channels; CNV needs 1 (Fashion-MNIST is grayscale)")
    add_recipe_arguments(parser, epochs=10, loss="hinge", lr=0.02)
    args = parser.parse_args()
    check_recipe_arguments(parser, args)
    if args.all == (args.config is not None):
        parser.error("give either a config or --all")
    cnv = args.config is not None and args.config.startswith("cnv")
    if cnv and args.in_channels != 1:
        parser.error(f"{args.config} trains on grayscale images: give --in-channels 1")
    if not cnv and args.in_channels not in (None, 1):
        parser.error("the FC models take one input channel")

    data = load_data(args.train_images, CNV_PADDING if cnv else 0)
    if args.all:
        for config in FC_CONFIGS:
            train_and_export(config, os.path.join(args.output, default_filename(config)),
                             data, args)
    else:
        train_and_export(args.config, args.output, data, args)


if __name__ == "__main__":
    main()
