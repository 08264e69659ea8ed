// SFC (256 neurons) and LFC (1024 neurons), exported with the dynamo exporter:
// Gemm with transB=1 imports as transpose + matmul; weights come from a side .data file.
// RUN: %python %tools/export_bnn_pynq.py sfc_1w2a -o %t.sfc.onnx
// RUN: qnn-translate --import-onnx %t.sfc.onnx | filecheck %s --check-prefix=SFC
// RUN: %python %tools/export_bnn_pynq.py lfc_1w1a -o %t.lfc.onnx
// RUN: qnn-translate --import-onnx %t.lfc.onnx -o %t.lfc.mlir
// RUN: filecheck %s --check-prefix=LFC < %t.lfc.mlir

// SFC-LABEL: func.func @main(%x: tensor<1x1x28x28xf32>) -> tensor<1x10xf32>
// SFC:       quant.reshape %x : (tensor<1x1x28x28xf32>) -> tensor<1x784xf32>
// SFC:       quant.int_quant {{.*}} {bitwidth = 2 : i64, signed = true, narrow = true} : (tensor<1x784xf32>
// SFC:       %[[WT:.*]] = quant.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<256x784xf32>) -> tensor<784x256xf32>
// SFC:       quant.matmul %{{.*}}, %[[WT]] : (tensor<1x784xf32>, tensor<784x256xf32>) -> tensor<1x256xf32>
// SFC:       quant.batchnorm
// SFC:       quant.matmul {{.*}} -> tensor<1x256xf32>
// SFC:       quant.matmul {{.*}} -> tensor<1x256xf32>
// SFC:       quant.matmul {{.*}} : (tensor<1x256xf32>, tensor<256x10xf32>) -> tensor<1x10xf32>
// SFC:       func.return

// LFC-LABEL: func.func @main
// LFC:       quant.bipolar_quant {{.*}} -> tensor<1x784xf32>
// LFC:       quant.matmul {{.*}} : (tensor<1x784xf32>, tensor<784x1024xf32>) -> tensor<1x1024xf32>
// LFC:       quant.matmul {{.*}} : (tensor<1x1024xf32>, tensor<1024x1024xf32>) -> tensor<1x1024xf32>
// LFC:       quant.matmul {{.*}} : (tensor<1x1024xf32>, tensor<1024x1024xf32>) -> tensor<1x1024xf32>
// LFC:       quant.matmul {{.*}} : (tensor<1x1024xf32>, tensor<1024x10xf32>) -> tensor<1x10xf32>
