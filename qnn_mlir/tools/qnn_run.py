"""qnn-run: interpret IR at any stage on numpy inputs.

  qnn-run model.mlir --input x.npy [--input y.npy ...] [--output out.npy]

Dimension 0 of each input is the batch: an IR function typed for one image
(tensor<1x...>) runs a whole batch at once. Without --output the outputs are
printed. With several function results, --output writes an .npz archive.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import numpy as np

from qnn_mlir.diagnostics import QnnError, parse_module_file, run_tool


def load_array(path: str) -> np.ndarray:
    """Read an .npy file; errors become diagnostics."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise QnnError(f"{path}: error: cannot read a numpy .npy array: {error}") from error


def save_outputs(path: str, outputs: list[np.ndarray]) -> None:
    """One result -> .npy; several -> .npz with keys result0, result1, ...; atomically."""
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "wb") as f:
            if len(outputs) == 1:
                np.save(f, outputs[0])
            else:
                np.savez(f, **{f"result{i}": o for i, o in enumerate(outputs)})
        os.replace(temporary, path)
    except OSError as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise QnnError(f"{path}: error: cannot write output: {error.strerror}") from error


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `qnn-run` console script."""
    parser = argparse.ArgumentParser(prog="qnn-run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", help="an .mlir file")
    parser.add_argument("--input", action="append", default=[], metavar="X.npy",
                        help="an input array, once per function argument")
    parser.add_argument("--output", metavar="OUT.npy", help="where to save the results")
    parser.add_argument("--function", help="the function to run (default: @main)")
    args = parser.parse_args(argv)

    def body() -> int:
        from qnn_mlir.dialects import make_context
        from qnn_mlir.interpreter import run_module

        module = parse_module_file(make_context(), args.module)
        inputs = [load_array(p) for p in args.input]
        try:
            outputs = run_module(module, inputs, args.function)
        except QnnError as error:
            raise QnnError(f"{args.module}: {error}") from error
        if args.output:
            save_outputs(args.output, outputs)
        else:
            with np.printoptions(threshold=200, linewidth=100):
                for index, output in enumerate(outputs):
                    print(f"result {index}: shape {list(output.shape)} dtype {output.dtype}")
                    print(output)
        return 0

    run_tool("qnn-run", body)


if __name__ == "__main__":
    main()
