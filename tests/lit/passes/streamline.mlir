// RUN: qnn-opt %s -p streamline | filecheck %s

// The input quantizer absorbs its float prologue: sign(2x - 1) >= 0 <=> x >= 0.5.
// The layer's BatchNorm folds into integer thresholds on the accumulator; the
// second channel has gamma = -1, so its weight column is negated and its
// threshold is taken on -acc: y = +1 <=> -acc >= 0.
// CHECK-LABEL: func.func @layer
// CHECK-SAME:  (%[[X:.*]]: tensor<1x3xf32>)
// CHECK-NEXT:  %[[T0:.*]] = arith.constant dense<5.000000e-01> : tensor<1x1xf32>
// CHECK-NEXT:  %[[A:.*]] = quant.multithreshold %[[X]], %[[T0]] {out_scale = 2.000000e+00 : f64, out_bias = -1.000000e+00 : f64} : (tensor<1x3xf32>, tensor<1x1xf32>) -> tensor<1x3x!quant.bipolar>
// CHECK-NEXT:  %[[W:.*]] = arith.constant dense<{{\[}}[1, 1], [-1, -1], [1, -1]]> : tensor<3x2xsi2>
// CHECK-NEXT:  %[[ACC:.*]] = quant.matmul %[[A]], %[[W]] : (tensor<1x3x!quant.bipolar>, tensor<3x2xsi2>) -> tensor<1x2xsi3>
// CHECK-NEXT:  %[[T1:.*]] = arith.constant dense<0> : tensor<2x1xsi32>
// CHECK-NEXT:  %[[Y:.*]] = quant.multithreshold %[[ACC]], %[[T1]] {out_scale = 2.000000e+00 : f64, out_bias = -1.000000e+00 : f64} : (tensor<1x2xsi3>, tensor<2x1xsi32>) -> tensor<1x2x!quant.bipolar>
// CHECK-NEXT:  func.return %[[Y]]
func.func @layer(%x: tensor<1x3xf32>) -> tensor<1x2x!quant.bipolar> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %scaled = quant.mul %x, %two : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %shifted = quant.sub %scaled, %one : (tensor<1x3xf32>, tensor<1xf32>) -> tensor<1x3xf32>
  %t0 = arith.constant dense<0.0> : tensor<1x1xf32>
  %a = quant.multithreshold %shifted, %t0 {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x3xf32>, tensor<1x1xf32>) -> tensor<1x3x!quant.bipolar>
  %w = arith.constant dense<[[1, -1], [-1, 1], [1, 1]]> : tensor<3x2xsi2>
  %acc = quant.matmul %a, %w : (tensor<1x3x!quant.bipolar>, tensor<3x2xsi2>) -> tensor<1x2xsi3>
  %gamma = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %beta = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = arith.constant dense<0.0> : tensor<2xf32>
  %var = arith.constant dense<1.0> : tensor<2xf32>
  %bn = quant.batchnorm %acc, %gamma, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2xsi3>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %t1 = arith.constant dense<0.0> : tensor<1x1xf32>
  %y = quant.multithreshold %bn, %t1 {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x2xf32>, tensor<1x1xf32>) -> tensor<1x2x!quant.bipolar>
  func.return %y : tensor<1x2x!quant.bipolar>
}

