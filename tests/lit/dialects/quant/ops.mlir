// RUN: qnn-opt %s | qnn-opt | filecheck %s

// Round trip of every quant op and every property form. Properties equal to
// their default are written explicitly in some inputs below and must not be
// printed; the CHECK lines match the whole attribute dictionary `{...}` so an
// extra or missing property fails the test.

// -----------------------------------------------------------------------------
// Types
// -----------------------------------------------------------------------------

// CHECK-LABEL: func.func @element_types
// CHECK-SAME: (%[[A:[^:]*]]: tensor<2xsi4>, %[[B:[^:]*]]: tensor<2xui2>, %[[C:[^:]*]]: tensor<2xi32>, %[[D:[^:]*]]: tensor<2x!quant.bipolar>, %[[E:[^:]*]]: tensor<2xf32>)
// CHECK-SAME: -> (tensor<2xsi4>, tensor<2xui2>, tensor<2xi32>, tensor<2x!quant.bipolar>, tensor<2xf32>)
// CHECK-NEXT: func.return %[[A]], %[[B]], %[[C]], %[[D]], %[[E]] : tensor<2xsi4>, tensor<2xui2>, tensor<2xi32>, tensor<2x!quant.bipolar>, tensor<2xf32>
func.func @element_types(%a: tensor<2xsi4>, %b: tensor<2xui2>, %c: tensor<2xi32>, %d: tensor<2x!quant.bipolar>, %e: tensor<2xf32>) -> (tensor<2xsi4>, tensor<2xui2>, tensor<2xi32>, tensor<2x!quant.bipolar>, tensor<2xf32>) {
  func.return %a, %b, %c, %d, %e : tensor<2xsi4>, tensor<2xui2>, tensor<2xi32>, tensor<2x!quant.bipolar>, tensor<2xf32>
}

// -----------------------------------------------------------------------------
// QONNX quantizers
// -----------------------------------------------------------------------------

// rounding_mode = "ROUND" is the default and is not printed.
// CHECK-LABEL: func.func @int_quant_default_rounding
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xf32>, %[[S:[^:]*]]: tensor<f32>, %[[Z:[^:]*]]: tensor<f32>)
// CHECK-NEXT: %[[R:.*]] = quant.int_quant %[[X]], %[[S]], %[[Z]] {bitwidth = 8 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @int_quant_default_rounding(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 8 : i64, signed = true, narrow = false, rounding_mode = "ROUND"} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// Per-channel scale and zero point, unsigned narrow, a non-default rounding mode.
// CHECK-LABEL: func.func @int_quant_per_channel
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x2x2xf32>, %[[S:[^:]*]]: tensor<1x3x1x1xf32>, %[[Z:[^:]*]]: tensor<3x1x1xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.int_quant %[[X]], %[[S]], %[[Z]] {bitwidth = 2 : i64, signed = false, narrow = true, rounding_mode = "HALF_UP"} : (tensor<1x3x2x2xf32>, tensor<1x3x1x1xf32>, tensor<3x1x1xf32>) -> tensor<1x3x2x2xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @int_quant_per_channel(%x: tensor<1x3x2x2xf32>, %s: tensor<1x3x1x1xf32>, %z: tensor<3x1x1xf32>) -> tensor<1x3x2x2xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 2 : i64, signed = false, narrow = true, rounding_mode = "HALF_UP"} : (tensor<1x3x2x2xf32>, tensor<1x3x1x1xf32>, tensor<3x1x1xf32>) -> tensor<1x3x2x2xf32>
  func.return %0 : tensor<1x3x2x2xf32>
}

