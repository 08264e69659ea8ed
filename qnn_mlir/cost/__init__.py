"""Cost models of the streaming hardware: cycles per frame, resources, boards.

Everything is read from the dataflow ops' properties and stream types (see
docs/dialects/dataflow.md, "Cost model implied by the ops"); the formulas are
FINN's (the FINN and FINN-R papers). `cycles` gives cycles and throughput, `folding` FINN's
automatic folding on top of it, `resources` memory and LUT estimates, and
`boards` the target boards.
"""
