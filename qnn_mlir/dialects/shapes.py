"""Shape arithmetic shared by the verifiers, the importer and the interpreter."""

from __future__ import annotations

from collections.abc import Sequence


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """Numpy/ONNX multidirectional broadcasting; raises ValueError when incompatible."""
    rank = max((len(s) for s in shapes), default=0)
    result: list[int] = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(f"shapes {[list(s) for s in shapes]} are not broadcast-compatible")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def conv_output_size(
    size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int
) -> int:
    """Output length of a convolution or pooling window along one axis (floor mode)."""
    effective_kernel = dilation * (kernel - 1) + 1
    return (size + pad_begin + pad_end - effective_kernel) // stride + 1