// Constant parameters at the edges of the verifier's rules are valid: the smallest
// normal float32 scale, a scale whose largest output (level - zero point spans [-15, 15])
// is 3.75e9, just below the limit 2^32, and zero points at both ends of the levels [-8, 7].
// CHECK-LABEL: func.func @int_quant_edge_parameters
// CHECK: %[[S:.*]] = arith.constant dense<[1.17549435e-38, 2.500000e+08]> : tensor<2xf32>
// CHECK-NEXT: %[[Z:.*]] = arith.constant dense<[-8.000000e+00, 7.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: quant.int_quant %{{.*}}, %[[S]], %[[Z]] {bitwidth = 4 : i64, signed = true, narrow = false}
func.func @int_quant_edge_parameters(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %s = arith.constant dense<[1.17549435e-38, 2.5e+08]> : tensor<2xf32>
  %z = arith.constant dense<[-8.0, 7.0]> : tensor<2xf32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// CHECK-LABEL: func.func @bipolar_quant
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x64xf32>, %[[S:[^:]*]]: tensor<1xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.bipolar_quant %[[X]], %[[S]] : (tensor<1x64xf32>, tensor<1xf32>) -> tensor<1x64xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @bipolar_quant(%x: tensor<1x64xf32>, %s: tensor<1xf32>) -> tensor<1x64xf32> {
  %0 = quant.bipolar_quant %x, %s : (tensor<1x64xf32>, tensor<1xf32>) -> tensor<1x64xf32>
  func.return %0 : tensor<1x64xf32>
}

// Trunc v1: no out_scale; every defaulted property written out is dropped.
// CHECK-LABEL: func.func @trunc_v1
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x8xf32>, %[[S:[^:]*]]: tensor<f32>, %[[Z:[^:]*]]: tensor<f32>)
// CHECK-NEXT: %[[R:.*]] = quant.trunc %[[X]], %[[S]], %[[Z]] {in_bitwidth = 16 : i64, out_bitwidth = 8 : i64} : (tensor<1x8xf32>, tensor<f32>, tensor<f32>) -> tensor<1x8xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @trunc_v1(%x: tensor<1x8xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x8xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 16 : i64, out_bitwidth = 8 : i64, rounding_mode = "FLOOR", signed = true, narrow = false} : (tensor<1x8xf32>, tensor<f32>, tensor<f32>) -> tensor<1x8xf32>
  func.return %0 : tensor<1x8xf32>
}

// Trunc v2: the optional out_scale operand and non-default properties.
// CHECK-LABEL: func.func @trunc_v2
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x8xf32>, %[[S:[^:]*]]: tensor<f32>, %[[Z:[^:]*]]: tensor<f32>, %[[OS:[^:]*]]: tensor<1xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.trunc %[[X]], %[[S]], %[[Z]] out_scale %[[OS]] {in_bitwidth = 16 : i64, out_bitwidth = 4 : i64, rounding_mode = "ROUND", signed = false, narrow = true} : (tensor<1x8xf32>, tensor<f32>, tensor<f32>, tensor<1xf32>) -> tensor<1x8xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @trunc_v2(%x: tensor<1x8xf32>, %s: tensor<f32>, %z: tensor<f32>, %os: tensor<1xf32>) -> tensor<1x8xf32> {
  %0 = quant.trunc %x, %s, %z out_scale %os {in_bitwidth = 16 : i64, out_bitwidth = 4 : i64, rounding_mode = "ROUND", signed = false, narrow = true} : (tensor<1x8xf32>, tensor<f32>, tensor<f32>, tensor<1xf32>) -> tensor<1x8xf32>
  func.return %0 : tensor<1x8xf32>
}

// All-default multithreshold: out_scale 1, out_bias 0, NCHW, no out_dtype;
// thresholds shared by every channel (shape (1, N)).
// CHECK-LABEL: func.func @multithreshold_defaults
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4x2x2xf32>, %[[T:[^:]*]]: tensor<1x3xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.multithreshold %[[X]], %[[T]] : (tensor<1x4x2x2xf32>, tensor<1x3xf32>) -> tensor<1x4x2x2xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @multithreshold_defaults(%x: tensor<1x4x2x2xf32>, %t: tensor<1x3xf32>) -> tensor<1x4x2x2xf32> {
  %0 = quant.multithreshold %x, %t {out_scale = 1.0 : f64, out_bias = 0.0 : f64, data_layout = "NCHW"} : (tensor<1x4x2x2xf32>, tensor<1x3xf32>) -> tensor<1x4x2x2xf32>
  func.return %0 : tensor<1x4x2x2xf32>
}

