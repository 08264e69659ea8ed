#!/usr/bin/env python3
"""The main job on the bundled model: import it, print its IR and its reference outputs.

    make demo            (or: .venv/bin/python tools/demo.py [model.onnx])

Imports examples/tfc_w1a1_random.onnx (a bnn_pynq TFC-w1a1 with seeded random
weights), prints the quant-dialect IR (large weight constants elided for
reading), runs the reference interpreter on Fashion-MNIST test images and
checks a sample of them against qonnx's execute_onnx.
"""

from __future__ import annotations

import os
import re
import sys
import time
import warnings

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = os.path.join(REPO, "examples", "tfc_w1a1_random.onnx")


def elide_large_constants(text: str, limit: int = 80) -> str:
    """Shorten hex dense constants for display (the file form keeps them whole)."""
    def shorten(match: re.Match) -> str:
        digits = match.group(1)
        return f'dense<"0x{digits[:16]}...({len(digits) // 2} bytes)">'
    return re.sub(rf'dense<"0x([0-9A-F]{{{limit},}})">', shorten, text)


def main() -> int:
    from qnn_mlir.datasets import fashion_mnist
    from qnn_mlir.diagnostics import QnnError
    from qnn_mlir.frontend.onnx_importer import import_onnx
    from qnn_mlir.interpreter import run_module
    from qnn_mlir.tools.qnn_translate import module_to_text

    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL
    start = time.perf_counter()
    try:
        module = import_onnx(path)
    except QnnError as error:
        print(error, file=sys.stderr)
        return 1
    import_seconds = time.perf_counter() - start
    print(f"== quant-dialect IR of {os.path.relpath(path, REPO)} "
          f"(imported in {import_seconds:.2f} s; weight constants elided) ==")
    print(elide_large_constants(module_to_text(module)))

    images, labels = fashion_mnist("test")
    start = time.perf_counter()
    logits = run_module(module, [images])[0]
    run_seconds = time.perf_counter() - start
    predictions = logits.argmax(axis=1)
    print(f"== reference interpreter on the {len(images)} Fashion-MNIST test images: "
          f"{run_seconds:.2f} s ({run_seconds / len(images) * 1e6:.1f} us per image) ==")
    with np.printoptions(precision=4, suppress=True, linewidth=120):
        for index in range(3):
            print(f"image {index} (label {labels[index]}): logits {logits[index]} "
                  f"-> class {predictions[index]}")
    accuracy = float(np.mean(predictions == labels))
    print(f"top-1 accuracy {accuracy:.2%} (random weights: about chance, 10%)")

    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    sample = 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ModelWrapper(path).transform(InferShapes())
        name_in, name_out = model.graph.input[0].name, model.graph.output[0].name
        reference = np.concatenate(
            [execute_onnx(model, {name_in: images[i:i + 1]})[name_out] for i in range(sample)]
        )
    identical = np.array_equal(reference, logits[:sample])
    print(f"qonnx execute_onnx on the first {sample} images: "
          f"{'bit-identical' if identical else 'DIFFERENT'} to the interpreter")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
