// RUN: qnn-opt %s --split-input-file --verify-diagnostics | filecheck %s
// RUN: qnn-opt %s --split-input-file --verify-diagnostics | not grep builtin.module

// One case per verifier error of the dataflow dialect. Layer ops are
// verified on their own here (inside a func taking streams) to keep each
// case short; ops.mlir shows them inside accelerators. The second RUN line
// fails if any case verifies (a verified chunk is printed as a module).

// === stream type

func.func @fold_does_not_divide(%s: !dataflow.stream<1x784xsi4, 48>) {
  func.return
}
// CHECK: error: '!dataflow.stream' fold (48) must be >= 1 and divide the innermost dimension (784): choose among 1, 2, 4, 7, 8, 14, 16, 28, 49,

// -----

func.func @fold_zero(%s: !dataflow.stream<1x10xsi4, 0>) {
  func.return
}
// CHECK: error: '!dataflow.stream' fold (0) must be >= 1 and divide the innermost dimension (10)

// -----

func.func @bad_element(%s: !dataflow.stream<1x10xindex, 1>) {
  func.return
}
// CHECK: error: '!dataflow.stream' element type index is not supported: expected an integer (si4, ui2, i32, ...), !quant.bipolar or a float

// -----

func.func @dynamic_dim(%s: !dataflow.stream<?x10xsi4, 1>) {
  func.return
}
// CHECK: error: '!dataflow.stream' shape ?x10 must be static, non-empty and have every dim >= 1

// -----

// === accelerator

func.func @no_output(%x: tensor<1x4xsi4>) {
  dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> () {
  ^bb0(%s: !dataflow.stream<1x4xsi4, 1>):
    dataflow.yield
  }
  func.return
}
// CHECK: error: 'dataflow.accelerator' @acc needs at least one input and one output tensor, got 1 and 0

// -----

func.func @arg_count(%x: tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  %y = dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  ^bb0(%s: !dataflow.stream<1x4xsi4, 1>, %t: !dataflow.stream<1x4xsi4, 1>):
    dataflow.yield %s : !dataflow.stream<1x4xsi4, 1>
  }
  func.return %y : tensor<1x4xsi4>
}
// CHECK: error: 'dataflow.accelerator' @acc has 1 operand(s) but its body has 2 block argument(s): one input stream per operand

// -----

func.func @arg_type(%x: tensor<1x4xsi4>) -> tensor<1x4xui4> {
  %y = dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> tensor<1x4xui4> {
  ^bb0(%s: !dataflow.stream<1x4xui4, 2>):
    dataflow.yield %s : !dataflow.stream<1x4xui4, 2>
  }
  func.return %y : tensor<1x4xui4>
}
// CHECK: error: 'dataflow.accelerator' @acc block argument 0 has type !dataflow.stream<1x4xui4, 2> but operand 0 is tensor<1x4xsi4>: the stream must have the tensor's shape and element type

// -----

func.func @no_yield(%x: tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  %y = dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  ^bb0(%s: !dataflow.stream<1x4xsi4, 1>):
    %t = dataflow.thresholding %s PE 1 {thresholds = dense<0> : tensor<1x1xi8>} : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x4xsi4, 1>
  }
  func.return %y : tensor<1x4xsi4>
}
// CHECK: error: 'dataflow.accelerator' @acc body must end with 'dataflow.yield'

// -----

func.func @yield_count(%x: tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  %y = dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  ^bb0(%s: !dataflow.stream<1x4xsi4, 1>):
    dataflow.yield %s, %s : !dataflow.stream<1x4xsi4, 1>, !dataflow.stream<1x4xsi4, 1>
  }
  func.return %y : tensor<1x4xsi4>
}
// CHECK: error: 'dataflow.yield' yields 2 stream(s) but the enclosing 'dataflow.accelerator' has 1 result(s)

// -----

