// RUN: qnn-opt %s -p quant-canonicalize | filecheck %s

// quant-canonicalize: identity layout ops and neutral arithmetic go, constant
// transposes fold, dead pure ops are erased; everything else must stay. The
// CHECK-NEXT chains pin the whole function body.

// -----------------------------------------------------------------------------
// RemoveIdentityLayoutOps
// -----------------------------------------------------------------------------

// CHECK-LABEL: func.func @identity_reshape
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xf32>)
// CHECK-NEXT: func.return %[[X]] : tensor<1x4xf32>
func.func @identity_reshape(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = quant.reshape %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// CHECK-LABEL: func.func @identity_transpose
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x3x2xsi4>)
// CHECK-NEXT: func.return %[[X]] : tensor<1x3x2xsi4>
func.func @identity_transpose(%x: tensor<1x3x2xsi4>) -> tensor<1x3x2xsi4> {
  %0 = quant.transpose %x {perm = array<i64: 0, 1, 2>} : (tensor<1x3x2xsi4>) -> tensor<1x3x2xsi4>
  func.return %0 : tensor<1x3x2xsi4>
}

// Back to NCHW, then into NHWC again (two lowered convolutions in a row): nothing.
// CHECK-LABEL: func.func @transposes_cancel
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4x4x3xf32>)
// CHECK-NEXT: func.return %[[X]] : tensor<1x4x4x3xf32>
func.func @transposes_cancel(%x: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %nchw = quant.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  %nhwc = quant.transpose %nchw {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x4x4xf32>) -> tensor<1x4x4x3xf32>
  func.return %nhwc : tensor<1x4x4x3xf32>
}

// Two transposes that do not cancel are one: result[i] = x[p[q[i]]].
// CHECK-LABEL: func.func @transposes_compose
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = quant.transpose %[[X]] {perm = array<i64: 0, 3, 2, 1>} : (tensor<1x2x3x4xf32>) -> tensor<1x4x3x2xf32>
// CHECK-NEXT: func.return %[[T]] : tensor<1x4x3x2xf32>
func.func @transposes_compose(%x: tensor<1x2x3x4xf32>) -> tensor<1x4x3x2xf32> {
  %a = quant.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x3x4xf32>) -> tensor<1x3x4x2xf32>
  %b = quant.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x3x4x2xf32>) -> tensor<1x4x3x2xf32>
  func.return %b : tensor<1x4x3x2xf32>
}

// The inner transpose stays when something else reads it.
// CHECK-LABEL: func.func @transpose_shared
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4x4x3xf32>)
// CHECK-NEXT: %[[A:.*]] = quant.transpose %[[X]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT: %[[R:.*]] = quant.relu %[[A]]
// CHECK-NEXT: func.return %[[X]], %[[R]]
func.func @transpose_shared(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x3xf32>, tensor<1x3x4x4xf32>) {
  %nchw = quant.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  %nhwc = quant.transpose %nchw {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x4x4xf32>) -> tensor<1x4x4x3xf32>
  %r = quant.relu %nchw : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  func.return %nhwc, %r : tensor<1x4x4x3xf32>, tensor<1x3x4x4xf32>
}

// A max pool between two lowered convolutions: it pools channels-last, and the
// transposes around it meet and cancel.
// CHECK-LABEL: func.func @transposes_through_maxpool
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4x4x3xf32>)
// CHECK-NEXT: %[[P:.*]] = quant.maxpool %[[X]] {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, data_layout = "NHWC"} : (tensor<1x4x4x3xf32>) -> tensor<1x2x2x3xf32>
// CHECK-NEXT: func.return %[[P]] : tensor<1x2x2x3xf32>
func.func @transposes_through_maxpool(%x: tensor<1x4x4x3xf32>) -> tensor<1x2x2x3xf32> {
  %nchw = quant.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  %pool = quant.maxpool %nchw {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>
  %nhwc = quant.transpose %pool {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x2x2xf32>) -> tensor<1x2x2x3xf32>
  func.return %nhwc : tensor<1x2x2x3xf32>
}

// Without a transpose after it, the transpose still moves below the pool (3x3,
// stride 2, padded: the rule is the same channels-last).
// CHECK-LABEL: func.func @transpose_below_maxpool
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x5x5x2xf32>)
// CHECK-NEXT: %[[P:.*]] = quant.maxpool %[[X]] {{.*}}data_layout = "NHWC"} : (tensor<1x5x5x2xf32>) -> tensor<1x3x3x2xf32>
// CHECK-NEXT: %[[T:.*]] = quant.transpose %[[P]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
// CHECK-NEXT: func.return %[[T]] : tensor<1x2x3x3xf32>
func.func @transpose_below_maxpool(%x: tensor<1x5x5x2xf32>) -> tensor<1x2x3x3xf32> {
  %nchw = quant.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x5x5x2xf32>) -> tensor<1x2x5x5xf32>
  %pool = quant.maxpool %nchw {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32>
  func.return %pool : tensor<1x2x3x3xf32>
}