// Integer form: NHWC (channels last), per-channel thresholds (C, N), out_dtype.
// CHECK-LABEL: func.func @multithreshold_nhwc
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x2x4xsi8>, %[[T:[^:]*]]: tensor<4x3xsi8>)
// CHECK-NEXT: %[[R:.*]] = quant.multithreshold %[[X]], %[[T]] {data_layout = "NHWC", out_dtype = "UINT2"} : (tensor<1x2x2x4xsi8>, tensor<4x3xsi8>) -> tensor<1x2x2x4xui2>
// CHECK-NEXT: func.return %[[R]]
func.func @multithreshold_nhwc(%x: tensor<1x2x2x4xsi8>, %t: tensor<4x3xsi8>) -> tensor<1x2x2x4xui2> {
  %0 = quant.multithreshold %x, %t {data_layout = "NHWC", out_dtype = "UINT2"} : (tensor<1x2x2x4xsi8>, tensor<4x3xsi8>) -> tensor<1x2x2x4xui2>
  func.return %0 : tensor<1x2x2x4xui2>
}

// Sign as a multithreshold: one threshold, out_scale 2, out_bias -1, bipolar result.
// CHECK-LABEL: func.func @multithreshold_bipolar
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x64xi32>, %[[T:[^:]*]]: tensor<64x1xi32>)
// CHECK-NEXT: %[[R:.*]] = quant.multithreshold %[[X]], %[[T]] {out_scale = 2.000000e+00 : f64, out_bias = -1.000000e+00 : f64, out_dtype = "BIPOLAR"} : (tensor<1x64xi32>, tensor<64x1xi32>) -> tensor<1x64x!quant.bipolar>
// CHECK-NEXT: func.return %[[R]]
func.func @multithreshold_bipolar(%x: tensor<1x64xi32>, %t: tensor<64x1xi32>) -> tensor<1x64x!quant.bipolar> {
  %0 = quant.multithreshold %x, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64, out_dtype = "BIPOLAR"} : (tensor<1x64xi32>, tensor<64x1xi32>) -> tensor<1x64x!quant.bipolar>
  func.return %0 : tensor<1x64x!quant.bipolar>
}

// -----------------------------------------------------------------------------
// Elementwise ops
// -----------------------------------------------------------------------------

// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xsi4>, %[[Y:[^:]*]]: tensor<4xsi4>)
// CHECK-NEXT: %[[R:.*]] = quant.add %[[X]], %[[Y]] : (tensor<1x4xsi4>, tensor<4xsi4>) -> tensor<1x4xsi5>
// CHECK-NEXT: func.return %[[R]]
func.func @add(%x: tensor<1x4xsi4>, %y: tensor<4xsi4>) -> tensor<1x4xsi5> {
  %0 = quant.add %x, %y : (tensor<1x4xsi4>, tensor<4xsi4>) -> tensor<1x4xsi5>
  func.return %0 : tensor<1x4xsi5>
}

// Broadcasting in both directions: (3, 1) - (1, 4) -> (3, 4).
// CHECK-LABEL: func.func @sub
// CHECK-SAME: (%[[X:[^:]*]]: tensor<3x1xf32>, %[[Y:[^:]*]]: tensor<1x4xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.sub %[[X]], %[[Y]] : (tensor<3x1xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @sub(%x: tensor<3x1xf32>, %y: tensor<1x4xf32>) -> tensor<3x4xf32> {
  %0 = quant.sub %x, %y : (tensor<3x1xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}

// A bipolar tensor scaled back to real values by a scalar.
// CHECK-LABEL: func.func @mul
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4x!quant.bipolar>, %[[Y:[^:]*]]: tensor<f32>)
// CHECK-NEXT: %[[R:.*]] = quant.mul %[[X]], %[[Y]] : (tensor<1x4x!quant.bipolar>, tensor<f32>) -> tensor<1x4xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @mul(%x: tensor<1x4x!quant.bipolar>, %y: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.mul %x, %y : (tensor<1x4x!quant.bipolar>, tensor<f32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// CHECK-LABEL: func.func @div
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xui8>, %[[Y:[^:]*]]: tensor<1xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.div %[[X]], %[[Y]] : (tensor<1x4xui8>, tensor<1xf32>) -> tensor<1x4xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @div(%x: tensor<1x4xui8>, %y: tensor<1xf32>) -> tensor<1x4xf32> {
  %0 = quant.div %x, %y : (tensor<1x4xui8>, tensor<1xf32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// CHECK-LABEL: func.func @pow
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x10xf32>, %[[Y:[^:]*]]: tensor<f32>)
// CHECK-NEXT: %[[R:.*]] = quant.pow %[[X]], %[[Y]] : (tensor<1x10xf32>, tensor<f32>) -> tensor<1x10xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @pow(%x: tensor<1x10xf32>, %y: tensor<f32>) -> tensor<1x10xf32> {
  %0 = quant.pow %x, %y : (tensor<1x10xf32>, tensor<f32>) -> tensor<1x10xf32>
  func.return %0 : tensor<1x10xf32>
}

