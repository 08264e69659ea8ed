#!/usr/bin/env python3
"""Benchmark the compiler and its C simulation on TFC-w1a1 and LFC-w1a1.

    .venv/bin/python tools/bench_compile.py [--repeats 5] [--images 10000]

Prints medians over the repeats of:
* qnn-compile up to the emitted C++: in process (import, passes, emission) and
  as a command (`qnn-compile --skip-csim`, Python start-up included);
* C simulation throughput, on one core (the process is pinned to CPU 0): the
  accelerator alone (CSimModel.run on the quantized input stream) and the whole
  model (host ops in the interpreter + the accelerator, run_module_csim);
* qonnx execute_onnx throughput on the same images, for comparison.
TFC-w1a1 is the trained example with FINN's folding; LFC-w1a1 has random
weights and is folded automatically for 100,000 frames/s. Not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))


def accelerator_input(hls_form, images):
    """The quantized stream the accelerator receives: recorded during one whole run."""
    from qnn_mlir.backends.hls.csim import CSimModel, run_module_csim

    recorded = []
    original = CSimModel.run

    def recording(self, *arrays):
        recorded.append(arrays)
        return original(self, *arrays)

    CSimModel.run = recording
    try:
        run_module_csim(hls_form, [images])
    finally:
        CSimModel.run = original
    return recorded[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--images", type=int, default=10000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    os.environ["OMP_NUM_THREADS"] = "1"

    from bench_frontend import median_seconds
    from export_bnn_pynq import export_config
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    from qnn_mlir.backends.hls.csim import CSimModel, run_module_csim
    from qnn_mlir.compiler import CompileOptions, lower_to_cpp
    from qnn_mlir.datasets import fashion_mnist

    images = fashion_mnist("test")[0][:args.images]
    qnn_compile = os.path.join(os.path.dirname(sys.executable), "qnn-compile")
    with tempfile.TemporaryDirectory() as tmp:
        lfc = export_config("lfc_1w1a", os.path.join(tmp, "lfc_1w1a.onnx"), "legacy")
        cases = [
            ("TFC-w1a1", os.path.join(REPO, "examples", "tfc_w1a1.onnx"),
             CompileOptions(folding=os.path.join(REPO, "examples", "folding_tfc_w1a1.json")),
             ["--folding", os.path.join(REPO, "examples", "folding_tfc_w1a1.json")]),
            ("LFC-w1a1", lfc, CompileOptions(target_fps=100_000), ["--target-fps", "100000"]),
        ]
        print(f"{'model':<9} {'to C++ (in process)':>20} {'qnn-compile cmd':>16} "
              f"{'csim accel img/s':>17} {'csim model img/s':>17} {'qonnx img/s':>12}")
        for name, model, options, flags in cases:
            in_process = median_seconds(lambda m=model, o=options: lower_to_cpp(m, o), args.repeats)
            command = [qnn_compile, model, "-o", os.path.join(tmp, f"b_{name}"), "--skip-csim",
                       *flags]
            cli = median_seconds(lambda c=command: subprocess.run(c, check=True,
                                                               capture_output=True),
                              args.repeats)
            lowered = lower_to_cpp(model, options)
            accel = CSimModel.from_module(lowered.stages["04-hls"])
            stream = accelerator_input(lowered.stages["04-hls"], images)
            accel_time = median_seconds(lambda a=accel, s=stream: a.run(s), args.repeats)
            whole = median_seconds(lambda h=lowered.stages["04-hls"]: run_module_csim(h, [images]),
                                args.repeats)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrapper = ModelWrapper(model).transform(InferShapes())
                name_in = wrapper.graph.input[0].name
                sample = 100
                qonnx_time = median_seconds(
                    lambda w=wrapper, n=name_in, k=sample: [execute_onnx(w, {n: images[i:i + 1]})
                                                               for i in range(k)], 3) / sample
            print(f"{name:<9} {in_process:>18.2f} s {cli:>14.2f} s "
                  f"{len(images) / accel_time:>17,.0f} {len(images) / whole:>17,.0f} "
                  f"{1 / qonnx_time:>12,.0f}")


if __name__ == "__main__":
    main()