// A reshape that changes the shape stays.
// CHECK-LABEL: func.func @reshape_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x1x2x2xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.reshape %[[X]] : (tensor<1x1x2x2xf32>) -> tensor<1x4xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<1x4xf32>
func.func @reshape_kept(%x: tensor<1x1x2x2xf32>) -> tensor<1x4xf32> {
  %0 = quant.reshape %x : (tensor<1x1x2x2xf32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// Same type, but not the identity permutation: the elements move, so it stays.
// CHECK-LABEL: func.func @square_transpose_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x2xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.transpose %[[X]] {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<2x2xf32>
func.func @square_transpose_kept(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %0 = quant.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  func.return %0 : tensor<2x2xf32>
}

// -----------------------------------------------------------------------------
// RemoveNeutralArithmetic
// -----------------------------------------------------------------------------

// x + (-0.0), x - 0, x * 1 and x / 1 with splat constants that broadcast to
// x's shape; the constants die with their users.
// CHECK-LABEL: func.func @neutral_arithmetic
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xf32>)
// CHECK-NEXT: func.return %[[X]] : tensor<1x4xf32>
func.func @neutral_arithmetic(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %zero = arith.constant dense<-0.0> : tensor<f32>
  %zeros = arith.constant dense<0.0> : tensor<1x4xf32>
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %ones = arith.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>
  %0 = quant.add %x, %zero : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
  %1 = quant.sub %0, %zeros : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %2 = quant.mul %1, %one : (tensor<1x4xf32>, tensor<1xf32>) -> tensor<1x4xf32>
  %3 = quant.div %2, %ones : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  func.return %3 : tensor<1x4xf32>
}

// Integer tensors and integer constants, as in the integer form.
// CHECK-LABEL: func.func @neutral_integer
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xsi8>)
// CHECK-NEXT: func.return %[[X]] : tensor<1x4xsi8>
func.func @neutral_integer(%x: tensor<1x4xsi8>) -> tensor<1x4xsi8> {
  %zero = arith.constant dense<0> : tensor<si8>
  %one = arith.constant dense<1> : tensor<si8>
  %0 = quant.add %x, %zero : (tensor<1x4xsi8>, tensor<si8>) -> tensor<1x4xsi8>
  %1 = quant.mul %0, %one : (tensor<1x4xsi8>, tensor<si8>) -> tensor<1x4xsi8>
  func.return %1 : tensor<1x4xsi8>
}

// x + 0 that broadcasts x from (4) to (3, 4) is not x.
// CHECK-LABEL: func.func @add_zero_broadcasts_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4xf32>)
// CHECK-NEXT: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<3x4xf32>
// CHECK-NEXT: %[[R:.*]] = quant.add %[[X]], %[[Z]] : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<3x4xf32>
func.func @add_zero_broadcasts_kept(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  %zeros = arith.constant dense<0.0> : tensor<3x4xf32>
  %0 = quant.add %x, %zeros : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}

