"""The command line of a deployment package's `validate.py`: top-1 accuracy on a dataset.

    python validate.py --images x.npy --labels y.npy [--device sim] [--batch N]

`--images` is a batch of the model's input (dim 0 is the batch), `--labels`
the class index of each image. The model's first output holds one score per
class; the prediction is its argmax.
"""

from __future__ import annotations

import numpy as np

from qnn_runtime.driver import UsageError, load_input, parser, run_command
from qnn_runtime.package import DeploymentPackage

DEFAULT_BATCH = 1000


def top1_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """The share of rows whose largest score is at the label's index."""
    return float(np.mean(np.argmax(scores.reshape(len(scores), -1), axis=1) == labels))


def main(directory: str, argv: list[str] | None = None) -> int:
    """Entry point of validate.py in the package `directory`."""
    args_parser = parser("validate.py", __doc__)
    args_parser.add_argument("--images", required=True, metavar="X.npy")
    args_parser.add_argument("--labels", required=True, metavar="Y.npy")

    def body() -> int:
        args = args_parser.parse_args(argv)
        package = DeploymentPackage(directory)
        (images,) = package.check_inputs([load_input(args.images)], args.images)
        labels = load_input(args.labels)
        if labels.ndim != 1 or len(labels) != len(images) or labels.dtype.kind not in "iu":
            raise UsageError(f"{args.labels}: expected {len(images)} integer labels (one per "
                             f"image), got an array of shape {list(labels.shape)} and dtype "
                             f"{labels.dtype}")
        accelerator = package.accelerator(args.device, args.bitfile, args.timeout)
        scores = package.predict(accelerator, images, batch=args.batch or DEFAULT_BATCH)[0]
        accuracy = top1_accuracy(scores, labels)
        print(f"top-1 accuracy: {100 * accuracy:.2f}% ({int(round(accuracy * len(labels)))} "
              f"of {len(labels)} images, {args.device})")
        return 0

    return run_command(body)