// CHECK-LABEL: func.func @relu
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xsi4>)
// CHECK-NEXT: %[[R:.*]] = quant.relu %[[X]] : (tensor<1x4xsi4>) -> tensor<1x4xui3>
// CHECK-NEXT: func.return %[[R]]
func.func @relu(%x: tensor<1x4xsi4>) -> tensor<1x4xui3> {
  %0 = quant.relu %x : (tensor<1x4xsi4>) -> tensor<1x4xui3>
  func.return %0 : tensor<1x4xui3>
}

// -----------------------------------------------------------------------------
// Linear algebra
// -----------------------------------------------------------------------------

// Bipolar x bipolar with an integer accumulator, as after quant-to-integer.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4x!quant.bipolar>, %[[W:[^:]*]]: tensor<4x3x!quant.bipolar>)
// CHECK-NEXT: %[[R:.*]] = quant.matmul %[[X]], %[[W]] : (tensor<1x4x!quant.bipolar>, tensor<4x3x!quant.bipolar>) -> tensor<1x3xsi32>
// CHECK-NEXT: func.return %[[R]]
func.func @matmul(%x: tensor<1x4x!quant.bipolar>, %w: tensor<4x3x!quant.bipolar>) -> tensor<1x3xsi32> {
  %0 = quant.matmul %x, %w : (tensor<1x4x!quant.bipolar>, tensor<4x3x!quant.bipolar>) -> tensor<1x3xsi32>
  func.return %0 : tensor<1x3xsi32>
}

// Leading batch dimensions of the left operand are kept: (2, 5, 4) x (4, 3).
// CHECK-LABEL: func.func @matmul_batched
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x5x4xf32>, %[[W:[^:]*]]: tensor<4x3xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.matmul %[[X]], %[[W]] : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @matmul_batched(%x: tensor<2x5x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x5x3xf32> {
  %0 = quant.matmul %x, %w : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  func.return %0 : tensor<2x5x3xf32>
}

// Conv with bias and padding; group = 1 written out is the default and dropped.
// CHECK-LABEL: func.func @conv_bias
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x8x8xf32>, %[[W:[^:]*]]: tensor<6x3x3x3xf32>, %[[B:[^:]*]]: tensor<6xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.conv %[[X]], %[[W]], %[[B]] {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x8x8xf32> {
  %0 = quant.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32>
  func.return %0 : tensor<1x6x8x8xf32>
}

// Conv without bias, stride 2, asymmetric pads, integer types.
// CHECK-LABEL: func.func @conv_no_bias
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x8x8xsi8>, %[[W:[^:]*]]: tensor<6x3x3x3xsi2>)
// CHECK-NEXT: %[[R:.*]] = quant.conv %[[X]], %[[W]] {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xsi8>, tensor<6x3x3x3xsi2>) -> tensor<1x6x4x4xi32>
// CHECK-NEXT: func.return %[[R]]
func.func @conv_no_bias(%x: tensor<1x3x8x8xsi8>, %w: tensor<6x3x3x3xsi2>) -> tensor<1x6x4x4xi32> {
  %0 = quant.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xsi8>, tensor<6x3x3x3xsi2>) -> tensor<1x6x4x4xi32>
  func.return %0 : tensor<1x6x4x4xi32>
}

