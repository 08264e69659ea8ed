// RUN: qnn-opt %s --split-input-file --verify-diagnostics | filecheck %s

// One case per verifier error of the quant dialect. Each CHECK names the line
// and column of the op above it and matches the whole message.

// Element types are float, integer or !quant.bipolar.
func.func @element_type(%x: tensor<1x4xindex>) -> tensor<1x4xindex> {
  %0 = quant.relu %x : (tensor<1x4xindex>) -> tensor<1x4xindex>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.relu' does not support element type index: expected a float, an integer or !quant.bipolar{{$}}
  func.return %0 : tensor<1x4xindex>
}

// -----

func.func @relu_shape(%x: tensor<1x4xf32>) -> tensor<1x5xf32> {
  %0 = quant.relu %x : (tensor<1x4xf32>) -> tensor<1x5xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.relu' result shape [1, 5] does not match the expected shape [1, 4]{{$}}
  func.return %0 : tensor<1x5xf32>
}

// -----

func.func @int_quant_bitwidth_zero(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 0 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' bitwidth must be in [1, 32], got 0{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_bitwidth_40(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 40 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' bitwidth must be in [1, 32], got 40{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_rounding_mode(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false, rounding_mode = "NEAREST"} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' rounding_mode 'NEAREST' is not one of ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_scale_shape(%x: tensor<1x4xf32>, %s: tensor<3xf32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<3xf32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' operand 'scale' of shape [3] does not broadcast to the input shape [1, 4]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// The zero point may not broadcast the input to a larger shape.
func.func @int_quant_zeropt_shape(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<2x4xf32>) -> tensor<1x4xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<2x4xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' operand 'zeropt' of shape [2, 4] does not broadcast to the input shape [1, 4]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_result_shape(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<4xf32> {
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' result shape [4] does not match the expected shape [1, 4]{{$}}
  func.return %0 : tensor<4xf32>
}

// -----

func.func @bipolar_quant_scale_shape(%x: tensor<1x4xf32>, %s: tensor<4x1xf32>) -> tensor<1x4xf32> {
  %0 = quant.bipolar_quant %x, %s : (tensor<1x4xf32>, tensor<4x1xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.bipolar_quant' operand 'scale' of shape [4, 1] does not broadcast to the input shape [1, 4]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @bipolar_quant_result_shape(%x: tensor<1x4xf32>, %s: tensor<f32>) -> tensor<1x8xf32> {
  %0 = quant.bipolar_quant %x, %s : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x8xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.bipolar_quant' result shape [1, 8] does not match the expected shape [1, 4]{{$}}
  func.return %0 : tensor<1x8xf32>
}

// -----

func.func @trunc_widens(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 16 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' needs 1 <= out_bitwidth <= in_bitwidth <= 64, got out_bitwidth=16, in_bitwidth=8{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_out_bitwidth_zero(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 0 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' needs 1 <= out_bitwidth <= in_bitwidth <= 64, got out_bitwidth=0, in_bitwidth=8{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_in_bitwidth_65(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 65 : i64, out_bitwidth = 8 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' needs 1 <= out_bitwidth <= in_bitwidth <= 64, got out_bitwidth=8, in_bitwidth=65{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// Rounding modes are upper case, as the importer normalizes them.
func.func @trunc_rounding_mode(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64, rounding_mode = "floor"} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' rounding_mode 'floor' is not one of ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_scale_shape(%x: tensor<1x4xf32>, %s: tensor<2xf32>, %z: tensor<f32>) -> tensor<1x4xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64} : (tensor<1x4xf32>, tensor<2xf32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' operand 'scale' of shape [2] does not broadcast to the input shape [1, 4]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_zeropt_shape(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<1x1x4xf32>) -> tensor<1x4xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<1x1x4xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' operand 'zeropt' of shape [1, 1, 4] does not broadcast to the input shape [1, 4]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_out_scale_shape(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>, %os: tensor<5xf32>) -> tensor<1x4xf32> {
  %0 = quant.trunc %x, %s, %z out_scale %os {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>, tensor<5xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' operand 'out_scale' of shape [5] does not broadcast to the input shape [1, 4]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_result_shape(%x: tensor<1x4xf32>, %s: tensor<f32>, %z: tensor<f32>) -> tensor<1x2xf32> {
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' result shape [1, 2] does not match the expected shape [1, 4]{{$}}
  func.return %0 : tensor<1x2xf32>
}

// -----

func.func @multithreshold_layout(%x: tensor<1x4x2x2xf32>, %t: tensor<4x3xf32>) -> tensor<1x4x2x2xf32> {
  %0 = quant.multithreshold %x, %t {data_layout = "NCW"} : (tensor<1x4x2x2xf32>, tensor<4x3xf32>) -> tensor<1x4x2x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' data_layout 'NCW' is not one of NCHW, NHWC{{$}}
  func.return %0 : tensor<1x4x2x2xf32>
}

// -----

func.func @multithreshold_rank1(%x: tensor<4xf32>, %t: tensor<1x3xf32>) -> tensor<4xf32> {
  %0 = quant.multithreshold %x, %t : (tensor<4xf32>, tensor<1x3xf32>) -> tensor<4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' input must have rank >= 2 (N, C, ...){{$}}
  func.return %0 : tensor<4xf32>
}

// -----

func.func @multithreshold_channels(%x: tensor<1x4x2x2xf32>, %t: tensor<2x3xf32>) -> tensor<1x4x2x2xf32> {
  %0 = quant.multithreshold %x, %t : (tensor<1x4x2x2xf32>, tensor<2x3xf32>) -> tensor<1x4x2x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' thresholds must have shape (4, N) or (1, N) for 4 channels, got [2, 3]{{$}}
  func.return %0 : tensor<1x4x2x2xf32>
}

// -----

// With NHWC the channels are the last axis: 2 here, not 4.
func.func @multithreshold_nhwc_channels(%x: tensor<1x4x4x2xf32>, %t: tensor<4x3xf32>) -> tensor<1x4x4x2xf32> {
  %0 = quant.multithreshold %x, %t {data_layout = "NHWC"} : (tensor<1x4x4x2xf32>, tensor<4x3xf32>) -> tensor<1x4x4x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' thresholds must have shape (2, N) or (1, N) for 2 channels, got [4, 3]{{$}}
  func.return %0 : tensor<1x4x4x2xf32>
}

// -----

func.func @multithreshold_thresholds_rank(%x: tensor<1x4xf32>, %t: tensor<3xf32>) -> tensor<1x4xf32> {
  %0 = quant.multithreshold %x, %t : (tensor<1x4xf32>, tensor<3xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' thresholds must have shape (4, N) or (1, N) for 4 channels, got [3]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @multithreshold_result_shape(%x: tensor<1x4xf32>, %t: tensor<4x3xf32>) -> tensor<1x3xf32> {
  %0 = quant.multithreshold %x, %t : (tensor<1x4xf32>, tensor<4x3xf32>) -> tensor<1x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' result shape [1, 3] does not match the expected shape [1, 4]{{$}}
  func.return %0 : tensor<1x3xf32>
}

// -----

func.func @add_broadcast(%x: tensor<1x4xf32>, %y: tensor<3xf32>) -> tensor<1x4xf32> {
  %0 = quant.add %x, %y : (tensor<1x4xf32>, tensor<3xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.add' operands do not broadcast: shapes {{\[\[}}1, 4], [3]] are not broadcast-compatible{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// The result has the broadcast shape, not the shape of the left operand.
func.func @sub_result_shape(%x: tensor<1x4xf32>, %y: tensor<3x1xf32>) -> tensor<1x4xf32> {
  %0 = quant.sub %x, %y : (tensor<1x4xf32>, tensor<3x1xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.sub' result shape [1, 4] does not match the expected shape [3, 4]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @mul_broadcast(%x: tensor<2x4xsi4>, %y: tensor<2x1x3xf32>) -> tensor<2x2x4xf32> {
  %0 = quant.mul %x, %y : (tensor<2x4xsi4>, tensor<2x1x3xf32>) -> tensor<2x2x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.mul' operands do not broadcast: shapes {{\[\[}}2, 4], [2, 1, 3]] are not broadcast-compatible{{$}}
  func.return %0 : tensor<2x2x4xf32>
}

// -----

func.func @div_result_shape(%x: tensor<1x4xf32>, %y: tensor<f32>) -> tensor<4xf32> {
  %0 = quant.div %x, %y : (tensor<1x4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.div' result shape [4] does not match the expected shape [1, 4]{{$}}
  func.return %0 : tensor<4xf32>
}

// -----

func.func @pow_broadcast(%x: tensor<1x10xf32>, %y: tensor<2xf32>) -> tensor<1x10xf32> {
  %0 = quant.pow %x, %y : (tensor<1x10xf32>, tensor<2xf32>) -> tensor<1x10xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.pow' operands do not broadcast: shapes {{\[\[}}1, 10], [2]] are not broadcast-compatible{{$}}
  func.return %0 : tensor<1x10xf32>
}

// -----

func.func @matmul_rhs_rank(%x: tensor<2x4xf32>, %w: tensor<2x4x3xf32>) -> tensor<2x2x3xf32> {
  %0 = quant.matmul %x, %w : (tensor<2x4xf32>, tensor<2x4x3xf32>) -> tensor<2x2x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.matmul' expects a 2-D right operand, got [2, 4, 3]{{$}}
  func.return %0 : tensor<2x2x3xf32>
}

// -----

func.func @matmul_inner_dims(%x: tensor<1x4xf32>, %w: tensor<5x3xf32>) -> tensor<1x3xf32> {
  %0 = quant.matmul %x, %w : (tensor<1x4xf32>, tensor<5x3xf32>) -> tensor<1x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.matmul' inner dimensions differ: [1, 4] x [5, 3]{{$}}
  func.return %0 : tensor<1x3xf32>
}

// -----

func.func @matmul_result_shape(%x: tensor<1x4xf32>, %w: tensor<4x3xf32>) -> tensor<1x4xf32> {
  %0 = quant.matmul %x, %w : (tensor<1x4xf32>, tensor<4x3xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.matmul' result shape [1, 4] does not match the expected shape [1, 3]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @conv_rank(%x: tensor<1x3x8xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' expects 4-D input and weight (NCHW, MCkk), got [1, 3, 8] and [6, 3, 3, 3]{{$}}
  func.return %0 : tensor<1x6x6xf32>
}

// -----

func.func @conv_strides_length(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' needs 2 strides, 2 dilations and 4 pads, got 1, 2 and 4{{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

func.func @conv_pads_length(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' needs 2 strides, 2 dilations and 4 pads, got 2, 2 and 2{{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

func.func @conv_stride_zero(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' strides, dilations and group must be >= 1 and pads >= 0{{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

func.func @conv_negative_pad(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, -1, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' strides, dilations and group must be >= 1 and pads >= 0{{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

func.func @conv_group_zero(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 0 : i64} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' strides, dilations and group must be >= 1 and pads >= 0{{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

// The weight's second dimension is C / group.
func.func @conv_weight_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' weight shape [6, 2, 3, 3] does not fit 3 input channels in 1 group(s){{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

// The output channels must split evenly into the groups.
func.func @conv_group_out_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' weight shape [6, 1, 3, 3] does not fit 4 input channels in 4 group(s){{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

func.func @conv_group_in_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' weight shape [4, 1, 3, 3] does not fit 3 input channels in 2 group(s){{$}}
  func.return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_bias_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>, %b: tensor<1x6xf32>) -> tensor<1x6x6x6xf32> {
  %0 = quant.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>, tensor<1x6xf32>) -> tensor<1x6x6x6xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' bias must have shape [6], got [1, 6]{{$}}
  func.return %0 : tensor<1x6x6x6xf32>
}

// -----

// Stride 2 and pads [0, 0, 1, 1]: (8 + 1 - 3) / 2 + 1 = 4.
func.func @conv_result_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x3x3xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x3x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' result shape [1, 6, 3, 3] does not match the expected shape [1, 6, 4, 4]{{$}}
  func.return %0 : tensor<1x6x3x3xf32>
}

// -----

func.func @batchnorm_rank(%x: tensor<3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<3xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.batchnorm' input must have rank >= 2 (N, C, ...){{$}}
  func.return %0 : tensor<3xf32>
}

// -----

func.func @batchnorm_scale_shape(%x: tensor<1x3x2x2xf32>, %g: tensor<4xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3x2x2xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v : (tensor<1x3x2x2xf32>, tensor<4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.batchnorm' scale must have shape [3], got [4]{{$}}
  func.return %0 : tensor<1x3x2x2xf32>
}

// -----

func.func @batchnorm_bias_shape(%x: tensor<1x3x2x2xf32>, %g: tensor<3xf32>, %b: tensor<1x3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3x2x2xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.batchnorm' bias must have shape [3], got [1, 3]{{$}}
  func.return %0 : tensor<1x3x2x2xf32>
}

// -----

func.func @batchnorm_mean_shape(%x: tensor<1x3x2x2xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<f32>, %v: tensor<3xf32>) -> tensor<1x3x2x2xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.batchnorm' mean must have shape [3], got []{{$}}
  func.return %0 : tensor<1x3x2x2xf32>
}

// -----

// The channel axis is always 1.
func.func @batchnorm_var_shape(%x: tensor<1x2x2x3xf32>, %g: tensor<2xf32>, %b: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<3xf32>) -> tensor<1x2x2x3xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v : (tensor<1x2x2x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<3xf32>) -> tensor<1x2x2x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.batchnorm' var must have shape [2], got [3]{{$}}
  func.return %0 : tensor<1x2x2x3xf32>
}

// -----

func.func @batchnorm_epsilon(%x: tensor<1x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v {epsilon = -1.0e-05 : f32} : (tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.batchnorm' epsilon must be >= 0{{$}}
  func.return %0 : tensor<1x3xf32>
}

// -----

func.func @batchnorm_result_shape(%x: tensor<1x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<3x1xf32> {
  %0 = quant.batchnorm %x, %g, %b, %m, %v : (tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3x1xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.batchnorm' result shape [3, 1] does not match the expected shape [1, 3]{{$}}
  func.return %0 : tensor<3x1xf32>
}

// -----

func.func @maxpool_rank(%x: tensor<1x3x8xf32>) -> tensor<1x3x4xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8xf32>) -> tensor<1x3x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' expects a 4-D NCHW input, got [1, 3, 8]{{$}}
  func.return %0 : tensor<1x3x4xf32>
}

// -----

func.func @maxpool_kernel_length(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' needs 2 kernel sizes, 2 strides and 4 pads{{$}}
  func.return %0 : tensor<1x3x4x4xf32>
}

// -----

func.func @maxpool_kernel_zero(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 0, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' kernel and strides must be >= 1, pads >= 0{{$}}
  func.return %0 : tensor<1x3x4x4xf32>
}

// -----

func.func @maxpool_negative_pad(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, -1, 0>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' kernel and strides must be >= 1, pads >= 0{{$}}
  func.return %0 : tensor<1x3x4x4xf32>
}

// -----

// Floor mode: a 9x9 input with a 2x2 window and stride 2 gives 4x4, not 5x5.
func.func @maxpool_result_shape(%x: tensor<1x3x9x9xf32>) -> tensor<1x3x5x5xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x9x9xf32>) -> tensor<1x3x5x5xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' result shape [1, 3, 5, 5] does not match the expected shape [1, 3, 4, 4]{{$}}
  func.return %0 : tensor<1x3x5x5xf32>
}

// -----

func.func @reshape_count(%x: tensor<1x1x28x28xf32>) -> tensor<1x748xf32> {
  %0 = quant.reshape %x : (tensor<1x1x28x28xf32>) -> tensor<1x748xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.reshape' cannot reshape [1, 1, 28, 28] (784 elements) to [1, 748] (748 elements){{$}}
  func.return %0 : tensor<1x748xf32>
}

// -----

func.func @transpose_duplicate(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %0 = quant.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.transpose' perm [0, 0] is not a permutation of 2 dimensions{{$}}
  func.return %0 : tensor<2x2xf32>
}

// -----

func.func @transpose_rank(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = quant.transpose %x {perm = array<i64: 2, 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.transpose' perm [2, 1, 0] is not a permutation of 2 dimensions{{$}}
  func.return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_result_shape(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = quant.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.transpose' result shape [2, 3] does not match the expected shape [3, 2]{{$}}
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @topk_axis(%x: tensor<1x10xf32>) -> (tensor<1x1xf32>, tensor<1x1xi64>) {
  %values, %indices = quant.topk %x {k = 1 : i64, axis = 2 : i64} : (tensor<1x10xf32>) -> (tensor<1x1xf32>, tensor<1x1xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' axis 2 is out of range{{$}}
  func.return %values, %indices : tensor<1x1xf32>, tensor<1x1xi64>
}

// -----

func.func @topk_negative_axis(%x: tensor<1x10xf32>) -> (tensor<1x1xf32>, tensor<1x1xi64>) {
  %values, %indices = quant.topk %x {k = 1 : i64, axis = -3 : i64} : (tensor<1x10xf32>) -> (tensor<1x1xf32>, tensor<1x1xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' axis -3 is out of range{{$}}
  func.return %values, %indices : tensor<1x1xf32>, tensor<1x1xi64>
}

// -----

func.func @topk_k_zero(%x: tensor<1x10xf32>) -> (tensor<1x0xf32>, tensor<1x0xi64>) {
  %values, %indices = quant.topk %x {k = 0 : i64} : (tensor<1x10xf32>) -> (tensor<1x0xf32>, tensor<1x0xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' k = 0 must be in [1, 10]{{$}}
  func.return %values, %indices : tensor<1x0xf32>, tensor<1x0xi64>
}

// -----

func.func @topk_k_too_large(%x: tensor<1x10xf32>) -> (tensor<1x11xf32>, tensor<1x11xi64>) {
  %values, %indices = quant.topk %x {k = 11 : i64} : (tensor<1x10xf32>) -> (tensor<1x11xf32>, tensor<1x11xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' k = 11 must be in [1, 10]{{$}}
  func.return %values, %indices : tensor<1x11xf32>, tensor<1x11xi64>
}

// -----

// k counts along `axis`, here the batch axis of size 1.
func.func @topk_k_along_axis(%x: tensor<1x10xf32>) -> (tensor<2x10xf32>, tensor<2x10xi64>) {
  %values, %indices = quant.topk %x {k = 2 : i64, axis = 0 : i64} : (tensor<1x10xf32>) -> (tensor<2x10xf32>, tensor<2x10xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' k = 2 must be in [1, 1]{{$}}
  func.return %values, %indices : tensor<2x10xf32>, tensor<2x10xi64>
}

// -----

func.func @topk_values_shape(%x: tensor<1x10xf32>) -> (tensor<1x10xf32>, tensor<1x3xi64>) {
  %values, %indices = quant.topk %x {k = 3 : i64} : (tensor<1x10xf32>) -> (tensor<1x10xf32>, tensor<1x3xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' result shape [1, 10] does not match the expected shape [1, 3]{{$}}
  func.return %values, %indices : tensor<1x10xf32>, tensor<1x3xi64>
}

// -----

func.func @topk_indices_shape(%x: tensor<1x10xf32>) -> (tensor<1x3xf32>, tensor<3xi64>) {
  %values, %indices = quant.topk %x {k = 3 : i64} : (tensor<1x10xf32>) -> (tensor<1x3xf32>, tensor<3xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' result shape [3] does not match the expected shape [1, 3]{{$}}
  func.return %values, %indices : tensor<1x3xf32>, tensor<3xi64>
}

// -----

func.func @topk_indices_type(%x: tensor<1x10xf32>) -> (tensor<1x3xf32>, tensor<1x3xi32>) {
  %values, %indices = quant.topk %x {k = 3 : i64} : (tensor<1x10xf32>) -> (tensor<1x3xf32>, tensor<1x3xi32>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' indices must be i64{{$}}
  func.return %values, %indices : tensor<1x3xf32>, tensor<1x3xi32>
}

// -----

func.func @dynamic_shape(%x: tensor<?x4xf32>) -> tensor<4x?xf32> {
  %0 = quant.reshape %x : (tensor<?x4xf32>) -> tensor<4x?xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.reshape' needs static shapes, got tensor<?x4xf32>: dynamic dimensions are not supported; export the model with a fixed input shape{{$}}
  func.return %0 : tensor<4x?xf32>
}

// -----

func.func @reshape_changes_element_type(%x: tensor<2x4xf32>) -> tensor<8xsi4> {
  %0 = quant.reshape %x : (tensor<2x4xf32>) -> tensor<8xsi4>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.reshape' cannot change the element type: input has f32, result has si4{{$}}
  func.return %0 : tensor<8xsi4>
}

// -----

func.func @topk_changes_element_type(%x: tensor<1x10xf32>) -> (tensor<1x3xsi4>, tensor<1x3xi64>) {
  %v, %i = quant.topk %x {k = 3 : i64} : (tensor<1x10xf32>) -> (tensor<1x3xsi4>, tensor<1x3xi64>)
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.topk' cannot change the element type: input has f32, result has si4{{$}}
  func.return %v, %i : tensor<1x3xsi4>, tensor<1x3xi64>
}

// -----

func.func @maxpool_pads_not_smaller_than_kernel(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' pads [1, 1, 1, 1] must be smaller than the kernel [1, 1]: a window made only of padding has no maximum{{$}}
  func.return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @maxpool_float_array(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<f32: 2.0, 2.0>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' strides must be an array<i64: ...>, got array<f32: 2.000000e+00, 2.000000e+00>{{$}}
  func.return %0 : tensor<1x1x2x2xf32>
}

// -----

func.func @conv_window_too_large(%x: tensor<1x1x2x2xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<1x6x1x1xf32> {
  %0 = quant.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x1x1xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.conv' window is larger than the padded input (the output would be -2x-2); use a smaller kernel or more padding{{$}}
  func.return %0 : tensor<1x6x1x1xf32>
}

// -----

func.func @multithreshold_unknown_dtype(%x: tensor<1x4xf32>, %t: tensor<4x1xf32>) -> tensor<1x4xf32> {
  %0 = quant.multithreshold %x, %t {out_dtype = "FOO"} : (tensor<1x4xf32>, tensor<4x1xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' out_dtype 'FOO' is not a FINN datatype (BIPOLAR, BINARY, TERNARY, INTn, UINTn, FIXED<w,i>, FLOAT32){{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @matmul_scalar_lhs(%x: tensor<f32>, %w: tensor<4x3xf32>) -> tensor<3xf32> {
  %0 = quant.matmul %x, %w : (tensor<f32>, tensor<4x3xf32>) -> tensor<3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.matmul' left operand must have rank >= 1, got a scalar{{$}}
  func.return %0 : tensor<3xf32>
}

// -----

// A type that the op's operand constraint rejects while the custom format is parsed.
func.func @memref_operand(%x: memref<1x3xf32>) -> tensor<1x3xf32> {
  %0 = quant.relu %x : (memref<1x3xf32>) -> tensor<1x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: {{.*}}memref<1x3xf32>{{.*}}
  func.return %0 : tensor<1x3xf32>
}

// -----

func.func @pad_rank(%x: tensor<4x4x3xf32>) -> tensor<6x4x3xf32> {
  %0 = quant.pad %x {pads = array<i64: 1, 0, 1, 0>} : (tensor<4x4x3xf32>) -> tensor<6x4x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.pad' expects a 4-D NHWC tensor, got [4, 4, 3]{{$}}
  func.return %0 : tensor<6x4x3xf32>
}

// -----

func.func @pad_negative(%x: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %0 = quant.pad %x {pads = array<i64: 1, 0, -1, 0>} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.pad' needs 4 pads >= 0 ([top, left, bottom, right]), got [1, 0, -1, 0]{{$}}
  func.return %0 : tensor<1x4x4x3xf32>
}

// -----

// In {-1, +1} there is no 0 to pad with: the result is si2.
func.func @pad_bipolar_with_zero(%x: tensor<1x4x4x3x!quant.bipolar>) -> tensor<1x6x6x3x!quant.bipolar> {
  %0 = quant.pad %x {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x3x!quant.bipolar>) -> tensor<1x6x6x3x!quant.bipolar>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.pad' result element type must be si2 for a !quant.bipolar input padded with 0, got !quant.bipolar{{$}}
  func.return %0 : tensor<1x6x6x3x!quant.bipolar>
}

// -----

func.func @pad_bipolar_with_two(%x: tensor<1x4x4x3x!quant.bipolar>) -> tensor<1x6x6x3xsi3> {
  %0 = quant.pad %x {pads = array<i64: 1, 1, 1, 1>, value = 2.0 : f64} : (tensor<1x4x4x3x!quant.bipolar>) -> tensor<1x6x6x3xsi3>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.pad' pad value 2 is not a value of !quant.bipolar (-1 and +1 (or 0, padded to si2)){{$}}
  func.return %0 : tensor<1x6x6x3xsi3>
}

// -----

func.func @pad_value_out_of_range(%x: tensor<1x4x4x3xui2>) -> tensor<1x6x6x3xui2> {
  %0 = quant.pad %x {pads = array<i64: 1, 1, 1, 1>, value = 4.0 : f64} : (tensor<1x4x4x3xui2>) -> tensor<1x6x6x3xui2>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.pad' pad value 4 is not a value of ui2 ([0, 3]){{$}}
  func.return %0 : tensor<1x6x6x3xui2>
}

// -----

func.func @pad_shape(%x: tensor<1x4x4x3xf32>) -> tensor<1x6x4x3xf32> {
  %0 = quant.pad %x {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x3xf32>) -> tensor<1x6x4x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.pad' result shape [1, 6, 4, 3] does not match the expected shape [1, 6, 6, 3]{{$}}
  func.return %0 : tensor<1x6x4x3xf32>
}

// -----

func.func @sliding_window_strides(%x: tensor<1x4x4x3xf32>) -> tensor<1x2x2x27xf32> {
  %0 = quant.sliding_window %x {kernel = array<i64: 3, 3>, strides = array<i64: 0, 1>} : (tensor<1x4x4x3xf32>) -> tensor<1x2x2x27xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.sliding_window' needs 2 kernel sizes and 2 strides, all >= 1, got [3, 3] and [0, 1]{{$}}
  func.return %0 : tensor<1x2x2x27xf32>
}

// -----

func.func @sliding_window_too_big(%x: tensor<1x4x4x3xf32>) -> tensor<1x0x0x75xf32> {
  %0 = quant.sliding_window %x {kernel = array<i64: 5, 5>, strides = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>) -> tensor<1x0x0x75xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.sliding_window' window is larger than the padded input (the output would be 0x0); use a smaller kernel or more padding{{$}}
  func.return %0 : tensor<1x0x0x75xf32>
}

// -----

// The window vector holds KH*KW*C = 27 elements, not 9.
func.func @sliding_window_vector(%x: tensor<1x4x4x3xf32>) -> tensor<1x2x2x9xf32> {
  %0 = quant.sliding_window %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>) -> tensor<1x2x2x9xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.sliding_window' result shape [1, 2, 2, 9] does not match the expected shape [1, 2, 2, 27]{{$}}
  func.return %0 : tensor<1x2x2x9xf32>
}

// -----

func.func @maxpool_layout(%x: tensor<1x4x4x3xf32>) -> tensor<1x2x2x3xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, data_layout = "NWHC"} : (tensor<1x4x4x3xf32>) -> tensor<1x2x2x3xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' data_layout 'NWHC' is not one of NCHW, NHWC{{$}}
  func.return %0 : tensor<1x2x2x3xf32>
}

// -----

// Channels-last: the pooled axes are 1 and 2, the channels stay last.
func.func @maxpool_nhwc_shape(%x: tensor<1x4x6x3xf32>) -> tensor<1x2x3x2xf32> {
  %0 = quant.maxpool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, data_layout = "NHWC"} : (tensor<1x4x6x3xf32>) -> tensor<1x2x3x2xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.maxpool' result shape [1, 2, 3, 2] does not match the expected shape [1, 2, 3, 3]{{$}}
  func.return %0 : tensor<1x2x3x2xf32>
}

// -----

// Constant quantizer parameters: the values are checked, not only the shapes.
func.func @int_quant_scale_zero(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<0.0> : tensor<f32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' scale must be finite and > 0, got 0{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// NaN, written as the bytes of a float32 (printed NaNs do not parse back as NaN).
func.func @int_quant_scale_nan_per_channel(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<"0x0000003F0000003F0000C07F0000003F"> : tensor<1x4xf32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' scale must be finite and > 0, got nan at index [0, 2]{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_scale_negative(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<-0.5> : tensor<f32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' scale must be finite and > 0, got -0.5{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_scale_subnormal(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<1.0e-40> : tensor<f32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' scale 9.9999461e-41 is below float32's smallest normal number 1.1754944e-38: x / scale overflows and the scale has lost precision; use a larger scale{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// The level -128 of an 8-bit signed quantizer times 3e38 is beyond float32.
func.func @int_quant_scale_overflows(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<3.0e+38> : tensor<f32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 8 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' scale 3e+38 times the largest level magnitude 128 is 3.84e+40, which overflows float32; quantized magnitudes are limited to 2^32 (4294967296): use a smaller scale or fewer bits{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// A bipolar quantizer's largest output is the scale itself.
func.func @bipolar_quant_scale_too_large(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<1.0e+10> : tensor<f32>
  %0 = quant.bipolar_quant %x, %s : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.bipolar_quant' scale 1e+10 times the largest level magnitude 1 is 1e+10, which leaves too little float32 range for the products and sums of the layers after it; quantized magnitudes are limited to 2^32 (4294967296): use a smaller scale or fewer bits{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_zeropt_fraction(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<0.5> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' zero point must be an integer, got 0.5{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @int_quant_zeropt_infinite(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<"0x0000807F"> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' zero point must be finite, got inf{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// A narrow unsigned 4-bit quantizer has the levels 0 to 14.
func.func @int_quant_zeropt_out_of_range(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<15.0> : tensor<f32>
  %0 = quant.int_quant %x, %s, %z {bitwidth = 4 : i64, signed = false, narrow = true} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.int_quant' zero point 15 is outside [0, 14], the levels of a 4-bit unsigned narrow quantizer; the zero point must be one of the levels{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @bipolar_quant_scale_infinite(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<"0x0000807F"> : tensor<f32>
  %0 = quant.bipolar_quant %x, %s : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.bipolar_quant' scale must be finite and > 0, got inf{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_zeropt_fraction(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<0.25> : tensor<f32>
  %z = arith.constant dense<1.5> : tensor<f32>
  %0 = quant.trunc %x, %s, %z {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' zero point must be an integer, got 1.5{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @trunc_out_scale_zero(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %s = arith.constant dense<0.25> : tensor<f32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %o = arith.constant dense<0.0> : tensor<f32>
  %0 = quant.trunc %x, %s, %z out_scale %o {in_bitwidth = 8 : i64, out_bitwidth = 4 : i64} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.trunc' out_scale must be finite and > 0, got 0{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

// +-inf thresholds are levels always or never reached; NaN is neither.
func.func @multithreshold_nan(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %t = arith.constant dense<"0x000080FF0000C07F0000807F"> : tensor<1x3xf32>
  %0 = quant.multithreshold %x, %t : (tensor<1x4xf32>, tensor<1x3xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' thresholds must not be NaN, got NaN at index [0, 1]; +-inf are allowed{{$}}
  func.return %0 : tensor<1x4xf32>
}

// -----

func.func @multithreshold_out_scale_overflows(%x: tensor<1x4xf32>, %t: tensor<1x3xf32>) -> tensor<1x4xf32> {
  %0 = quant.multithreshold %x, %t {out_scale = 1.0e+300 : f64} : (tensor<1x4xf32>, tensor<1x3xf32>) -> tensor<1x4xf32>
// CHECK: invalid.mlir:[[# @LINE - 1]]:3: error: 'quant.multithreshold' out_scale must be a finite number, got 1e+300, which overflows float32{{$}}
  func.return %0 : tensor<1x4xf32>
}
