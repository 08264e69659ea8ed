"""Readers for the offline data sets the project uses (no downloads).

Fashion-MNIST comes from Debian's `dataset-fashion-mnist` package (gzipped IDX
files under /usr/share/datasets/fashion-mnist/); `make` installs it.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path: str) -> np.ndarray:
    """An IDX file (optionally gzipped) as a numpy array of its unsigned bytes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, rank = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def fashion_mnist(split: str = "test", directory: str = FASHION_MNIST_DIR):
    """(images, labels) of Fashion-MNIST: images float32 in [0, 1], shape (N, 1, 28, 28)."""
    prefix = {"test": "t10k", "train": "train"}[split]
    images_path = os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz")
    labels_path = os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz")
    if not os.path.exists(images_path):
        raise FileNotFoundError(
            f"{images_path} is missing: install the Debian package dataset-fashion-mnist "
            "(`make setup` does)"
        )
    images = read_idx(images_path).astype(np.float32)[:, None] / 255.0
    return images, read_idx(labels_path).astype(np.int64)
