"""C-simulation throughput of TFC-w1a1 on one core: images/s through CSimModel.run.

    .venv/bin/python tools/bench_csim.py [--images 10000] [--runs 5] [--core 0] [--portable]
                                         [--variant bipolar|float|both] [--folding finn|ones|both]

Builds the FINN TFC-w1a1 accelerator (784-64-64-64-10, binary MVAUs) with
seeded random weights and thresholds as a dataflow module, compiles its C
simulation (cached) and times `CSimModel.run` on a batch, end to end: the
Python packing of the inputs, the C++ kernel and the unpacking of the
outputs. Two variants:

* `bipolar`: the input arrives as a bipolar stream (SIMD elements per word);
* `float`: f32 pixels go through an input thresholding layer first.

Two foldings: `finn`, FINN's (PE, SIMD) = (16, 49), (8, 8), (8, 8), (10, 8)
with an input thresholding of PE 49, and `ones`, PE = SIMD = 1 everywhere (one
element per word, the most cycles). With `--folding both` each variant also
prints the ratio finn / ones of the two rates: the C simulation fast path
(include/qnn/mvau_unfolded.h) does not follow the folded schedule, so the
ratio stays small.

The process is pinned to one core; each measurement is the median of `runs`
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
from dataclasses import dataclass

import numpy as np

from qnn_mlir.backends.hls.csim import CSimModel
from qnn_mlir.diagnostics import parse_module_text
from qnn_mlir.dialects import make_context
from qnn_mlir.interpreter import run_module

SIZES = (784, 64, 64, 64, 10)


@dataclass(frozen=True)
class Folding:
    """(PE, SIMD) per MVAU and the PE of the float input thresholding."""

    mvaus: tuple[tuple[int, int], ...]
    input_pe: int


FOLDINGS = {
    # FINN's notebook; the input thresholding's PE is the first MVAU's SIMD (no width converter)
    "finn": Folding(((16, 49), (8, 8), (8, 8), (10, 8)), 49),
    "ones": Folding(((1, 1),) * 4, 1),  # one element per word
}


def _stream(channels: int, element_type: str, fold: int) -> str:
    return f"!dataflow.stream<1x{channels}x{element_type}, {fold}>"


def _dense(values: np.ndarray, element_type: str) -> str:
    shape = "x".join(str(d) for d in values.shape)
    return f"dense<{values.tolist()}> : tensor<{shape}x{element_type}>"


def tfc_module(float_input: bool, folding: Folding = FOLDINGS["finn"], seed: int = 0) -> str:
    """The TFC-w1a1 accelerator as dataflow-form text, with seeded random parameters
    (the same for every folding)."""
    rng = np.random.default_rng(seed)
    input_pe = folding.input_pe
    in_type, in_fold = (("f32", input_pe) if float_input
                        else ("!quant.bipolar", folding.mvaus[0][1]))
    lines, value = [], "%in"
    current = _stream(SIZES[0], in_type, in_fold)

    def emit(text: str, result_type: str) -> None:
        nonlocal value, current
        lines.append(f"    %v{len(lines)} = {text} : {current} -> {result_type}")
        value, current = f"%v{len(lines) - 1}", result_type

    if float_input:
        thresholds = (rng.integers(-8, 9, size=(SIZES[0], 1)) / 8).astype(np.float32)
        emit(f"dataflow.thresholding {value} PE {input_pe} "
             f"{{thresholds = {_dense(thresholds, 'f32')}, out_bias = 0}}",
             _stream(SIZES[0], "!quant.bipolar", input_pe))
    fold = input_pe if float_input else in_fold
    for layer, (pe, simd) in enumerate(folding.mvaus):
        mw, mh = SIZES[layer], SIZES[layer + 1]
        if fold != simd:  # a width converter, as dataflow-insert-dwc would place it
            emit(f"dataflow.dwc {value}", _stream(mw, "!quant.bipolar", simd))
        attrs = ["xnor", f"weights = {_dense(rng.integers(0, 2, size=(mw, mh)), 'i1')}"]
        last = layer == len(folding.mvaus) - 1
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


@dataclass(frozen=True)
class Rate:
    """Median images/s end to end, and the median microseconds per image of the Python
    packing of the inputs alone (part of every run)."""

    images_per_s: float
    packing_us: float


def bench(float_input: bool, folding: Folding, images: int, runs: int, check: int,
          portable: bool = False) -> Rate:
    """Medians of `runs` timed CSimModel.run calls on a batch of `images`."""
    module = parse_module_text(make_context(), tfc_module(float_input, folding), "tfc.mlir")
    model = CSimModel.from_module(module, portable=portable)
    x = random_images(float_input, images, np.random.default_rng(1))
    if check:
        (expected,) = run_module(module, [x[:check]])
        if not np.array_equal(model.predict(x[:check]), expected):
            raise SystemExit("error: the C simulation differs from the interpreter")
    model.run(x)  # warm-up: page in the library and the buffers
    rates, packing = [], []
    for _ in range(runs):
        start = time.perf_counter()
        model.run(x)
        rates.append(images / (time.perf_counter() - start))
        start = time.perf_counter()
        for spec in model.inputs:
            spec.pack(x)
        packing.append((time.perf_counter() - start) / images * 1e6)
    return Rate(statistics.median(rates), statistics.median(packing))


def main() -> None:
    """Parse the options, pin to one core and print images/s per variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000, help="batch size (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin to (default 0)")
    parser.add_argument("--check", type=int, default=200,
                        help="images checked against the interpreter first (default 200)")
    parser.add_argument("--variant", choices=("bipolar", "float", "both"), default="both")
    parser.add_argument("--folding", choices=(*FOLDINGS, "both"), default="finn",
                        help="FINN's folding, PE = SIMD = 1, or both and their ratio "
                             "(default finn)")
    parser.add_argument("--portable", action="store_true",
                        help="no C-simulation fast paths (-DQNN_PORTABLE_CSIM)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.core})
    variants = ("bipolar", "float") if args.variant == "both" else (args.variant,)
    foldings = tuple(FOLDINGS) if args.folding == "both" else (args.folding,)
    path = ", portable" if args.portable else ""
    for variant in variants:
        rates = {}
        for folding in foldings:
            rate = bench(variant == "float", FOLDINGS[folding], args.images, args.runs,
                         args.check, args.portable)
            rates[folding] = rate.images_per_s
            print(f"TFC-w1a1 {variant:7s} input, folding {folding:4s}: "
                  f"{rate.images_per_s:10,.0f} images/s, {1e6 / rate.images_per_s:6.2f} us/image"
                  f" of which input packing {rate.packing_us:5.2f} (median of {args.runs}, "
                  f"batch {args.images}, core {args.core}{path})")
        if len(rates) == 2:
            print(f"TFC-w1a1 {variant:7s} input: finn / ones = "
                  f"{rates['finn'] / rates['ones']:.2f}")


if __name__ == "__main__":
    main()
