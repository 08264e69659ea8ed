"""The PYNQ back end: the deployment package of a module in HLS form.

* `host_code.emit_host_code(module)`: the host part of the model (the ops of `@main`
  around the accelerator call) as a generated numpy module, `model.py`, whose
  `forward(accelerator, ...)` computes bit for bit what `qnn-run --csim` computes;
* `deploy.py`: the whole package `qnn-translate --to-pynq` writes.
"""

from qnn_mlir.backends.pynq.host_code import HostCode, emit_host_code

__all__ = ["HostCode", "emit_host_code"]
