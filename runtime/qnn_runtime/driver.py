"""The command line of a deployment package's `driver.py`.

    python driver.py --input x.npy --output y.npy [--batch N] [--bitfile F.bit]
    python driver.py --device sim --input x.npy --output y.npy
    python driver.py --throughput [--batch N] [--device sim]

`--input` holds a batch of the model's input (dim 0 is the batch; several
inputs: one --input per model input, in order); `--output` gets the whole
model's output (an `.npz` of all outputs by name if the model has several).
`--throughput` runs random images and prints images/s with the time spent in
the host code, packing, transfer and unpacking. Errors are one line on stderr
and exit code 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np

from qnn_runtime.package import DEVICES, DeploymentPackage

THROUGHPUT_BATCH = 1000
THROUGHPUT_REPEATS = 5


class UsageError(Exception):
    """A command-line mistake: exit code 1 with the message."""


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors as exit code 1 like every other error."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.print_usage(sys.stderr)
        raise UsageError(message)


def load_input(path: str) -> np.ndarray:
    """A `.npy` array (no pickles), with a plain message when it cannot be read."""
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read a .npy array: {error}") from error
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path}: holds several arrays (.npz); give one .npy per input")
    return array


def write_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """One array: `path` as .npy; several: an .npz by name. Written to a temporary name and
    renamed, so that a failure (an OSError) leaves no half-written file."""
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "wb") as f:
            if len(arrays) == 1:
                np.save(f, next(iter(arrays.values())))
            else:
                np.savez(f, **arrays)
        os.replace(temporary, path)
    except OSError:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def save_outputs(path: str, names: list[str], outputs: list[np.ndarray]) -> None:
    """The model's outputs to `path` (`write_arrays`), a failure as a ValueError."""
    try:
        write_arrays(path, dict(zip(names, outputs, strict=True)))
    except OSError as error:
        raise ValueError(f"{path}: cannot write the output: {error.strerror}") from error


def parser(prog: str, description: str) -> Parser:
    """The options every package command shares (device, bitfile, batch, timeout)."""
    result = Parser(prog=prog, description=description,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    result.add_argument("--device", choices=DEVICES, default="board",
                        help="board: the FPGA through pynq (default); sim: the C simulation "
                        "library shipped in sim/")
    result.add_argument("--bitfile", help="the overlay (.bit with its .hwh beside it; default: "
                        "the package's bitstream/ file)")
    result.add_argument("--batch", type=int, help="images per accelerator call")
    result.add_argument("--timeout", type=float, help="seconds one DMA transfer may take "
                        "(default 10)")
    return result


def run_command(body) -> int:
    """Run `body()`; a known error becomes `error: ...` on stderr and exit code 1."""
    from qnn_runtime.pynq_device import DeviceError
    from qnn_runtime.simulation import SimulationError

    try:
        return body()
    except (UsageError, ValueError, DeviceError, SimulationError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def measure_throughput(package: DeploymentPackage, accelerator, batch: int,
                       repeats: int = THROUGHPUT_REPEATS) -> dict[str, float]:
    """The whole model (host code + accelerator) on `batch` random images, `repeats`
    times: medians of the seconds per batch in total and in each phase."""
    inputs = package.random_inputs(batch)
    package.predict(accelerator, *[a[:1] for a in inputs])  # warm-up
    runs = []
    for _ in range(repeats):
        package.predict(accelerator, *inputs)
        runs.append(package.timings)
    result = {name: statistics.median(getattr(t, name) for t in runs)
              for name in ("total", "host", "pack", "transfer", "unpack")}
    return {**result, "batch": batch, "repeats": repeats,
            "images_per_second": batch / result["total"]}


def format_throughput(result: dict[str, float]) -> str:
    """The measurement as the driver prints it: images/s, then each phase's share."""
    batch, total = result["batch"], result["total"]
    lines = [f"throughput: {result['images_per_second']:,.0f} images/s (batch {batch}, median "
             f"of {result['repeats']} runs, {total * 1e3:.2f} ms per batch)"]
    for name in ("host", "pack", "transfer", "unpack"):
        seconds = result[name]
        lines.append(f"  {name:<9} {seconds * 1e3:9.3f} ms  {100 * seconds / total:5.1f}%  "
                     f"{seconds / batch * 1e6:8.2f} us/image")
    return "\n".join(lines)


def main(directory: str, argv: list[str] | None = None) -> int:
    """Entry point of driver.py in the package `directory`."""
    args_parser = parser("driver.py", __doc__)
    args_parser.add_argument("--input", action="append", metavar="X.npy",
                             help="a batch of a model input (repeat for several inputs)")
    args_parser.add_argument("--output", metavar="Y.npy", help="where the outputs go")
    args_parser.add_argument("--throughput", action="store_true",
                             help="measure images/s on random images instead")

    def body() -> int:
        args = args_parser.parse_args(argv)
        if args.batch is not None and args.batch < 1:
            raise UsageError(f"--batch must be at least 1, got {args.batch}")
        if not args.throughput and (not args.input or not args.output):
            raise UsageError("give --input X.npy and --output Y.npy, or --throughput")
        package = DeploymentPackage(directory)
        inputs = None
        if not args.throughput:  # read and check everything before touching the device
            inputs = package.check_inputs([load_input(p) for p in args.input],
                                          " ".join(args.input))
        accelerator = package.accelerator(args.device, args.bitfile, args.timeout)
        if args.throughput:
            print(format_throughput(measure_throughput(package, accelerator,
                                                       args.batch or THROUGHPUT_BATCH)))
            return 0
        outputs = package.predict(accelerator, *inputs, batch=args.batch)
        save_outputs(args.output, [t.name for t in package.manifest.host_outputs], outputs)
        print(f"{inputs[0].shape[0]} image(s) -> {args.output} ({args.device})")
        return 0

    return run_command(body)
