// RUN: qnn-opt %s -p quant-to-integer | filecheck %s

// Bipolar weights become si2 levels; a bipolar activation becomes a float
// multithreshold with an exact threshold at 0.0 and a !quant.bipolar result;
// the matmul of the two is an exact integer accumulator (3 inputs: [-3, 3]).
// CHECK-LABEL: func.func @bipolar_layer
// CHECK-SAME:  (%[[X:.*]]: tensor<1x3xf32>)
// CHECK:       %[[T:.*]] = arith.constant dense<0.000000e+00> : tensor<1x1xf32>
// CHECK:       %[[A:.*]] = quant.multithreshold %[[X]], %[[T]] {out_scale = 2.000000e+00 : f64, out_bias = -1.000000e+00 : f64, out_dtype = "BIPOLAR"} : (tensor<1x3xf32>, tensor<1x1xf32>) -> tensor<1x3x!quant.bipolar>
// CHECK:       %[[W:.*]] = arith.constant dense<{{\[}}[1, -1], [-1, 1], [1, 1]]> : tensor<3x2xsi2>
// CHECK:       %[[ACC:.*]] = quant.matmul %[[A]], %[[W]] : (tensor<1x3x!quant.bipolar>, tensor<3x2xsi2>) -> tensor<1x2xsi3>
// The function returns floats: the integer-to-float edge is an explicit multiplication.
// CHECK-NEXT:  %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<1x1xf32>
// CHECK-NEXT:  %[[F:.*]] = quant.mul %[[ACC]], %[[ONE]] : (tensor<1x2xsi3>, tensor<1x1xf32>) -> tensor<1x2xf32>
// CHECK-NEXT:  func.return %[[F]] : tensor<1x2xf32>
func.func @bipolar_layer(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %a = quant.bipolar_quant %x, %one : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %w = arith.constant dense<[[0.3, -0.2], [-0.7, 0.1], [0.0, 2.0]]> : tensor<3x2xf32>
  %wq = quant.bipolar_quant %w, %one : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
  %y = quant.matmul %a, %wq : (tensor<1x3xf32>, tensor<3x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// A 2-bit unsigned activation with scale 0.5 (levels 0..3): three thresholds at
// the rounding midpoints 0.25, 0.75, 1.25 (ROUND is half to even: 0.25 / 0.5 =
// 0.5 rounds to 0 and 1.25 / 0.5 = 2.5 to 2, so those steps are the floats
// just above 0.25 and 1.25, while 0.75 / 0.5 = 1.5 rounds up to 2), an ui2
// result, then the scale as a float mul. Per-channel 2-bit weights with scales
// (1, 2) keep their levels; the scales multiply the accumulator.
// CHECK-LABEL: func.func @int_layer
// CHECK:       %[[T:.*]] = arith.constant dense<{{\[\[}}0.25000003, 7.500000e-01, 1.25000012]]> : tensor<1x3xf32>
// CHECK:       %[[A:.*]] = quant.multithreshold %{{.*}}, %[[T]] {out_dtype = "UINT2"} : (tensor<1x2xf32>, tensor<1x3xf32>) -> tensor<1x2xui2>
// CHECK:       %[[W:.*]] = arith.constant dense<{{\[}}[1, -1], [-1, 1]]> : tensor<2x2xsi2>
// CHECK:       %[[ACC:.*]] = quant.matmul %[[A]], %[[W]] : (tensor<1x2xui2>, tensor<2x2xsi2>) -> tensor<1x2xsi3>
// CHECK:       %[[S:.*]] = arith.constant dense<{{\[}}[5.000000e-01, 1.000000e+00]]> : tensor<1x2xf32>
// CHECK:       %[[Y:.*]] = quant.mul %[[ACC]], %[[S]] : (tensor<1x2xsi3>, tensor<1x2xf32>) -> tensor<1x2xf32>
// CHECK:       func.return %[[Y]]
func.func @int_layer(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %a = quant.int_quant %x, %s, %zero {bitwidth = 2 : i64, signed = false, narrow = false} : (tensor<1x2xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2xf32>
  %w = arith.constant dense<[[1.0, -2.0], [-1.0, 2.0]]> : tensor<2x2xf32>
  %ws = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %wq = quant.int_quant %w, %ws, %zero {bitwidth = 2 : i64, signed = true, narrow = true} : (tensor<2x2xf32>, tensor<1x2xf32>, tensor<f32>) -> tensor<2x2xf32>
  %y = quant.matmul %a, %wq : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// Weights quantized in the exporter's (out, in) layout and then transposed:
// the levels are transposed into the matmul's (in, out) layout.
// CHECK-LABEL: func.func @transposed_weights
// CHECK:       %[[W:.*]] = arith.constant dense<{{\[}}[1, -1], [1, 1], [-1, 1]]> : tensor<3x2xsi2>
// CHECK:       quant.matmul %{{.*}}, %[[W]] : (tensor<1x3x!quant.bipolar>, tensor<3x2xsi2>) -> tensor<1x2xsi3>
// CHECK-NOT:   quant.transpose
func.func @transposed_weights(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %a = quant.bipolar_quant %x, %one : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %w = arith.constant dense<[[1.0, 1.0, -1.0], [-1.0, 1.0, 1.0]]> : tensor<2x3xf32>
  %wq = quant.bipolar_quant %w, %one : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %wt = quant.transpose %wq {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %y = quant.matmul %a, %wt : (tensor<1x3xf32>, tensor<3x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// An input quantizer, then x.view(1, -1), then a layer: the scale moves across the
// view (exact for a positive scalar), so the layer's matmul sees integers and
// carries both scales behind it (0.5 * 0.5).
// CHECK-LABEL: func.func @quantize_then_view
// CHECK:       %[[Q:.*]] = quant.multithreshold %x, %{{.*}} {out_bias = -8.000000e+00 : f64, out_dtype = "INT4"} : (tensor<1x1x2x2xf32>, tensor<1x15xf32>) -> tensor<1x1x2x2xsi4>
// CHECK-NEXT:  %[[V:.*]] = quant.reshape %[[Q]] : (tensor<1x1x2x2xsi4>) -> tensor<1x4xsi4>
// CHECK-NEXT:  %[[W:.*]] = arith.constant dense<{{\[}}[2, -2], [1, 0], [-1, 3], [2, 2]]> : tensor<4x2xsi3>
// CHECK-NEXT:  %[[ACC:.*]] = quant.matmul %[[V]], %[[W]] : (tensor<1x4xsi4>, tensor<4x2xsi3>) -> tensor<1x2xsi7>
// CHECK-NEXT:  %[[S:.*]] = arith.constant dense<2.500000e-01> : tensor<1x1xf32>
// CHECK-NEXT:  %{{.*}} = quant.mul %[[ACC]], %[[S]]
func.func @quantize_then_view(%x: tensor<1x1x2x2xf32>) -> tensor<1x2xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %q = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x1x2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<1x1x2x2xf32>
  %view = quant.reshape %q : (tensor<1x1x2x2xf32>) -> tensor<1x4xf32>
  %w = arith.constant dense<[[1.0, -1.0], [0.5, 0.0], [-0.5, 1.5], [1.0, 1.0]]> : tensor<4x2xf32>
  %ws = arith.constant dense<0.5> : tensor<f32>
  %wq = quant.int_quant %w, %ws, %z {bitwidth = 3 : i64, signed = true, narrow = true} : (tensor<4x2xf32>, tensor<f32>, tensor<f32>) -> tensor<4x2xf32>
  %fc = quant.matmul %view, %wq : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32>
  func.return %fc : tensor<1x2xf32>
}

// A per-tensor scale written with the tensor's rank (1x1x1x1) gives one shared row of
// thresholds; the rescaled value keeps the quantizer's name.
// CHECK-LABEL: func.func @rank4_per_tensor_scale
// CHECK-NEXT:  %[[T:.*]] = arith.constant dense<{{\[}}[0.25000003, 7.500000e-01, 1.25000012]]> : tensor<1x3xf32>
// CHECK-NEXT:  %[[Q:.*]] = quant.multithreshold %x, %[[T]] {out_dtype = "UINT2"} : (tensor<1x2x1x1xf32>, tensor<1x3xf32>) -> tensor<1x2x1x1xui2>
// CHECK-NEXT:  %[[S:.*]] = arith.constant dense<5.000000e-01> : tensor<1x1x1x1xf32>
// CHECK-NEXT:  %{{.*}} = quant.mul %[[Q]], %[[S]]
func.func @rank4_per_tensor_scale(%x: tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32> {
  %s = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %q = quant.int_quant %x, %s, %z {bitwidth = 2 : i64, signed = false, narrow = false} : (tensor<1x2x1x1xf32>, tensor<1x1x1x1xf32>, tensor<f32>) -> tensor<1x2x1x1xf32>
  func.return %q : tensor<1x2x1x1xf32>
}
