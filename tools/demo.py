#!/usr/bin/env python3
"""The main job: compile the bundled trained TFC-w1a1 and check it three ways.

    make demo            (or: .venv/bin/python tools/demo.py [--build build/tfc_w1a1])

1. qnn-compile examples/tfc_w1a1.onnx for the Pynq-Z1 as a user runs it, with
   the default folding (the fastest that fits the board's budget): import,
   passes, Vitis HLS C++, g++ C simulation, and the summary (per layer folding,
   cycles and resources, totals against the budget, frames/s);
2. top-1 accuracy on the 10,000 Fashion-MNIST test images of
   - PyTorch running the trained Brevitas model (examples/tfc_w1a1.pt),
   - the reference interpreter running the imported IR,
   - the C simulation of the emitted C++ (host ops in the interpreter);
   the three must be equal, and the two compiled outputs bit-identical.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "examples")


def pytorch_predictions(images: np.ndarray) -> np.ndarray:
    """Logits of the trained Brevitas TFC-w1a1, run by PyTorch itself."""
    import torch

    sys.path.insert(0, os.path.join(REPO, "tools"))
    from train_bnn_pynq import load_trained, predict

    model = load_trained("tfc_1w1a", os.path.join(EXAMPLES, "tfc_w1a1.pt"))
    return predict(model, torch.from_numpy(images)).numpy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(REPO, "build", "tfc_w1a1"))
    args = parser.parse_args()

    from qnn_mlir.backends.hls.csim import run_module_csim
    from qnn_mlir.compiler import CompileOptions, compile_model
    from qnn_mlir.datasets import fashion_mnist
    from qnn_mlir.diagnostics import QnnError, parse_module_file
    from qnn_mlir.dialects import make_context
    from qnn_mlir.interpreter import run_module

    model = os.path.join(EXAMPLES, "tfc_w1a1.onnx")
    options = CompileOptions(check_images=1000)
    try:
        summary = compile_model(model, args.build, options)
    except QnnError as error:
        print(error, file=sys.stderr)
        return 1
    print(summary.text())

    images, labels = fashion_mnist("test")
    ir = os.path.join(args.build, "ir")
    results = {}
    start = time.perf_counter()
    results["PyTorch (Brevitas model)"] = pytorch_predictions(images)
    timings = {"PyTorch (Brevitas model)": time.perf_counter() - start}
    start = time.perf_counter()
    imported = parse_module_file(make_context(), os.path.join(ir, "01-imported.mlir"))
    results["interpreter (imported IR)"] = run_module(imported, [images])[0]
    timings["interpreter (imported IR)"] = time.perf_counter() - start
    start = time.perf_counter()
    hls_form = parse_module_file(make_context(), os.path.join(ir, "04-hls.mlir"))
    results["C simulation (emitted C++)"] = run_module_csim(hls_form, [images])[0]
    timings["C simulation (emitted C++)"] = time.perf_counter() - start

    print(f"\n== top-1 accuracy on the {len(images)} Fashion-MNIST test images ==")
    correct = {}
    for name, logits in results.items():
        correct[name] = int(np.sum(logits.argmax(1) == labels))
        print(f"  {name:<28} {correct[name] / len(images):7.2%}  ({correct[name]} correct, "
              f"{timings[name]:.2f} s)")
    interpreter, simulated = (results["interpreter (imported IR)"],
                              results["C simulation (emitted C++)"])
    same_logits = np.array_equal(interpreter, simulated)
    print(f"  C simulation logits == interpreter logits, bit for bit: {same_logits}")
    equal = len(set(correct.values())) == 1 and same_logits
    print("  all three equal" if equal else "  MISMATCH: this is a compiler bug")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