// A 2-bit activation after a scale and a bias: acc * 0.5 + 0.25 >= 0.5, 1.5, 2.5
// at acc >= 1, 3, 5, searched over the si4 range [-8, 7] of the source.
// CHECK-LABEL: func.func @two_bit
// CHECK:       %[[T:.*]] = arith.constant dense<{{\[}}[1, 3, 5], [1, 3, 5]]> : tensor<2x3xsi32>
// CHECK:       quant.multithreshold %{{.*}}, %[[T]] {out_dtype = "UINT2"} : (tensor<1x2xsi4>, tensor<2x3xsi32>) -> tensor<1x2xui2>
// CHECK-NOT:   quant.add
func.func @two_bit(%acc: tensor<1x2xsi4>) -> tensor<1x2xui2> {
  %s = arith.constant dense<0.5> : tensor<1x2xf32>
  %b = arith.constant dense<0.25> : tensor<f32>
  %scaled = quant.mul %acc, %s : (tensor<1x2xsi4>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %biased = quant.add %scaled, %b : (tensor<1x2xf32>, tensor<f32>) -> tensor<1x2xf32>
  %t = arith.constant dense<[[0.5, 1.5, 2.5]]> : tensor<1x3xf32>
  %y = quant.multithreshold %biased, %t {out_dtype = "UINT2"} : (tensor<1x2xf32>, tensor<1x3xf32>) -> tensor<1x2xui2>
  func.return %y : tensor<1x2xui2>
}

// A per-channel bias in front of the input quantizer gives one row of float
// thresholds per channel, even though the quantizer's own thresholds are shared:
// x + 0.5 >= 0.5 already holds for x = -1.49e-8 in float32.
// CHECK-LABEL: func.func @per_channel_bias_on_float_input
// CHECK-NEXT:  %[[T:.*]] = arith.constant dense<{{\[}}[-1.49011612e-08, 0.99999994, 1.99999988], [1.500000e+00, 2.500000e+00, 3.500000e+00], [0.249999985, 1.250000e+00, 2.250000e+00]]> : tensor<3x3xf32>
// CHECK-NEXT:  %{{.*}} = quant.multithreshold %x, %[[T]] {out_dtype = "UINT2"} : (tensor<1x3xf32>, tensor<3x3xf32>) -> tensor<1x3xui2>
func.func @per_channel_bias_on_float_input(%x: tensor<1x3xf32>) -> tensor<1x3xui2> {
  %bias = arith.constant dense<[[0.5, -1.0, 0.25]]> : tensor<1x3xf32>
  %shifted = quant.add %x, %bias : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  %t = arith.constant dense<[[0.5, 1.5, 2.5]]> : tensor<1x3xf32>
  %y = quant.multithreshold %shifted, %t {out_dtype = "UINT2"} : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xui2>
  func.return %y : tensor<1x3xui2>
}

// A chain that goes through a view (x.view(-1, C, 1, 1)) folds into thresholds on
// the accumulator; the view moves behind the folded activation.
// CHECK-LABEL: func.func @batchnorm_after_a_view
// CHECK-NEXT:  %[[T:.*]] = arith.constant dense<{{\[}}[1], [-1]]> : tensor<2x1xsi32>
// CHECK-NEXT:  %[[A:.*]] = quant.multithreshold %acc, %[[T]] {{.*}} : (tensor<1x2xsi4>, tensor<2x1xsi32>) -> tensor<1x2x!quant.bipolar>
// CHECK-NEXT:  %[[Y:.*]] = quant.reshape %[[A]] : (tensor<1x2x!quant.bipolar>) -> tensor<1x2x1x1x!quant.bipolar>
// CHECK-NEXT:  func.return %[[Y]]
func.func @batchnorm_after_a_view(%acc: tensor<1x2xsi4>) -> tensor<1x2x1x1x!quant.bipolar> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %scaled = quant.mul %acc, %s : (tensor<1x2xsi4>, tensor<f32>) -> tensor<1x2xf32>
  %view = quant.reshape %scaled : (tensor<1x2xf32>) -> tensor<1x2x1x1xf32>
  %gamma = arith.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = arith.constant dense<[-1.0, 0.5]> : tensor<2xf32>
  %mean = arith.constant dense<0.0> : tensor<2xf32>
  %var = arith.constant dense<1.0> : tensor<2xf32>
  %bn = quant.batchnorm %view, %gamma, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>
  %t = arith.constant dense<0.0> : tensor<1x1xf32>
  %y = quant.multithreshold %bn, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x2x1x1xf32>, tensor<1x1xf32>) -> tensor<1x2x1x1x!quant.bipolar>
  func.return %y : tensor<1x2x1x1x!quant.bipolar>
}

