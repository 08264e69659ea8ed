// qnn/layers.h - the qnn-mlir HLS layer library: every layer template.
//
// Written for qnn-mlir from the math of FINN-style streaming layers (see each
// header); the generated top function includes this one header.
#ifndef QNN_LAYERS_H
#define QNN_LAYERS_H

#include "qnn/dwc.h"
#include "qnn/label_select.h"
#include "qnn/mvau.h"
#include "qnn/thresholding.h"

#endif  // QNN_LAYERS_H