func.func @yield_type(%x: tensor<1x4xsi4>) -> tensor<1x2xsi4> {
  %y = dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> tensor<1x2xsi4> {
  ^bb0(%s: !dataflow.stream<1x4xsi4, 1>):
    dataflow.yield %s : !dataflow.stream<1x4xsi4, 1>
  }
  func.return %y : tensor<1x2xsi4>
}
// CHECK: error: 'dataflow.yield' operand 0 has type !dataflow.stream<1x4xsi4, 1> but accelerator result 0 is tensor<1x2xsi4>: shapes and element types must match

// -----

func.func @yield_outside(%s: !dataflow.stream<1x4xsi4, 1>) {
  dataflow.yield %s : !dataflow.stream<1x4xsi4, 1>
}
// CHECK: error: 'dataflow.yield' expects parent op 'dataflow.accelerator'

// -----

// === mvau

func.func @simd_zero(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 0 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' SIMD must be >= 1, got 0

// -----

func.func @mw_simd(%in: !dataflow.stream<1x784x!quant.bipolar, 49>) {
  %o = dataflow.mvau %in MW 784 MH 64 SIMD 48 PE 16 {xnor, weights = dense<true> : tensor<784x64xi1>} : !dataflow.stream<1x784x!quant.bipolar, 49> -> !dataflow.stream<1x64xui10, 16>
  func.return
}
// CHECK: error: 'dataflow.mvau' MW (784) is not a multiple of SIMD (48): choose SIMD among the divisors of 784: 1, 2, 4, 7, 8, 14, 16, 28, 49, 56, 98, 112, 196, 392, 784

// -----

func.func @mh_pe(%in: !dataflow.stream<1x784x!quant.bipolar, 49>) {
  %o = dataflow.mvau %in MW 784 MH 64 SIMD 49 PE 12 {xnor, weights = dense<true> : tensor<784x64xi1>} : !dataflow.stream<1x784x!quant.bipolar, 49> -> !dataflow.stream<1x64xui10, 16>
  func.return
}
// CHECK: error: 'dataflow.mvau' MH (64) is not a multiple of PE (12): choose PE among the divisors of 64: 1, 2, 4, 8, 16, 32, 64

// -----

func.func @weights_shape(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<4x8xi1>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' weights shape [4, 8] does not match MW x MH = [8, 4]: one row per input, one column per output neuron

// -----

func.func @weights_float(%in: !dataflow.stream<1x8xsi4, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {weights = dense<1.0> : tensor<8x4xf32>} : !dataflow.stream<1x8xsi4, 4> -> !dataflow.stream<1x4xsi8, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' weights must have an integer element type (i1 for bipolar), got f32

// -----

func.func @input_mw(%in: !dataflow.stream<1x12x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x12x!quant.bipolar, 4> -> !dataflow.stream<1x4xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' input stream innermost dimension (12) does not match MW (8)

// -----

func.func @output_mh(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x8xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' output stream innermost dimension (8) does not match MH (4)

// -----

func.func @output_outer(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x3x4xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' output stream shape [1, 3, 4] must keep the outer dimensions of the input shape [1, 8]

// -----

func.func @output_fold(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xui4, 4>
  func.return
}
// CHECK: error: 'dataflow.mvau' output stream fold (4) must equal PE (2): an MVAU writes PE outputs per word

// -----

func.func @xnor_weights(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<1> : tensor<8x4xsi2>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' xnor mode needs !quant.bipolar inputs and i1 (bipolar) weights, got input !quant.bipolar and weights si2

// -----

func.func @xnor_input(%in: !dataflow.stream<1x8xui2, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x8xui2, 4> -> !dataflow.stream<1x4xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' xnor mode needs !quant.bipolar inputs and i1 (bipolar) weights, got input ui2 and weights i1

// -----

func.func @float_input(%in: !dataflow.stream<1x8xf32, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {weights = dense<1> : tensor<8x4xsi2>} : !dataflow.stream<1x8xf32, 4> -> !dataflow.stream<1x4xsi8, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' input element type must be an integer or !quant.bipolar, got f32

// -----

func.func @threshold_rows(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>, thresholds = dense<4> : tensor<2x1xi32>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' thresholds must have shape [4, N] or [1, N] (one row per output neuron or one shared row), got [2, 1]

// -----

func.func @threshold_float(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>, thresholds = dense<4.5> : tensor<4x1xf32>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' thresholds must have an integer element type, got f32: round them with ceil in the input's domain

// -----

func.func @threshold_order(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>, thresholds = dense<[[2, 4, 6], [2, 5, 3], [1, 2, 3], [0, 0, 0]]> : tensor<4x3xi32>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xui2, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' thresholds row 1 is not ascending (T[1, 1] = 5 > T[1, 2] = 3): sort each row

// -----

func.func @bipolar_out_steps(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>, thresholds = dense<[[3, 5]]> : tensor<1x2xi32>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' a !quant.bipolar output is 2 * count - 1 and needs exactly one threshold per channel and out_bias 0, got N = 2, out_bias = 0

// -----

func.func @activation_range(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>, thresholds = dense<[[1, 3, 5]]> : tensor<1x3xi32>, out_bias = -1} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xsi2, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' activation range [out_bias, out_bias + N] = [-1, 2] does not fit the output element type si2 [-2, 1]: use si3 or change out_bias

// -----

func.func @accumulator_not_integer(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' without thresholds outputs the accumulator: the output element type must be an integer, got !quant.bipolar

// -----

func.func @bias_without_thresholds(%in: !dataflow.stream<1x8x!quant.bipolar, 4>) {
  %o = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>, out_bias = -1} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xsi8, 2>
  func.return
}
// CHECK: error: 'dataflow.mvau' out_bias (-1) is added to the threshold count; without thresholds it must be 0

// -----

func.func @accumulator_range(%in: !dataflow.stream<1x784xsi2, 49>) {
  %o = dataflow.mvau %in MW 784 MH 64 SIMD 49 PE 16 {weights = dense<-2> : tensor<784x64xsi2>} : !dataflow.stream<1x784xsi2, 49> -> !dataflow.stream<1x64xsi8, 16>
  func.return
}
// CHECK: error: 'dataflow.mvau' accumulator range [-1568, 3136] does not fit the output element type si8 [-128, 127]: use si13 or wider

// -----

// === thresholding

func.func @channels_pe_op(%in: !dataflow.stream<1x12xsi8, 4>) {
  %o = dataflow.thresholding %in PE 8 {thresholds = dense<0> : tensor<1x1xi8>} : !dataflow.stream<1x12xsi8, 4> -> !dataflow.stream<1x12x!quant.bipolar, 4>
  func.return
}
// CHECK: error: 'dataflow.thresholding' channels (12) is not a multiple of PE (8): choose PE among the divisors of 12: 1, 2, 3, 4, 6, 12

// -----

func.func @thresholding_shape(%in: !dataflow.stream<1x12xsi8, 4>) {
  %o = dataflow.thresholding %in PE 4 {thresholds = dense<0> : tensor<1x1xi8>} : !dataflow.stream<1x12xsi8, 4> -> !dataflow.stream<1x8x!quant.bipolar, 4>
  func.return
}
// CHECK: error: 'dataflow.thresholding' output stream innermost dimension (8) does not match the input channels (12)

// -----

func.func @thresholding_output_fold(%in: !dataflow.stream<1x12xsi8, 4>) {
  %o = dataflow.thresholding %in PE 4 {thresholds = dense<0> : tensor<1x1xi8>} : !dataflow.stream<1x12xsi8, 4> -> !dataflow.stream<1x12x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.thresholding' output stream fold (2) must equal PE (4): thresholding writes PE channels per word

// -----

func.func @thresholding_rows(%in: !dataflow.stream<1x12xsi8, 4>) {
  %o = dataflow.thresholding %in PE 4 {thresholds = dense<0> : tensor<4x1xi8>} : !dataflow.stream<1x12xsi8, 4> -> !dataflow.stream<1x12x!quant.bipolar, 4>
  func.return
}
// CHECK: error: 'dataflow.thresholding' thresholds must have shape [12, N] or [1, N] (one row per channel or one shared row), got [4, 1]

// -----

func.func @thresholding_range(%in: !dataflow.stream<1x12xsi8, 4>) {
  %o = dataflow.thresholding %in PE 4 {thresholds = dense<[[-1, 0, 1, 2]]> : tensor<1x4xi8>} : !dataflow.stream<1x12xsi8, 4> -> !dataflow.stream<1x12xui2, 4>
  func.return
}
// CHECK: error: 'dataflow.thresholding' activation range [out_bias, out_bias + N] = [0, 4] does not fit the output element type ui2 [0, 3]: use ui3 or change out_bias

// -----

// === label_select

func.func @labels_pe(%in: !dataflow.stream<1x10xsi8, 5>) {
  %o = dataflow.label_select %in K 1 PE 4 : !dataflow.stream<1x10xsi8, 5> -> !dataflow.stream<1x1xui32, 1>
  func.return
}
// CHECK: error: 'dataflow.label_select' Labels (10) is not a multiple of PE (4): choose PE among the divisors of 10: 1, 2, 5, 10

// -----

func.func @k_zero(%in: !dataflow.stream<1x10xsi8, 5>) {
  %o = dataflow.label_select %in K 0 PE 5 : !dataflow.stream<1x10xsi8, 5> -> !dataflow.stream<1x1xui32, 1>
  func.return
}
// CHECK: error: 'dataflow.label_select' K must be >= 1, got 0

// -----

func.func @k_too_large(%in: !dataflow.stream<1x10xsi8, 5>) {
  %o = dataflow.label_select %in K 11 PE 5 : !dataflow.stream<1x10xsi8, 5> -> !dataflow.stream<1x11xui32, 1>
  func.return
}
// CHECK: error: 'dataflow.label_select' K (11) exceeds the number of labels (10)

// -----

func.func @label_output_k(%in: !dataflow.stream<1x10xsi8, 5>) {
  %o = dataflow.label_select %in K 3 PE 5 : !dataflow.stream<1x10xsi8, 5> -> !dataflow.stream<1x1xui32, 1>
  func.return
}
// CHECK: error: 'dataflow.label_select' output stream innermost dimension (1) does not match K (3)

// -----

func.func @label_output_fold(%in: !dataflow.stream<1x10xsi8, 5>) {
  %o = dataflow.label_select %in K 2 PE 5 : !dataflow.stream<1x10xsi8, 5> -> !dataflow.stream<1x2xui32, 2>
  func.return
}
// CHECK: error: 'dataflow.label_select' output stream fold (2) must equal 1: label_select writes one index per word

// -----

func.func @label_output_type(%in: !dataflow.stream<1x10xsi8, 5>) {
  %o = dataflow.label_select %in K 1 PE 5 : !dataflow.stream<1x10xsi8, 5> -> !dataflow.stream<1x1xui2, 1>
  func.return
}
// CHECK: error: 'dataflow.label_select' output element type ui2 cannot hold label indices 0..9: use an integer type such as i32 or ui4

// -----

// === the input quantizer: thresholding on f32

func.func @float_input_integer_thresholds(%in: !dataflow.stream<1x8xf32, 2>) {
  %o = dataflow.thresholding %in PE 2 {thresholds = dense<0> : tensor<1x1xi32>} : !dataflow.stream<1x8xf32, 2> -> !dataflow.stream<1x8x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.thresholding' thresholds of a f32 input must be f32, got i32: x >= T compares in the input's float type

// -----

func.func @float_thresholds_nan(%in: !dataflow.stream<1x8xf32, 2>) {
  %o = dataflow.thresholding %in PE 2 {thresholds = dense<"0x0000C07F"> : tensor<1x1xf32>} : !dataflow.stream<1x8xf32, 2> -> !dataflow.stream<1x8x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.thresholding' thresholds must not be NaN

// -----

func.func @float_thresholds_order(%in: !dataflow.stream<1x8xf32, 2>) {
  %o = dataflow.thresholding %in PE 2 {thresholds = dense<[[0.5, -0.5]]> : tensor<1x2xf32>} : !dataflow.stream<1x8xf32, 2> -> !dataflow.stream<1x8xui2, 2>
  func.return
}
// CHECK: error: 'dataflow.thresholding' thresholds row 0 is not ascending (T[0, 0] = 0.5 > T[0, 1] = -0.5): sort each row

// -----

// === layer names

func.func @name_not_identifier(%in: !dataflow.stream<1x10xsi8, 5>) {
  %o = dataflow.label_select %in K 1 PE 5 {name = "top-1"} : !dataflow.stream<1x10xsi8, 5> -> !dataflow.stream<1x1xui32, 1>
  func.return
}
// CHECK: error: 'dataflow.label_select' name "top-1" must be a dotted identifier ([A-Za-z_][A-Za-z0-9_.]*): it keys folding configs and names the C++ objects

// -----

func.func @duplicate_names(%x: tensor<1x4xsi4>) -> tensor<1x4x!quant.bipolar> {
  %y = dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> tensor<1x4x!quant.bipolar> {
  ^bb0(%s: !dataflow.stream<1x4xsi4, 1>):
    %a = dataflow.thresholding %s PE 1 {name = "act", thresholds = dense<0> : tensor<1x1xi8>} : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x4xui1, 1>
    %b = dataflow.thresholding %a PE 1 {name = "act", thresholds = dense<1> : tensor<1x1xi8>} : !dataflow.stream<1x4xui1, 1> -> !dataflow.stream<1x4x!quant.bipolar, 1>
    dataflow.yield %b : !dataflow.stream<1x4x!quant.bipolar, 1>
  }
  func.return %y : tensor<1x4x!quant.bipolar>
}
// CHECK: error: 'dataflow.accelerator' @acc has two layers named "act": layer names must be unique (they key folding configs and name the C++ objects)

// -----

// === dwc

func.func @dwc_shape(%in: !dataflow.stream<1x8xsi4, 2>) {
  %o = dataflow.dwc %in : !dataflow.stream<1x8xsi4, 2> -> !dataflow.stream<1x4xsi4, 4>
  func.return
}
// CHECK: error: 'dataflow.dwc' output shape [1, 4] must equal the input shape [1, 8]: a converter only re-packs words

// -----

func.func @dwc_element(%in: !dataflow.stream<1x8xsi4, 2>) {
  %o = dataflow.dwc %in : !dataflow.stream<1x8xsi4, 2> -> !dataflow.stream<1x8xui4, 4>
  func.return
}
// CHECK: error: 'dataflow.dwc' output element type ui4 must equal the input element type si4: a converter only re-packs words

// -----

func.func @dwc_same_fold(%in: !dataflow.stream<1x8xsi4, 2>) {
  %o = dataflow.dwc %in : !dataflow.stream<1x8xsi4, 2> -> !dataflow.stream<1x8xsi4, 2>
  func.return
}
// CHECK: error: 'dataflow.dwc' input and output fold are both 2: the converter does nothing, remove it

// -----

func.func @dwc_not_multiples(%in: !dataflow.stream<1x784x!quant.bipolar, 16>) {
  %o = dataflow.dwc %in : !dataflow.stream<1x784x!quant.bipolar, 16> -> !dataflow.stream<1x784x!quant.bipolar, 49>
  func.return
}
// CHECK: error: 'dataflow.dwc' folds 16 and 49 are not multiples of each other: convert through their least common multiple with two converters

// -----

func.func @dwc_fold_divides(%in: !dataflow.stream<1x10xsi4, 2>) {
  %o = dataflow.dwc %in : !dataflow.stream<1x10xsi4, 2> -> !dataflow.stream<1x10xsi4, 4>
  func.return
}
// CHECK: error: '!dataflow.stream' fold (4) must be >= 1 and divide the innermost dimension (10): choose among 1, 2, 5, 10

// -----

// === boundary ops

func.func @to_stream_type(%x: tensor<1x8xsi4>) {
  %s = dataflow.to_stream %x : tensor<1x8xsi4> -> !dataflow.stream<1x8xui4, 1>
  func.return
}
// CHECK: error: 'dataflow.to_stream' stream !dataflow.stream<1x8xui4, 1> and tensor tensor<1x8xsi4> must have the same shape and element type

// -----

func.func @from_stream_shape(%s: !dataflow.stream<1x8xsi4, 2>) {
  %x = dataflow.from_stream %s : !dataflow.stream<1x8xsi4, 2> -> tensor<8xsi4>
  func.return
}
// CHECK: error: 'dataflow.from_stream' stream !dataflow.stream<1x8xsi4, 2> and tensor tensor<8xsi4> must have the same shape and element type

// -----

func.func @boundary_inside(%x: tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  %y = dataflow.accelerator @acc(%x) : (tensor<1x4xsi4>) -> tensor<1x4xsi4> {
  ^bb0(%s: !dataflow.stream<1x4xsi4, 1>):
    %t = dataflow.from_stream %s : !dataflow.stream<1x4xsi4, 1> -> tensor<1x4xsi4>
    dataflow.yield %s : !dataflow.stream<1x4xsi4, 1>
  }
  func.return %y : tensor<1x4xsi4>
}
// CHECK: error: 'dataflow.from_stream' cannot be inside a 'dataflow.accelerator': the accelerator's operands and results are its tensor boundary

// -----

// === feature-map layers (sliding_window, pad, maxpool) and the reshape view

func.func @window_not_nhwc(%s: !dataflow.stream<1x36x2xui4, 2>) {
  %0 = dataflow.sliding_window %s SIMD 2 {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>} : !dataflow.stream<1x36x2xui4, 2> -> !dataflow.stream<1x4x4x18xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.sliding_window' input stream must be an NHWC feature map [1, H, W, C], got [1, 36, 2]

// -----

func.func @window_too_large(%s: !dataflow.stream<1x2x6x2xui4, 2>) {
  %0 = dataflow.sliding_window %s SIMD 2 {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>} : !dataflow.stream<1x2x6x2xui4, 2> -> !dataflow.stream<1x1x4x18xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.sliding_window' kernel [3, 3] is larger than the 2x6 input

// -----

func.func @window_output_size(%s: !dataflow.stream<1x6x6x2xui4, 2>) {
  %0 = dataflow.sliding_window %s SIMD 2 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : !dataflow.stream<1x6x6x2xui4, 2> -> !dataflow.stream<1x4x4x18xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.sliding_window' output is 4x4 pixels; kernel [3, 3] and strides [2, 2] on 6x6 give 2x2

// -----

func.func @window_simd(%s: !dataflow.stream<1x6x6x6xui4, 4>) {
  %0 = dataflow.sliding_window %s SIMD 4 {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>} : !dataflow.stream<1x6x6x6xui4, 4> -> !dataflow.stream<1x4x4x54xui4, 4>
  func.return
}
// CHECK: '!dataflow.stream' fold (4) must be >= 1 and divide the innermost dimension (6)

// -----

func.func @window_vector(%s: !dataflow.stream<1x6x6x2xui4, 2>) {
  %0 = dataflow.sliding_window %s SIMD 2 {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>} : !dataflow.stream<1x6x6x2xui4, 2> -> !dataflow.stream<1x4x4x16xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.sliding_window' output stream has 16 elements per pixel, expected 18

// -----

func.func @window_kernel_rank(%s: !dataflow.stream<1x6x6x2xui4, 2>) {
  %0 = dataflow.sliding_window %s SIMD 2 {kernel = array<i64: 3>, strides = array<i64: 1, 1>} : !dataflow.stream<1x6x6x2xui4, 2> -> !dataflow.stream<1x4x4x6xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.sliding_window' needs 2 kernel sizes and 2 strides, all >= 1, got [3] and [1, 1]

// -----

func.func @pad_value(%s: !dataflow.stream<1x4x4x2xui4, 2>) {
  %0 = dataflow.pad %s SIMD 2 {pads = array<i64: 1, 1, 1, 1>, value = -1 : i64} : !dataflow.stream<1x4x4x2xui4, 2> -> !dataflow.stream<1x6x6x2xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.pad' pad value -1 is not a value of ui4 ([0, 15])

// -----

func.func @pad_bipolar_zero(%s: !dataflow.stream<1x4x4x2x!quant.bipolar, 2>) {
  %0 = dataflow.pad %s SIMD 2 {pads = array<i64: 1, 1, 1, 1>, value = 0 : i64} : !dataflow.stream<1x4x4x2x!quant.bipolar, 2> -> !dataflow.stream<1x6x6x2x!quant.bipolar, 2>
  func.return
}
// CHECK: error: 'dataflow.pad' output element type must be si2 for a !quant.bipolar input, got !quant.bipolar

// -----

func.func @pad_bipolar_two(%s: !dataflow.stream<1x4x4x2x!quant.bipolar, 2>) {
  %0 = dataflow.pad %s SIMD 2 {pads = array<i64: 1, 1, 1, 1>, value = 2 : i64} : !dataflow.stream<1x4x4x2x!quant.bipolar, 2> -> !dataflow.stream<1x6x6x2xsi3, 2>
  func.return
}
// CHECK: error: 'dataflow.pad' cannot pad a !quant.bipolar stream with 2: it holds only -1 and +1 (0 pads it into si2)

// -----

func.func @pad_shape(%s: !dataflow.stream<1x4x4x2xui4, 2>) {
  %0 = dataflow.pad %s SIMD 2 {pads = array<i64: 1, 1, 1, 0>, value = 0 : i64} : !dataflow.stream<1x4x4x2xui4, 2> -> !dataflow.stream<1x6x6x2xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.pad' output is 6x6 pixels; pads [1, 1, 1, 0] on 4x4 give 6x5

// -----

func.func @pad_fold(%s: !dataflow.stream<1x4x4x2xui4, 2>) {
  %0 = dataflow.pad %s SIMD 2 {pads = array<i64: 1, 1, 1, 1>, value = 0 : i64} : !dataflow.stream<1x4x4x2xui4, 2> -> !dataflow.stream<1x6x6x2xui4, 1>
  func.return
}
// CHECK: error: 'dataflow.pad' output stream fold (1) must equal SIMD (2): the layer writes the channel words it reads

// -----

func.func @maxpool_stride_over_kernel(%s: !dataflow.stream<1x8x8x2xui4, 2>) {
  %0 = dataflow.maxpool %s PE 2 {kernel = array<i64: 2, 2>, strides = array<i64: 3, 3>} : !dataflow.stream<1x8x8x2xui4, 2> -> !dataflow.stream<1x3x3x2xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.maxpool' strides [3, 3] exceed the kernel [2, 2]: pixels between the windows would be skipped, which the layer does not implement

// -----

func.func @maxpool_element_type(%s: !dataflow.stream<1x8x8x2xui4, 2>) {
  %0 = dataflow.maxpool %s PE 2 {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : !dataflow.stream<1x8x8x2xui4, 2> -> !dataflow.stream<1x4x4x2xui5, 2>
  func.return
}
// CHECK: error: 'dataflow.maxpool' output element type ui5 must equal the input element type ui4

// -----

func.func @reshape_count(%s: !dataflow.stream<1x2x2x4xui4, 4>) {
  %0 = dataflow.reshape %s : !dataflow.stream<1x2x2x4xui4, 4> -> !dataflow.stream<1x12xui4, 4>
  func.return
}
// CHECK: error: 'dataflow.reshape' cannot view [1, 2, 2, 4] as [1, 12]: the batch dimension and the number of elements must stay

// -----

func.func @reshape_fold(%s: !dataflow.stream<1x2x2x4xui4, 4>) {
  %0 = dataflow.reshape %s : !dataflow.stream<1x2x2x4xui4, 4> -> !dataflow.stream<1x8x2xui4, 2>
  func.return
}
// CHECK: error: 'dataflow.reshape' output fold (2) must equal the input fold (4): a view keeps the words