// x * 1 that turns si4 into f32 changes the type: it stays.
// CHECK-LABEL: func.func @mul_one_changes_type_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xsi4>)
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[R:.*]] = quant.mul %[[X]], %[[ONE]] : (tensor<1x4xsi4>, tensor<f32>) -> tensor<1x4xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<1x4xf32>
func.func @mul_one_changes_type_kept(%x: tensor<1x4xsi4>) -> tensor<1x4xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %0 = quant.mul %x, %one : (tensor<1x4xsi4>, tensor<f32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// Not neutral: x - 1, x * 2, x / 1 with a non-splat divisor, x + y with y unknown.
// CHECK-LABEL: func.func @not_neutral_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2xf32>, %[[Y:[^:]*]]: tensor<1x2xf32>)
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[TWO:.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[MIXED:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: %[[A:.*]] = quant.sub %[[X]], %[[ONE]] : (tensor<1x2xf32>, tensor<f32>) -> tensor<1x2xf32>
// CHECK-NEXT: %[[B:.*]] = quant.mul %[[A]], %[[TWO]] : (tensor<1x2xf32>, tensor<f32>) -> tensor<1x2xf32>
// CHECK-NEXT: %[[C:.*]] = quant.div %[[B]], %[[MIXED]] : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT: %[[D:.*]] = quant.add %[[C]], %[[Y]] : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT: func.return %[[D]] : tensor<1x2xf32>
func.func @not_neutral_kept(%x: tensor<1x2xf32>, %y: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %mixed = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = quant.sub %x, %one : (tensor<1x2xf32>, tensor<f32>) -> tensor<1x2xf32>
  %1 = quant.mul %0, %two : (tensor<1x2xf32>, tensor<f32>) -> tensor<1x2xf32>
  %2 = quant.div %1, %mixed : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %3 = quant.add %2, %y : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  func.return %3 : tensor<1x2xf32>
}

// -----------------------------------------------------------------------------
// FoldConstantLayoutOps
// -----------------------------------------------------------------------------

// A transposed weight matrix (Gemm with transB) becomes a constant.
// CHECK-LABEL: func.func @fold_constant_transpose
// CHECK-NEXT: %[[W:.*]] = arith.constant dense<{{\[\[}}1, 4], [2, 5], [3, 6]]> : tensor<3x2xsi4>
// CHECK-NEXT: func.return %[[W]] : tensor<3x2xsi4>
func.func @fold_constant_transpose() -> tensor<3x2xsi4> {
  %w = arith.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xsi4>
  %0 = quant.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x3xsi4>) -> tensor<3x2xsi4>
  func.return %0 : tensor<3x2xsi4>
}

// The original constant stays while something else still uses it.
// CHECK-LABEL: func.func @fold_constant_transpose_shared
// CHECK-NEXT: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>
// CHECK-NEXT: %[[WT:.*]] = arith.constant dense<{{\[\[}}1.000000e+00], [2.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT: func.return %[[W]], %[[WT]] : tensor<1x2xf32>, tensor<2x1xf32>
func.func @fold_constant_transpose_shared() -> (tensor<1x2xf32>, tensor<2x1xf32>) {
  %w = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %0 = quant.transpose %w {perm = array<i64: 1, 0>} : (tensor<1x2xf32>) -> tensor<2x1xf32>
  func.return %w, %0 : tensor<1x2xf32>, tensor<2x1xf32>
}

// A transpose of a function argument is not a constant: it stays.
// CHECK-LABEL: func.func @transpose_of_argument_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[R:.*]] = quant.transpose %[[X]] {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<3x2xf32>
func.func @transpose_of_argument_kept(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = quant.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}

// -----------------------------------------------------------------------------
// EraseDeadPureOps
// -----------------------------------------------------------------------------

// A dead chain goes entirely: the quantizer, then its operands' producers.
// CHECK-LABEL: func.func @dead_ops
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xf32>)
// CHECK-NEXT: func.return %[[X]] : tensor<1x4xf32>
func.func @dead_ops(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %scale = arith.constant dense<5.000000e-01> : tensor<f32>
  %zeropt = arith.constant dense<0.000000e+00> : tensor<f32>
  %0 = quant.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %1 = quant.int_quant %0, %scale, %zeropt {bitwidth = 4 : i64, signed = false, narrow = false} : (tensor<1x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4xf32>
  func.return %x : tensor<1x4xf32>
}

// An op with two results stays while one of them is used.
// CHECK-LABEL: func.func @topk_partly_used_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x10xf32>)
// CHECK-NEXT: %{{.*}}, %[[I:.*]] = quant.topk %[[X]] {k = 1 : i64} : (tensor<1x10xf32>) -> (tensor<1x1xf32>, tensor<1x1xi64>)
// CHECK-NEXT: func.return %[[I]] : tensor<1x1xi64>
func.func @topk_partly_used_kept(%x: tensor<1x10xf32>) -> tensor<1x1xi64> {
  %values, %indices = quant.topk %x {k = 1 : i64} : (tensor<1x10xf32>) -> (tensor<1x1xf32>, tensor<1x1xi64>)
  func.return %indices : tensor<1x1xi64>
}

// Live quantizers and their constant operands stay.
// CHECK-LABEL: func.func @live_ops_kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xf32>)
// CHECK-NEXT: %[[S:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: %[[R:.*]] = quant.bipolar_quant %[[X]], %[[S]] : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
// CHECK-NEXT: func.return %[[R]] : tensor<1x4xf32>
func.func @live_ops_kept(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %scale = arith.constant dense<5.000000e-01> : tensor<f32>
  %0 = quant.bipolar_quant %x, %scale : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// A float x + (+0.0) stays: it turns -0.0 into +0.0, so it is not the identity.
// CHECK-LABEL: func.func @float_plus_positive_zero_stays
// CHECK: quant.add
func.func @float_plus_positive_zero_stays(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<f32>
  %0 = quant.add %x, %zero : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// A quantizer of constants that only elementwise ops read (an Int32Bias) becomes
// the constant it computes; one that a matmul reads (weights) stays, for
// quant-to-integer to read its integer levels.
// CHECK-LABEL: func.func @quantized_bias_folds
// CHECK-NEXT:  %[[B:.*]] = arith.constant dense<[1.250000e+00, -5.000000e-01]> : tensor<2xf32>
// CHECK-NEXT:  %{{.*}} = quant.add %x, %[[B]]
func.func @quantized_bias_folds(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = arith.constant dense<[1.3, -0.6]> : tensor<2xf32>
  %bs = arith.constant dense<[0.25, 0.5]> : tensor<2xf32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %bq = quant.int_quant %b, %bs, %z {bitwidth = 32 : i64, signed = true, narrow = false} : (tensor<2xf32>, tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %y = quant.add %x, %bq : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// CHECK-LABEL: func.func @weight_quantizer_kept
// CHECK:       quant.int_quant
// CHECK-NEXT:  quant.matmul
func.func @weight_quantizer_kept(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.3, -0.6], [0.2, 0.9]]> : tensor<2x2xf32>
  %s = arith.constant dense<0.25> : tensor<f32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %wq = quant.int_quant %w, %s, %z {bitwidth = 4 : i64, signed = true, narrow = false} : (tensor<2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<2x2xf32>
  %y = quant.matmul %x, %wq : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
