"""qnn-run: interpret IR at any stage on numpy inputs, or run a compiled build.

  qnn-run model.mlir --input x.npy [--input y.npy ...] [--output out.npy]
  qnn-run --csim BUILD_DIR --input x.npy [--output out.npy]

With --csim, BUILD_DIR is a qnn-compile output: the host ops run in the
interpreter and the accelerator in the C simulation of the emitted C++, so the
output is directly comparable to the ONNX model's.

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


def build_module_path(build_dir: str) -> str:
    """The HLS-form IR that qnn-compile leaves in a build directory."""
    from qnn_mlir.compiler import BUILD_STAMP, STAGES

    path = os.path.join(build_dir, "ir", f"{STAGES[-1]}.mlir")
    if not os.path.exists(os.path.join(build_dir, BUILD_STAMP)) or not os.path.exists(path):
        raise QnnError(f"{build_dir}: error: not a qnn-compile build directory (no "
                       f"{BUILD_STAMP} and ir/{STAGES[-1]}.mlir); run qnn-compile -o {build_dir}")
    return path


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
    parser.add_argument("module", nargs="?", help="an .mlir file")
    parser.add_argument("--csim", metavar="BUILD_DIR",
                        help="run a qnn-compile build: host in the interpreter, accelerator in "
                             "C simulation")
    parser.add_argument("--input", action="append", default=[], metavar="X.npy",
                        help="an input array, once per function argument")
    parser.add_argument("--output", metavar="OUT.npy", help="where to save the results")
    parser.add_argument("--function", help="the function to run (default: @main)")
    args = parser.parse_args(argv)

    def body() -> int:
        from qnn_mlir.dialects import make_context
        from qnn_mlir.interpreter import run_module

        if (args.module is None) == (args.csim is None):
            raise QnnError("qnn-run: error: give either an .mlir file or --csim BUILD_DIR")
        path = args.module or build_module_path(args.csim)
        module = parse_module_file(make_context(), path)
        inputs = [load_array(p) for p in args.input]
        try:
            if args.csim:
                from qnn_mlir.backends.hls.csim import run_module_csim

                outputs = run_module_csim(module, inputs, args.function)
            else:
                outputs = run_module(module, inputs, args.function)
        except QnnError as error:
            raise QnnError(f"{path}: {error}") from error
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
