"""qnn_runtime: the host side of a qnn-mlir accelerator, on a PYNQ board or in simulation.

Dependencies: numpy, and pynq on the board. Nothing here imports the compiler:
the compiler imports this package (its stream packing is `packing.py`), and
`qnn-translate --to-pynq` copies it into every deployment package.

    datatypes.py    the element datatypes of ports: bipolar, binary, intN, uintN, float32
    packing.py      stream words <-> numpy arrays (FINN's layout), vectorized
    host_ops.py     numpy semantics of the ops the host runs (the generated host code calls them)
    manifest.py     the port manifest (manifest.json) of a deployment package
    accelerator.py  Accelerator: a batch through the AXI DMA of an overlay, or a simulation
    simulation.py   the simulation device: the same bytes through the compiled C simulation
"""
