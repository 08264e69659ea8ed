// CNV: 8-bit signed input quantizer, six 3x3 convolutions, two max pools,
// three fully connected layers and the TensorNorm tail.
// RUN: %python %tools/export_bnn_pynq.py cnv_1w1a --exporter legacy -o %t.onnx
// RUN: qnn-translate --import-onnx %t.onnx | filecheck %s

// CHECK-LABEL: func.func @main(%input: tensor<1x3x32x32xf32>) -> tensor<1x10xf32>
// CHECK:       quant.int_quant {{.*}} {bitwidth = 8 : i64, signed = true, narrow = false} : (tensor<1x3x32x32xf32>
// CHECK:       quant.conv {{.*}} {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<64x3x3x3xf32>) -> tensor<1x64x30x30xf32>
// CHECK:       quant.batchnorm {{.*}} {epsilon = 1.000000e-04 : f32} : {{.*}} -> tensor<1x64x30x30xf32>
// CHECK:       quant.bipolar_quant
// CHECK:       quant.conv {{.*}} -> tensor<1x64x28x28xf32>
// CHECK:       quant.maxpool {{.*}} {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x64x28x28xf32>) -> tensor<1x64x14x14xf32>
// CHECK:       quant.conv {{.*}} -> tensor<1x128x12x12xf32>
// CHECK:       quant.conv {{.*}} -> tensor<1x128x10x10xf32>
// CHECK:       quant.maxpool {{.*}} -> tensor<1x128x5x5xf32>
// CHECK:       quant.conv {{.*}} -> tensor<1x256x3x3xf32>
// CHECK:       quant.conv {{.*}} -> tensor<1x256x1x1xf32>
// CHECK:       quant.reshape {{.*}} : (tensor<1x256x1x1xf32>) -> tensor<1x256xf32>
// CHECK:       quant.matmul {{.*}} -> tensor<1x512xf32>
// CHECK:       quant.matmul {{.*}} -> tensor<1x512xf32>
// CHECK:       quant.matmul {{.*}} -> tensor<1x10xf32>
// CHECK:       func.return
