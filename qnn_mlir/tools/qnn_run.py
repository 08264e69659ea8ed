"""qnn-run: interpret IR at any stage on numpy inputs, or run a compiled build.

  qnn-run model.mlir --input x.npy [--input y.npy ...] [--output out.npy]
  qnn-run --csim BUILD_DIR --input x.npy [--output out.npy]
  qnn-run before.mlir --compare after.mlir [--exact] [--input x.npy]
  qnn-run model.mlir --bisect -p PIPELINE [--input x.npy]

--compare runs both files and compares the values that carry the same SSA
name, in program order, and reports the first one that differs beyond float
rounding (or at all, with --exact), other than at a threshold tie
(docs/checking.md). --bisect runs the passes of PIPELINE one at a time and
compares each pass's output with its input the same way (exactly, unless the
pass is marked inexact), and names the first pass and value that depart.
Without --input, both use 100 generated inputs (Fashion-MNIST test images for
a 1x28x28 or 784 input, else uniform [0, 1)). Exit code 1 on a departure.

With --csim, BUILD_DIR is a qnn-compile output: the host ops run in the
interpreter and the accelerator in the C simulation of the emitted C++, so the
output is directly comparable to the ONNX model's.

Dimension 0 of each input is the batch: an IR function typed for one image
(tensor<1x...>) runs a whole batch at once. Without --output the outputs are
printed. With several function results, --output writes an .npz archive.

Inputs are checked before anything runs, in the interpreter and in --csim
alike: an .npy file of bool, integer or float16/32/64 values (its header is
read first: a damaged, truncated or oversized file is a diagnostic), one per
function argument, with the argument's shape past the batch dimension, the
same batch size (at least 1) for every input, and for an integer or bipolar
argument integral values inside its range. Non-finite values are rejected: a
NaN or an infinity anywhere in an input is a diagnostic naming the input, how
many there are and the index of the first (docs/checking.md, "Non-finite
inputs"). The interpreter cannot run the accelerator kernel of a qnn-compile
build's ir/04-hls.mlir; run it with --csim BUILD_DIR.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import numpy as np

from qnn_mlir.diagnostics import QnnError, parse_module_file, run_tool, with_location
from qnn_mlir.npy_input import load_npy
from qnn_mlir.tools.arguments import ToolArgumentParser


def build_module_path(build_dir: str) -> str:
    """The HLS-form IR that qnn-compile leaves in a build directory."""
    from qnn_mlir.compiler import BUILD_STAMP, STAGES

    path = os.path.join(build_dir, "ir", f"{STAGES[-1]}.mlir")
    if not os.path.exists(os.path.join(build_dir, BUILD_STAMP)) or not os.path.exists(path):
        raise QnnError(f"{build_dir}: error: not a qnn-compile build directory (no "
                       f"{BUILD_STAMP} and ir/{STAGES[-1]}.mlir); run qnn-compile -o {build_dir}")
    return path


def save_outputs(path: str, outputs: list[np.ndarray]) -> None:
    """One result -> .npy; several -> .npz with keys result0, result1, ...; atomically (the
    deployment driver's writer)."""
    from qnn_runtime.driver import write_arrays

    try:
        write_arrays(path, {f"result{i}": output for i, output in enumerate(outputs)})
    except OSError as error:
        raise QnnError(f"{path}: error: cannot write output: {error.strerror}") from error


def _compare_inputs(module, module_path: str, paths: list[str]) -> list[np.ndarray]:
    """The --input arrays, checked against the module's entry function, else generated ones."""
    from qnn_mlir.compiler import check_inputs
    from qnn_mlir.interpreter import check_run_inputs

    if not paths:
        return [check_inputs(module, 100)]
    try:
        return check_run_inputs(module, [load_npy(p) for p in paths], sources=paths)
    except QnnError as error:
        raise QnnError(with_location(module_path, str(error))) from error


def _ties_text(ties: dict[int, str]) -> str:
    return f"; {len(ties)} input(s) with a threshold tie at " + ", ".join(
        sorted({f"%{name}" for name in ties.values()})) if ties else ""


def compare_files(before_path: str, after_path: str, inputs: list[str], exact: bool) -> None:
    """`--compare`: print where `after` departs from `before`, or that it does not."""
    from qnn_mlir.dialects import make_context
    from qnn_mlir.equivalence import compare

    before = parse_module_file(make_context(), before_path)
    after = parse_module_file(make_context(), after_path)
    arrays = _compare_inputs(before, before_path, inputs)
    result = compare(before, after, arrays, exact)
    if result.divergence is not None:
        raise QnnError(f"{after_path}: error: departs from {before_path}: "
                       f"{result.divergence.text(result.examined)}")
    rule = "bit for bit" if exact else "within float rounding"
    print(f"{after_path} computes what {before_path} computes, {rule}, on "
          f"{result.examined} inputs{_ties_text(result.ties)}")


def bisect_passes(path: str, pipeline: str, inputs: list[str]) -> None:
    """`--bisect`: run the pipeline pass by pass and name the first pass that departs."""
    from qnn_mlir.compile_check import Stage
    from qnn_mlir.compiler import run_stages
    from qnn_mlir.dialects import make_context
    from qnn_mlir.equivalence import TraceCache, compare

    module = parse_module_file(make_context(), path)
    arrays = _compare_inputs(module, path, inputs)
    stages = [Stage(path, module)] + run_stages(module, pipeline, path)
    cache = TraceCache()
    for before, after in zip(stages, stages[1:], strict=False):
        result = compare(before.module, after.module, arrays, after.exact, cache=cache)
        cache.forget(before.module)
        if result.divergence is not None:
            raise QnnError(f"{path}: error: pass '{after.name}' changes what the IR computes: "
                           f"{result.divergence.text(result.examined)}")
        rule = "bit for bit" if after.exact else "within float rounding"
        print(f"{after.name}: keeps every value {rule} on {result.examined} inputs"
              f"{_ties_text(result.ties)}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `qnn-run` console script."""
    parser = ToolArgumentParser(prog="qnn-run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", nargs="?", help="an .mlir file")
    parser.add_argument("--csim", metavar="BUILD_DIR",
                        help="run a qnn-compile build: host in the interpreter, accelerator in "
                             "C simulation")
    parser.add_argument("--input", action="append", default=[], metavar="X.npy",
                        help="an input array, once per function argument")
    parser.add_argument("--output", metavar="OUT.npy", help="where to save the results")
    parser.add_argument("--function", help="the function to run (default: @main)")
    parser.add_argument("--compare", metavar="AFTER.mlir",
                        help="compare this file's values with the module's, name by name")
    parser.add_argument("--exact", action="store_true",
                        help="with --compare: any difference counts, no float rounding")
    parser.add_argument("--bisect", action="store_true",
                        help="run the -p pipeline pass by pass, comparing each step")
    parser.add_argument("-p", "--passes", metavar="PIPELINE", help="the passes for --bisect")
    args = parser.parse_args(argv)

    def body() -> int:
        from qnn_mlir.dialects import make_context
        from qnn_mlir.interpreter import run_module

        if args.compare or args.bisect:
            if args.module is None or args.csim or args.output:
                raise QnnError("qnn-run: error: --compare and --bisect take one .mlir file "
                               "(no --csim, no --output)")
            if args.bisect:
                if not args.passes:
                    raise QnnError("qnn-run: error: --bisect needs the passes: -p PIPELINE")
                bisect_passes(args.module, args.passes, args.input)
            else:
                compare_files(args.module, args.compare, args.input, args.exact)
            return 0
        if (args.module is None) == (args.csim is None):
            raise QnnError("qnn-run: error: give either an .mlir file or --csim BUILD_DIR")
        path = args.module or build_module_path(args.csim)
        module = parse_module_file(make_context(), path)
        inputs = [load_npy(p) for p in args.input]
        try:
            if args.csim:
                from qnn_mlir.backends.hls.csim import run_module_csim

                outputs = run_module_csim(module, inputs, args.function, sources=args.input)
            else:
                outputs = run_module(module, inputs, args.function, sources=args.input)
        except QnnError as error:
            raise QnnError(with_location(path, str(error))) from error
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
