#!/usr/bin/env python3
"""Benchmark the front end: ONNX import time and interpreter time per image.

    .venv/bin/python tools/bench_frontend.py [--repeats 5]

For TFC-w1a1 and CNV-w1a1 (bnn_pynq, random weights, legacy exporter) it prints
the median over repeats of: import (qnn-translate's work, in process), the
reference interpreter per image on a batch, and qonnx execute_onnx per image
for comparison. Timings, not assertions: this is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from export_bnn_pynq import export_config, input_shape
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    from qnn_mlir.frontend.onnx_importer import import_onnx
    from qnn_mlir.interpreter import run_module

    rng = np.random.default_rng(0)
    print(f"{'model':<10} {'import':>10} {'interp/img':>12} {'batch':>6} {'qonnx/img':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for config, batch in (("tfc_1w1a", 1000), ("cnv_1w1a", 100)):
            path = export_config(config, os.path.join(tmp, f"{config}.onnx"), "legacy")
            import_time = median_seconds(lambda p=path: import_onnx(p), args.repeats)
            module = import_onnx(path)
            images = rng.uniform(0, 1, size=(batch, *input_shape(config)[1:])).astype(np.float32)
            run_time = median_seconds(lambda m=module, x=images: run_module(m, [x]), args.repeats)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = ModelWrapper(path).transform(InferShapes())
                name = model.graph.input[0].name
                sample = 10
                def run_qonnx(model=model, name=name, images=images, sample=sample):
                    for i in range(sample):
                        execute_onnx(model, {name: images[i:i + 1]})

                qonnx_time = median_seconds(run_qonnx, max(1, args.repeats // 2)) / sample
            print(f"{config:<10} {import_time * 1e3:>8.0f} ms {run_time / batch * 1e6:>9.0f} us"
                  f" {batch:>6} {qonnx_time * 1e3:>8.1f} ms")


if __name__ == "__main__":
    main()