// An Int32Bias: the bias is a quantizer of constants (round(1.3 / 0.25) * 0.25 = 1.25,
// round(-0.6 / 0.5) * 0.5 = -0.5); it is evaluated and absorbed like a float bias.
// CHECK-LABEL: func.func @quantized_bias
// CHECK-NEXT:  %[[T:.*]] = arith.constant dense<{{\[}}[-3, 1, 5], [2, 4, 6]]> : tensor<2x3xsi32>
// CHECK-NEXT:  %{{.*}} = quant.multithreshold %acc, %[[T]] {out_dtype = "UINT2"} : (tensor<1x2xsi6>, tensor<2x3xsi32>) -> tensor<1x2xui2>
// CHECK-NOT:   quant.int_quant
func.func @quantized_bias(%acc: tensor<1x2xsi6>) -> tensor<1x2xui2> {
  %s = arith.constant dense<[[0.25, 0.5]]> : tensor<1x2xf32>
  %scaled = quant.mul %acc, %s : (tensor<1x2xsi6>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %b = arith.constant dense<[1.3, -0.6]> : tensor<2xf32>
  %bs = arith.constant dense<[0.25, 0.5]> : tensor<2xf32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %bq = quant.int_quant %b, %bs, %z {bitwidth = 32 : i64, signed = true, narrow = false} : (tensor<2xf32>, tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %biased = quant.add %scaled, %bq : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %t = arith.constant dense<[[0.5, 1.5, 2.5]]> : tensor<1x3xf32>
  %y = quant.multithreshold %biased, %t {out_dtype = "UINT2"} : (tensor<1x2xf32>, tensor<1x3xf32>) -> tensor<1x2xui2>
  func.return %y : tensor<1x2xui2>
}

// A negative gamma with no weights behind it (BatchNorm after an activation): the
// channel is negated exactly (a * -1) and thresholded on -a: -a >= -1 <=> a <= 1.5.
// CHECK-LABEL: func.func @falling_channel_without_weights
// CHECK-NEXT:  %[[S:.*]] = arith.constant dense<{{\[}}[1, -1]]> : tensor<1x2xsi2>
// CHECK-NEXT:  %[[N:.*]] = quant.mul %a, %[[S]] : (tensor<1x2xui2>, tensor<1x2xsi2>) -> tensor<1x2xsi3>
// CHECK-NEXT:  %[[T:.*]] = arith.constant dense<{{\[}}[2], [-1]]> : tensor<2x1xsi32>
// CHECK-NEXT:  %{{.*}} = quant.multithreshold %[[N]], %[[T]]
func.func @falling_channel_without_weights(%a: tensor<1x2xui2>) -> tensor<1x2x!quant.bipolar> {
  %gamma = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %beta = arith.constant dense<[-1.5, 1.5]> : tensor<2xf32>
  %mean = arith.constant dense<0.0> : tensor<2xf32>
  %var = arith.constant dense<1.0> : tensor<2xf32>
  %bn = quant.batchnorm %a, %gamma, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2xui2>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %t = arith.constant dense<0.0> : tensor<1x1xf32>
  %y = quant.multithreshold %bn, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x2xf32>, tensor<1x1xf32>) -> tensor<1x2x!quant.bipolar>
  func.return %y : tensor<1x2x!quant.bipolar>
}

// A lowered convolution (lower-conv): the accumulator is channels-last (N, H, W, C)
// and the chain reads it through the transpose back to NCHW. Every pixel has the
// same chain, so thresholds are searched per channel on one pixel and applied
// channels-last (data_layout NHWC); the transpose moves behind the thresholds.
// Channel 1 falls (gamma < 0): its weight column is negated.
// CHECK-LABEL: func.func @conv_accumulator
// CHECK-NEXT:  %[[W:.*]] = arith.constant dense<{{\[}}[1, 1, 0], [0, -1, 1], [-1, -1, -2], [1, 0, 1]]> : tensor<4x3xsi2>
// CHECK-NEXT:  %[[ACC:.*]] = quant.matmul %x, %[[W]] : (tensor<1x2x2x4xsi2>, tensor<4x3xsi2>) -> tensor<1x2x2x3xsi5>
// CHECK-NEXT:  %[[T:.*]] = arith.constant dense<{{\[}}[1, 3, 5], [-1, 0, 1], [0, 0, 1]]> : tensor<3x3xsi32>
// CHECK-NEXT:  %[[Y:.*]] = quant.multithreshold %[[ACC]], %[[T]] {out_dtype = "UINT2", data_layout = "NHWC"} : (tensor<1x2x2x3xsi5>, tensor<3x3xsi32>) -> tensor<1x2x2x3xui2>
// CHECK-NEXT:  %{{.*}} = quant.transpose %[[Y]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x3xui2>) -> tensor<1x3x2x2xui2>
// CHECK-NOT:   quant.batchnorm
func.func @conv_accumulator(%x: tensor<1x2x2x4xsi2>) -> tensor<1x3x2x2xui2> {
  %w = arith.constant dense<[[1, -1, 0], [0, 1, 1], [-1, 1, -2], [1, 0, 1]]> : tensor<4x3xsi2>
  %acc = quant.matmul %x, %w : (tensor<1x2x2x4xsi2>, tensor<4x3xsi2>) -> tensor<1x2x2x3xsi5>
  %nchw = quant.transpose %acc {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x3xsi5>) -> tensor<1x3x2x2xsi5>
  %gamma = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>
  %beta = arith.constant dense<[0.25, 1.0, -0.5]> : tensor<3xf32>
  %mean = arith.constant dense<[0.0, 1.0, -1.0]> : tensor<3xf32>
  %var = arith.constant dense<1.0> : tensor<3xf32>
  %bn = quant.batchnorm %nchw, %gamma, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x3x2x2xsi5>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  %t = arith.constant dense<[[0.5, 1.5, 2.5]]> : tensor<1x3xf32>
  %y = quant.multithreshold %bn, %t {out_dtype = "UINT2"} : (tensor<1x3x2x2xf32>, tensor<1x3xf32>) -> tensor<1x3x2x2xui2>
  func.return %y : tensor<1x3x2x2xui2>
}

// The same without weights behind it: the falling channel is negated exactly, with
// one sign per channel broadcast over the pixels.
// CHECK-LABEL: func.func @conv_without_weights
// CHECK-NEXT:  %[[S:.*]] = arith.constant dense<{{\[}}[{{\[}}[1, -1]]]]> : tensor<1x1x1x2xsi2>
// CHECK-NEXT:  %[[N:.*]] = quant.mul %a, %[[S]] : (tensor<1x2x2x2xsi4>, tensor<1x1x1x2xsi2>) -> tensor<1x2x2x2xsi5>
// CHECK-NEXT:  %[[T:.*]] = arith.constant dense<{{\[}}[2], [-1]]> : tensor<2x1xsi32>
// CHECK-NEXT:  %[[Y:.*]] = quant.multithreshold %[[N]], %[[T]] {{.*}}data_layout = "NHWC"
// CHECK-NEXT:  quant.transpose %[[Y]] {perm = array<i64: 0, 3, 1, 2>}
func.func @conv_without_weights(%a: tensor<1x2x2x2xsi4>) -> tensor<1x2x2x2x!quant.bipolar> {
  %nchw = quant.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2xsi4>) -> tensor<1x2x2x2xsi4>
  %gamma = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %beta = arith.constant dense<[-1.5, 1.5]> : tensor<2xf32>
  %mean = arith.constant dense<0.0> : tensor<2xf32>
  %var = arith.constant dense<1.0> : tensor<2xf32>
  %bn = quant.batchnorm %nchw, %gamma, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2x2x2xsi4>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %t = arith.constant dense<0.0> : tensor<1x1xf32>
  %y = quant.multithreshold %bn, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x2x2x2xf32>, tensor<1x1xf32>) -> tensor<1x2x2x2x!quant.bipolar>
  func.return %y : tensor<1x2x2x2x!quant.bipolar>
}

// A factor that differs from pixel to pixel cannot be searched on one pixel: the
// chain stays as it is.
// CHECK-LABEL: func.func @pixel_dependent
// CHECK:       quant.mul
// CHECK:       quant.multithreshold %{{.*}}, %{{.*}} {out_scale
func.func @pixel_dependent(%a: tensor<1x2x2x2xsi4>) -> tensor<1x2x2x2x!quant.bipolar> {
  %nchw = quant.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2xsi4>) -> tensor<1x2x2x2xsi4>
  %c = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %m = quant.mul %nchw, %c : (tensor<1x2x2x2xsi4>, tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  %t = arith.constant dense<0.0> : tensor<1x1xf32>
  %y = quant.multithreshold %m, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x2x2x2xf32>, tensor<1x1xf32>) -> tensor<1x2x2x2x!quant.bipolar>
  func.return %y : tensor<1x2x2x2x!quant.bipolar>
}
