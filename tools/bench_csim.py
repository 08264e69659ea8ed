"""C-simulation throughput of TFC-w1a1 on one core: images/s through CSimModel.run.

    .venv/bin/python tools/bench_csim.py [--images 10000] [--runs 5] [--core 0] [--portable]

Builds the FINN TFC-w1a1 accelerator (784-64-64-64-10, binary MVAUs folded
(PE, SIMD) = (16, 49), (8, 8), (8, 8), (10, 8)) with seeded random weights and
thresholds as a dataflow module, compiles its C simulation (cached) and times
`CSimModel.run` on a batch, end to end: the Python packing of the inputs,
the C++ kernel and the unpacking of the outputs. Two variants:

* `bipolar`: the input arrives as a bipolar stream (49 elements per word);
* `float`: f32 pixels go through an input thresholding layer (PE 49) first.

The process is pinned to one core; each variant prints the median of `runs`
timed runs (after one warm-up run). Before timing, the first `--check` images
are compared with the reference interpreter, bit for bit. `--portable`
times the code synthesis sees, without the C-simulation fast paths
(-DQNN_PORTABLE_CSIM, include/qnn/types.h). A benchmark, not a test: it
asserts nothing about the speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from qnn_mlir.backends.hls.csim import CSimModel
from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.interpreter import run_module

SIZES = (784, 64, 64, 64, 10)
FOLDING = ((16, 49), (8, 8), (8, 8), (10, 8))  # (PE, SIMD) per MVAU, as in FINN's notebook
INPUT_PE = 49  # the float input thresholding's PE: the first MVAU's SIMD, so no width converter


def _stream(channels: int, element_type: str, fold: int) -> str:
    return f"!dataflow.stream<1x{channels}x{element_type}, {fold}>"


def _dense(values: np.ndarray, element_type: str) -> str:
    shape = "x".join(str(d) for d in values.shape)
    return f"dense<{values.tolist()}> : tensor<{shape}x{element_type}>"


def tfc_module(float_input: bool, seed: int = 0) -> str:
    """The TFC-w1a1 accelerator as dataflow-form text, with seeded random parameters."""
    rng = np.random.default_rng(seed)
    in_type, in_fold = ("f32", INPUT_PE) if float_input else ("!quant.bipolar", FOLDING[0][1])
    lines, value = [], "%in"
    current = _stream(SIZES[0], in_type, in_fold)

    def emit(text: str, result_type: str) -> None:
        nonlocal value, current
        lines.append(f"    %v{len(lines)} = {text} : {current} -> {result_type}")
        value, current = f"%v{len(lines) - 1}", result_type

    if float_input:
        thresholds = (rng.integers(-8, 9, size=(SIZES[0], 1)) / 8).astype(np.float32)
        emit(f"dataflow.thresholding {value} PE {INPUT_PE} "
             f"{{thresholds = {_dense(thresholds, 'f32')}, out_bias = 0}}",
             _stream(SIZES[0], "!quant.bipolar", INPUT_PE))
    fold = INPUT_PE if float_input else in_fold
    for layer, (pe, simd) in enumerate(FOLDING):
        mw, mh = SIZES[layer], SIZES[layer + 1]
        if fold != simd:  # a width converter, as dataflow-insert-dwc would place it
            emit(f"dataflow.dwc {value}", _stream(mw, "!quant.bipolar", simd))
        attrs = ["xnor", f"weights = {_dense(rng.integers(0, 2, size=(mw, mh)), 'i1')}"]
        last = layer == len(FOLDING) - 1
        if not last:  # a bipolar output: popcount thresholds around half the fan-in
            popcount = rng.integers(mw // 2 - 4, mw // 2 + 5, size=(mh, 1))
            attrs.append(f"thresholds = {_dense(popcount, 'i32')}")
        out_type = "ui10" if last else "!quant.bipolar"
        emit(f"dataflow.mvau {value} MW {mw} MH {mh} SIMD {simd} PE {pe} "
             f"{{{', '.join(attrs)}}}", _stream(mh, out_type, pe))
        fold = pe
    in_tensor = f"tensor<1x{SIZES[0]}x{in_type}>"
    out_tensor = f"tensor<1x{SIZES[-1]}xui10>"
    return (f"func.func @main(%x: {in_tensor}) -> {out_tensor} {{\n"
            f"  %y = dataflow.accelerator @tfc(%x) : ({in_tensor}) -> {out_tensor} {{\n"
            f"  ^bb0(%in: {_stream(SIZES[0], in_type, in_fold)}):\n" + "\n".join(lines)
            + f"\n    dataflow.yield {value} : {current}\n  }}\n"
            f"  func.return %y : {out_tensor}\n}}\n")


def random_images(float_input: bool, count: int, rng: np.random.Generator) -> np.ndarray:
    """A batch of inputs: f32 on a 1/8 grid (ties with the thresholds included), or +-1."""
    if float_input:
        return (rng.integers(-12, 13, size=(count, SIZES[0])) / 8).astype(np.float32)
    return rng.choice(np.array([-1, 1]), size=(count, SIZES[0]))


def bench(float_input: bool, images: int, runs: int, check: int, portable: bool = False
          ) -> float:
    """Median images/s of `runs` timed CSimModel.run calls on a batch of `images`."""
    module = parse_module_text(make_context(), tfc_module(float_input), "tfc.mlir")
    model = CSimModel.from_module(module, portable=portable)
    x = random_images(float_input, images, np.random.default_rng(1))
    if check:
        (expected,) = run_module(module, [x[:check]])
        if not np.array_equal(model.predict(x[:check]), expected):
            raise SystemExit("error: the C simulation differs from the interpreter")
    model.run(x)  # warm-up: page in the library and the buffers
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        model.run(x)
        rates.append(images / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    """Parse the options, pin to one core and print images/s per variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000, help="batch size (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin to (default 0)")
    parser.add_argument("--check", type=int, default=200,
                        help="images checked against the interpreter first (default 200)")
    parser.add_argument("--variant", choices=("bipolar", "float", "both"), default="both")
    parser.add_argument("--portable", action="store_true",
                        help="no C-simulation fast paths (-DQNN_PORTABLE_CSIM)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.core})
    variants = ("bipolar", "float") if args.variant == "both" else (args.variant,)
    for variant in variants:
        rate = bench(variant == "float", args.images, args.runs, args.check, args.portable)
        path = ", portable" if args.portable else ""
        print(f"TFC-w1a1 {variant:7s} input: {rate:10,.0f} images/s "
              f"(median of {args.runs}, batch {args.images}, core {args.core}{path})")


if __name__ == "__main__":
    main()
