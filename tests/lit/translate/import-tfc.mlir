// Import of bnn_pynq TFC (legacy exporter: Transpose+MatMul, folded into the
// quantized weights by qonnx cleanup) and of TFC-2w2a (IntQuant instead of BipolarQuant).
// RUN: %python %tools/export_bnn_pynq.py tfc_1w1a --exporter legacy -o %t.w1a1.onnx
// RUN: qnn-translate --import-onnx %t.w1a1.onnx | filecheck %s --check-prefix=W1A1
// RUN: %python %tools/export_bnn_pynq.py tfc_2w2a --exporter legacy -o %t.w2a2.onnx
// RUN: qnn-translate --import-onnx %t.w2a2.onnx | qnn-opt | filecheck %s --check-prefix=W2A2

// W1A1-LABEL: func.func @main(%input: tensor<1x1x28x28xf32>) -> tensor<1x10xf32>
// W1A1:       %[[FLAT:.*]] = quant.reshape %input : (tensor<1x1x28x28xf32>) -> tensor<1x784xf32>
// W1A1:       %[[MUL:.*]] = quant.mul %[[FLAT]], %{{.*}} : (tensor<1x784xf32>, tensor<f32>) -> tensor<1x784xf32>
// W1A1:       %[[SUB:.*]] = quant.sub %[[MUL]], %{{.*}}
// W1A1:       %[[A0:.*]] = quant.bipolar_quant %[[SUB]], %{{.*}} : (tensor<1x784xf32>, tensor<1xf32>) -> tensor<1x784xf32>
// W1A1:       %[[MM0:.*]] = quant.matmul %[[A0]], %{{.*}} : (tensor<1x784xf32>, tensor<784x64xf32>) -> tensor<1x64xf32>
// W1A1:       %[[BN0:.*]] = quant.batchnorm %[[MM0]], {{.*}} -> tensor<1x64xf32>
// W1A1:       %[[A1:.*]] = quant.bipolar_quant %[[BN0]]
// W1A1:       quant.matmul %[[A1]], {{.*}} -> tensor<1x64xf32>
// W1A1:       quant.batchnorm
// W1A1:       quant.bipolar_quant
// W1A1:       quant.matmul {{.*}} -> tensor<1x64xf32>
// W1A1:       quant.batchnorm
// W1A1:       quant.bipolar_quant
// W1A1:       %[[LOGITS:.*]] = quant.matmul {{.*}} : (tensor<1x64xf32>, tensor<64x10xf32>) -> tensor<1x10xf32>
// TensorNorm tail: (x - mean) / sqrt(var + eps) * weight + bias, Pow folded to a constant
// W1A1:       %[[TN0:.*]] = quant.sub %[[LOGITS]]
// W1A1:       %[[TN1:.*]] = quant.div %[[TN0]]
// W1A1:       %[[TN2:.*]] = quant.mul %[[TN1]]
// W1A1:       %[[TN3:.*]] = quant.add %[[TN2]]
// W1A1:       func.return %[[TN3]] : tensor<1x10xf32>
// W1A1-NOT:   quant.transpose
// W1A1-NOT:   quant.pow

// W2A2-LABEL: func.func @main
// W2A2:       quant.int_quant %{{.*}} {bitwidth = 2 : i64, signed = true, narrow = true} : (tensor<784x64xf32>
// W2A2:       quant.int_quant %{{.*}} {bitwidth = 2 : i64, signed = true, narrow = true} : (tensor<1x784xf32>
// W2A2:       quant.matmul
// W2A2-NOT:   quant.bipolar_quant
