"""The layer ops of the `dataflow` dialect, one file per op, on one interface.

`interface.py` defines `LayerOp`, the interface every streaming layer
implements (streams, folding, cycles, resources, semantics, HLS lowering),
and `StreamLayerOp`, its one-input one-output form. Each other file is one
layer kind with everything about it: `mvau`, `thresholding`, `label_select`,
`dwc`, the feature-map layers `sliding_window`, `pad` and `maxpool` (their shared
shape rules: `feature_map.py`) and the `reshape` view (see
docs/dialects/dataflow.md and docs/adding-a-layer.md).

The verifier checks each layer on its own. Whether the stream a layer reads
has the fold it reads is a property of the pair producer/consumer, checked
by `check_stream_widths` (dataflow.py) once `dataflow-insert-dwc` has run.
"""

from qnn_mlir.dialects.dataflow_layers.dwc import DWCOp
from qnn_mlir.dialects.dataflow_layers.interface import (
    FoldingParameter,
    HLSCall,
    LayerOp,
    StreamLayerOp,
    cxx_prefix,
    layer_classes,
)
from qnn_mlir.dialects.dataflow_layers.label_select import LabelSelectOp
from qnn_mlir.dialects.dataflow_layers.maxpool import MaxPoolOp
from qnn_mlir.dialects.dataflow_layers.mvau import MVAUOp
from qnn_mlir.dialects.dataflow_layers.pad import PadOp
from qnn_mlir.dialects.dataflow_layers.reshape import ReshapeOp
from qnn_mlir.dialects.dataflow_layers.sliding_window import SlidingWindowOp
from qnn_mlir.dialects.dataflow_layers.thresholding import ThresholdingOp

__all__ = ["DWCOp", "FoldingParameter", "HLSCall", "LabelSelectOp", "LayerOp", "MVAUOp",
           "MaxPoolOp", "PadOp", "ReshapeOp", "SlidingWindowOp", "StreamLayerOp",
           "ThresholdingOp", "cxx_prefix", "layer_classes"]
