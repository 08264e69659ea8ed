"""qnn-compile: ONNX/QONNX model -> HLS project + checked C simulation, in one command.

  qnn-compile model.onnx [--board pynq-z1] [--folding f.json | --target-fps N] -o build/

Runs the import, the default pipeline (streamline-pipeline, then the dataflow
passes), emits the Vitis HLS project, builds the C simulation with g++ and
checks it against the reference interpreter, then prints a summary: per layer
its folding, estimated cycles, LUT, BRAM and DSP; the totals against the
budget; the throughput (the lower of the compute and DMA bounds) and latency.
Without --folding or --target-fps the folding is the fastest one whose
estimated resources fit the budget (70% of the LUTs, 80% of BRAM and DSP by
default). Every stage's IR is kept under build/ir/, the folding chosen in
build/folding.json (edit it and pass it back with --folding).

Every option is checked before any work, each bad value one diagnostic (exit
code 1): --target-fps a finite number of frames/s, at least 0.001 (above what
the model reaches, the fastest folding, with a note); --check-images a whole
number from 1 to 10,000; --budget fractions in (0, 1], each resource once;
--folding a UTF-8 JSON object of layer names to positive integer PE/SIMD.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TypeVar

from qnn_mlir.cost.boards import known_boards
from qnn_mlir.diagnostics import run_tool
from qnn_mlir.tools.arguments import ToolArgumentParser

T = TypeVar("T")


def number_or_text(kind: Callable[[str], T]) -> Callable[[str], T | str]:
    """An argparse type that converts to `kind` when it can and keeps the text when not:
    the compiler's checks then give one diagnostic for every bad value (argparse's own
    exits with code 2 and a usage line)."""
    def convert(text: str) -> T | str:
        try:
            return kind(text)
        except ValueError:
            return text

    return convert


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `qnn-compile` console script."""
    parser = ToolArgumentParser(prog="qnn-compile", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="an ONNX/QONNX file (Brevitas export_qonnx)")
    parser.add_argument("-o", "--output", required=True, help="build directory")
    parser.add_argument("--board", default="pynq-z1",
                        help="target board (default pynq-z1): " + known_boards())
    folding = parser.add_mutually_exclusive_group()
    folding.add_argument("--folding", metavar="F.json",
                         help='PE/SIMD per layer name: {"layer": {"PE": 16, "SIMD": 49}}')
    folding.add_argument("--target-fps", type=number_or_text(float),
                         help="fold automatically for this many frames/s at the board clock")
    parser.add_argument("--budget", metavar="SHARE",
                        help="share of the board the design may use: a fraction for every "
                        "resource (0.5) or per resource (lut=0.7,bram=0.8,dsp=0.8, the "
                        "default)")
    parser.add_argument("--check-images", type=number_or_text(int),
                        help="inputs for the C simulation check (default: 1000, fewer for a "
                        "model of more than 20 M multiply-accumulates per image, at least 100)")
    parser.add_argument("--skip-csim", action="store_true",
                        help="stop after writing the HLS project (no g++ build, no check)")
    args = parser.parse_args(argv)

    def body() -> int:
        from qnn_mlir.compiler import CompileOptions, check_options, compile_model

        options = CompileOptions(args.board, args.folding, args.target_fps, args.budget,
                                 args.check_images, skip_csim=args.skip_csim)
        check_options(options)  # a bad option fails before any work
        print(compile_model(args.model, args.output, options).text())
        return 0

    run_tool("qnn-compile", body)


if __name__ == "__main__":
    main()
