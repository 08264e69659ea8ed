// RUN: qnn-opt %s -p lower-conv | filecheck %s

// A padded, strided, non-square convolution with a bias: NHWC transpose, the
// explicit zero padding ([top, left, bottom, right] = [1, 0, 1, 0]), the 3x2
// window at stride 2 (KH*KW*C = 12 elements per output pixel), a matmul with
// the 12 x 3 weight matrix, the bias on the channel axis, and back to NCHW.
// CHECK-LABEL: func.func @padded
// CHECK-SAME:  (%[[X:.*]]: tensor<1x2x5x4xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK-NEXT:  %[[T:.*]] = quant.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x5x4xf32>) -> tensor<1x5x4x2xf32>
// CHECK-NEXT:  %[[P:.*]] = quant.pad %[[T]] {pads = array<i64: 1, 0, 1, 0>} : (tensor<1x5x4x2xf32>) -> tensor<1x7x4x2xf32>
// CHECK-NEXT:  %[[S:.*]] = quant.sliding_window %[[P]] {kernel = array<i64: 3, 2>, strides = array<i64: 2, 2>} : (tensor<1x7x4x2xf32>) -> tensor<1x3x2x12xf32>
// CHECK-NEXT:  %[[W:.*]] = arith.constant {{.*}} : tensor<12x3xf32>
// CHECK-NEXT:  %[[M:.*]] = quant.matmul %[[S]], %[[W]] : (tensor<1x3x2x12xf32>, tensor<12x3xf32>) -> tensor<1x3x2x3xf32>
// CHECK-NEXT:  %[[A:.*]] = quant.add %[[M]], %[[B]] : (tensor<1x3x2x3xf32>, tensor<3xf32>) -> tensor<1x3x2x3xf32>
// CHECK-NEXT:  %[[Y:.*]] = quant.transpose %[[A]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x2x3xf32>) -> tensor<1x3x3x2xf32>
// CHECK-NEXT:  func.return %[[Y]]
// CHECK-NOT:   quant.conv
func.func @padded(%x: tensor<1x2x5x4xf32>, %b: tensor<3xf32>) -> tensor<1x3x3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<3x2x3x2xf32>
  %y = quant.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 0, 1, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x5x4xf32>, tensor<3x2x3x2xf32>, tensor<3xf32>) -> tensor<1x3x3x2xf32>
  func.return %y : tensor<1x3x3x2xf32>
}

// Weight matrix rows are in window order (kh, kw, c): row (kh*KW + kw)*C + c
// holds w[:, c, kh, kw]. Here w[m, c, kh, kw] = 1000m + 100c + 10kh + kw.
// CHECK-LABEL: func.func @row_order
// CHECK:       arith.constant dense<{{\[}}[0.000000e+00, 1.000000e+03], [1.000000e+02, 1.100000e+03], [1.000000e+00, 1.001000e+03], [1.010000e+02, 1.101000e+03], [1.000000e+01, 1.010000e+03], [1.100000e+02, 1.110000e+03], [1.100000e+01, 1.011000e+03], [1.110000e+02, 1.111000e+03]]> : tensor<8x2xf32>
func.func @row_order(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0], [10.0, 11.0]], [[100.0, 101.0], [110.0, 111.0]]], [[[1000.0, 1001.0], [1010.0, 1011.0]], [[1100.0, 1101.0], [1110.0, 1111.0]]]]> : tensor<2x2x2x2xf32>
  %y = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  func.return %y : tensor<1x2x2x2xf32>
}

// A quantizer of constant weights is rebuilt on the weight matrix: its
// per-output-channel scale (M x 1 x 1 x 1) becomes 1 x M, as a Linear layer's,
// so that quant-to-integer moves it behind the matmul. No padding, no pad op.
// CHECK-LABEL: func.func @quantized
// CHECK-NOT:   quant.pad
// CHECK:       %[[W:.*]] = arith.constant dense<5.000000e-01> : tensor<8x3xf32>
// CHECK-NEXT:  %[[S:.*]] = arith.constant dense<{{\[}}[2.500000e-01, 5.000000e-01, 1.000000e+00]]> : tensor<1x3xf32>
// CHECK-NEXT:  %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:  %[[Q:.*]] = quant.int_quant %[[W]], %[[S]], %[[Z]] {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<8x3xf32>, tensor<1x3xf32>, tensor<f32>) -> tensor<8x3xf32>
// CHECK-NEXT:  quant.matmul %{{.*}}, %[[Q]] : (tensor<1x3x3x8xf32>, tensor<8x3xf32>) -> tensor<1x3x3x3xf32>
// CHECK-NOT:   tensor<3x2x2x2xf32>
func.func @quantized(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x3x3xf32> {
  %w = arith.constant dense<0.5> : tensor<3x2x2x2xf32>
  %s = arith.constant dense<[[[[0.25]]], [[[0.5]]], [[[1.0]]]]> : tensor<3x1x1x1xf32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %wq = quant.int_quant %w, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<3x2x2x2xf32>, tensor<3x1x1x1xf32>, tensor<f32>) -> tensor<3x2x2x2xf32>
  %y = quant.conv %x, %wq {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x3x3x3xf32>
  func.return %y : tensor<1x3x3x3xf32>
}

// Computed weights get a transpose and a reshape to the same matrix.
// CHECK-LABEL: func.func @computed_weights
// CHECK:       %[[MOVED:.*]] = quant.transpose %{{.*}} {perm = array<i64: 2, 3, 1, 0>} : (tensor<4x1x1x1xf32>) -> tensor<1x1x1x4xf32>
// CHECK-NEXT:  %[[MATRIX:.*]] = quant.reshape %[[MOVED]] : (tensor<1x1x1x4xf32>) -> tensor<1x4xf32>
// CHECK-NEXT:  quant.matmul %{{.*}}, %[[MATRIX]] : (tensor<1x6x6x1xf32>, tensor<1x4xf32>) -> tensor<1x6x6x4xf32>
func.func @computed_weights(%x: tensor<1x1x6x6xf32>, %w: tensor<4x1x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %y = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x6x6xf32>, tensor<4x1x1x1xf32>) -> tensor<1x4x6x6xf32>
  func.return %y : tensor<1x4x6x6xf32>
}
