"""qnn-mlir: an MLIR-style compiler for quantized neural networks on FPGAs."""

__version__ = "0.1.0"