// Depthwise (group = channels) and dilated.
// CHECK-LABEL: func.func @conv_depthwise_dilated
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4x9x9xf32>, %[[W:[^:]*]]: tensor<4x1x3x3xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.conv %[[X]], %[[W]] {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, group = 4 : i64} : (tensor<1x4x9x9xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x5x5xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @conv_depthwise_dilated(%x: tensor<1x4x9x9xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x5x5xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, group = 4 : i64} : (tensor<1x4x9x9xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x5x5xf32>
  func.return %0 : tensor<1x4x5x5xf32>
}

// epsilon = 1e-5 : f32 is the default and is dropped.
// CHECK-LABEL: func.func @batchnorm_default_epsilon
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[M:[^:]*]]: tensor<3xf32>, %[[V:[^:]*]]: tensor<3xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.batchnorm %[[X]], %[[G]], %[[B]], %[[M]], %[[V]] : (tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @batchnorm_default_epsilon(%x: tensor<1x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}

// CHECK-LABEL: func.func @batchnorm_nchw
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x4x4xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[M:[^:]*]]: tensor<3xf32>, %[[V:[^:]*]]: tensor<3xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.batchnorm %[[X]], %[[G]], %[[B]], %[[M]], %[[V]] {epsilon = 1.000000e-03 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
// CHECK-NEXT: func.return %[[R]]
func.func @batchnorm_nchw(%x: tensor<1x3x4x4xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3x4x4xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-03 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  func.return %0 : tensor<1x3x4x4xf32>
}

// -----------------------------------------------------------------------------
// Pooling, layout and selection
// -----------------------------------------------------------------------------

// CHECK-LABEL: func.func @maxpool
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x8x8xui2>)
// CHECK-NEXT: %[[R:.*]] = quant.maxpool %[[X]] {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xui2>) -> tensor<1x3x4x4xui2>
// CHECK-NEXT: func.return %[[R]]
func.func @maxpool(%x: tensor<1x3x8x8xui2>) -> tensor<1x3x4x4xui2> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xui2>) -> tensor<1x3x4x4xui2>
  func.return %0 : tensor<1x3x4x4xui2>
}

// Overlapping, padded window on a bipolar tensor: (7 + 2 - 3) / 2 + 1 = 4.
// CHECK-LABEL: func.func @maxpool_padded
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x7x7x!quant.bipolar>)
// CHECK-NEXT: %[[R:.*]] = quant.maxpool %[[X]] {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x7x7x!quant.bipolar>) -> tensor<1x2x4x4x!quant.bipolar>
// CHECK-NEXT: func.return %[[R]]
func.func @maxpool_padded(%x: tensor<1x2x7x7x!quant.bipolar>) -> tensor<1x2x4x4x!quant.bipolar> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x7x7x!quant.bipolar>) -> tensor<1x2x4x4x!quant.bipolar>
  func.return %0 : tensor<1x2x4x4x!quant.bipolar>
}

// CHECK-LABEL: func.func @maxpool_nhwc
// CHECK-NEXT: quant.maxpool %{{.*}} {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, data_layout = "NHWC"} : (tensor<1x8x6x3xui2>) -> tensor<1x4x3x3xui2>
func.func @maxpool_nhwc(%x: tensor<1x8x6x3xui2>) -> tensor<1x4x3x3xui2> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, data_layout = "NHWC"} : (tensor<1x8x6x3xui2>) -> tensor<1x4x3x3xui2>
  func.return %0 : tensor<1x4x3x3xui2>
}

// CHECK-LABEL: func.func @pad
// CHECK-NEXT: quant.pad %{{.*}} {pads = array<i64: 1, 0, 2, 1>, value = -1.000000e+00 : f64} : (tensor<1x4x4x3xsi4>) -> tensor<1x7x5x3xsi4>
func.func @pad(%x: tensor<1x4x4x3xsi4>) -> tensor<1x7x5x3xsi4> {
  %0 = quant.pad %x {pads = array<i64: 1, 0, 2, 1>, value = -1.0 : f64} : (tensor<1x4x4x3xsi4>) -> tensor<1x7x5x3xsi4>
  func.return %0 : tensor<1x7x5x3xsi4>
}

// A binarized layer padded with 0 computes on {-1, 0, +1}.
// CHECK-LABEL: func.func @pad_bipolar_with_zero
// CHECK-NEXT: quant.pad %{{.*}} {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x3x!quant.bipolar>) -> tensor<1x6x6x3xsi2>
func.func @pad_bipolar_with_zero(%x: tensor<1x4x4x3x!quant.bipolar>) -> tensor<1x6x6x3xsi2> {
  %0 = quant.pad %x {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x3x!quant.bipolar>) -> tensor<1x6x6x3xsi2>
  func.return %0 : tensor<1x6x6x3xsi2>
}

// CHECK-LABEL: func.func @sliding_window
// CHECK-NEXT: quant.sliding_window %{{.*}} {kernel = array<i64: 3, 2>, strides = array<i64: 2, 1>} : (tensor<1x7x5x3x!quant.bipolar>) -> tensor<1x3x4x18x!quant.bipolar>
func.func @sliding_window(%x: tensor<1x7x5x3x!quant.bipolar>) -> tensor<1x3x4x18x!quant.bipolar> {
  %0 = quant.sliding_window %x {kernel = array<i64: 3, 2>, strides = array<i64: 2, 1>} : (tensor<1x7x5x3x!quant.bipolar>) -> tensor<1x3x4x18x!quant.bipolar>
  func.return %0 : tensor<1x3x4x18x!quant.bipolar>
}

// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x1x28x28x!quant.bipolar>)
// CHECK-NEXT: %[[R:.*]] = quant.reshape %[[X]] : (tensor<1x1x28x28x!quant.bipolar>) -> tensor<1x784x!quant.bipolar>
// CHECK-NEXT: func.return %[[R]]
func.func @reshape(%x: tensor<1x1x28x28x!quant.bipolar>) -> tensor<1x784x!quant.bipolar> {
  %0 = quant.reshape %x : (tensor<1x1x28x28x!quant.bipolar>) -> tensor<1x784x!quant.bipolar>
  func.return %0 : tensor<1x784x!quant.bipolar>
}

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x8x6xsi4>)
// CHECK-NEXT: %[[R:.*]] = quant.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x6xsi4>) -> tensor<1x8x6x3xsi4>
// CHECK-NEXT: func.return %[[R]]
func.func @transpose(%x: tensor<1x3x8x6xsi4>) -> tensor<1x8x6x3xsi4> {
  %0 = quant.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x6xsi4>) -> tensor<1x8x6x3xsi4>
  func.return %0 : tensor<1x8x6x3xsi4>
}

// Two results; axis = -1 and largest = true are the defaults and are dropped.
// CHECK-LABEL: func.func @topk_defaults
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x10xf32>)
// CHECK-NEXT: %[[V:[^,]*]], %[[I:.*]] = quant.topk %[[X]] {k = 3 : i64} : (tensor<1x10xf32>) -> (tensor<1x3xf32>, tensor<1x3xi64>)
// CHECK-NEXT: func.return %[[V]], %[[I]] : tensor<1x3xf32>, tensor<1x3xi64>
func.func @topk_defaults(%x: tensor<1x10xf32>) -> (tensor<1x3xf32>, tensor<1x3xi64>) {
  %values, %indices = quant.topk %x {k = 3 : i64, axis = -1 : i64, largest = true} : (tensor<1x10xf32>) -> (tensor<1x3xf32>, tensor<1x3xi64>)
  func.return %values, %indices : tensor<1x3xf32>, tensor<1x3xi64>
}

// Smallest along axis 0 of an integer tensor.
// CHECK-LABEL: func.func @topk_smallest
// CHECK-SAME: (%[[X:[^:]*]]: tensor<5x2xsi16>)
// CHECK-NEXT: %[[V:[^,]*]], %[[I:.*]] = quant.topk %[[X]] {k = 1 : i64, axis = 0 : i64, largest = false} : (tensor<5x2xsi16>) -> (tensor<1x2xsi16>, tensor<1x2xi64>)
// CHECK-NEXT: func.return %[[V]], %[[I]] : tensor<1x2xsi16>, tensor<1x2xi64>
func.func @topk_smallest(%x: tensor<5x2xsi16>) -> (tensor<1x2xsi16>, tensor<1x2xi64>) {
  %values, %indices = quant.topk %x {k = 1 : i64, axis = 0 : i64, largest = false} : (tensor<5x2xsi16>) -> (tensor<1x2xsi16>, tensor<1x2xi64>)
  func.return %values, %indices : tensor<1x2xsi16>, tensor<1x2xi64>
}
