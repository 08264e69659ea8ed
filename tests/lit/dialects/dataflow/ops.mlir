// RUN: qnn-opt %s | qnn-opt | filecheck %s

// Round trip of every dataflow type and op: printed, parsed and printed again.

// CHECK-LABEL: func.func @stream_types
// CHECK-SAME: %{{.*}}: !dataflow.stream<1x784x!quant.bipolar, 49>
// CHECK-SAME: %{{.*}}: !dataflow.stream<1x32x32x3xui8, 3>
// CHECK-SAME: %{{.*}}: !dataflow.stream<1x10xsi4, 1>
// CHECK-SAME: %{{.*}}: !dataflow.stream<1x64xi32, 64>
// CHECK-SAME: %{{.*}}: !dataflow.stream<1x16xf32, 4>
func.func @stream_types(%a: !dataflow.stream<1x784x!quant.bipolar, 49>,
                        %b: !dataflow.stream<1x32x32x3xui8, 3>,
                        %c: !dataflow.stream<1x10xsi4, 1>,
                        %d: !dataflow.stream<1x64xi32, 64>,
                        %e: !dataflow.stream<1x16xf32, 4>) {
  func.return
}

// A binarized MLP tail: xnor-popcount MVAU with bipolar output, an integer
// MVAU without activation, a thresholding layer and label select.
// CHECK-LABEL: func.func @bnn
// CHECK: %[[Y:.*]] = dataflow.accelerator @bnn(%[[X:.*]]) : (tensor<1x8x!quant.bipolar>) -> tensor<1x2xui32> {
// CHECK-NEXT: ^{{.*}}(%[[IN:.*]]: !dataflow.stream<1x8x!quant.bipolar, 4>):
// CHECK-NEXT: %[[H:.*]] = dataflow.mvau %[[IN]] MW 8 MH 4 SIMD 4 PE 2 {xnor, weights = dense<{{\[\[}}true, false, true, false], [true, true, false, false], [false, true, true, false], [true, false, false, true], [true, true, true, true], [false, false, false, false], [true, false, true, true], [false, true, false, true]]> : tensor<8x4xi1>, thresholds = dense<{{\[\[}}4], [5], [3], [4]]> : tensor<4x1xi32>} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
// CHECK-NEXT: %[[A:.*]] = dataflow.mvau %[[H]] MW 4 MH 4 SIMD 2 PE 4 {weights = dense<{{\[\[}}1, -2, 0, 1], [-1, 1, 1, 0], [0, 0, -2, 1], [1, 1, 1, -1]]> : tensor<4x4xsi2>} : !dataflow.stream<1x4x!quant.bipolar, 2> -> !dataflow.stream<1x4xsi4, 4>
// CHECK-NEXT: %[[T:.*]] = dataflow.thresholding %[[A]] PE 4 {thresholds = dense<{{\[\[}}-1, 0, 1]]> : tensor<1x3xi32>, out_bias = -1 : i64} : !dataflow.stream<1x4xsi4, 4> -> !dataflow.stream<1x4xsi3, 4>
// CHECK-NEXT: %[[L:.*]] = dataflow.label_select %[[T]] K 2 PE 4 : !dataflow.stream<1x4xsi3, 4> -> !dataflow.stream<1x2xui32, 1>
// CHECK-NEXT: dataflow.yield %[[L]] : !dataflow.stream<1x2xui32, 1>
// CHECK-NEXT: }
// CHECK-NEXT: func.return %[[Y]] : tensor<1x2xui32>
func.func @bnn(%x: tensor<1x8x!quant.bipolar>) -> tensor<1x2xui32> {
  %y = dataflow.accelerator @bnn(%x) : (tensor<1x8x!quant.bipolar>) -> tensor<1x2xui32> {
  ^bb0(%in: !dataflow.stream<1x8x!quant.bipolar, 4>):
    %h = dataflow.mvau %in MW 8 MH 4 SIMD 4 PE 2 {xnor,
        weights = dense<[[true, false, true, false], [true, true, false, false],
                         [false, true, true, false], [true, false, false, true],
                         [true, true, true, true], [false, false, false, false],
                         [true, false, true, true], [false, true, false, true]]> : tensor<8x4xi1>,
        thresholds = dense<[[4], [5], [3], [4]]> : tensor<4x1xi32>}
        : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
    %a = dataflow.mvau %h MW 4 MH 4 SIMD 2 PE 4 {
        weights = dense<[[1, -2, 0, 1], [-1, 1, 1, 0], [0, 0, -2, 1], [1, 1, 1, -1]]> : tensor<4x4xsi2>}
        : !dataflow.stream<1x4x!quant.bipolar, 2> -> !dataflow.stream<1x4xsi4, 4>
    %t = dataflow.thresholding %a PE 4 {thresholds = dense<[[-1, 0, 1]]> : tensor<1x3xi32>, out_bias = -1}
        : !dataflow.stream<1x4xsi4, 4> -> !dataflow.stream<1x4xsi3, 4>
    %l = dataflow.label_select %t K 2 PE 4 : !dataflow.stream<1x4xsi3, 4> -> !dataflow.stream<1x2xui32, 1>
    dataflow.yield %l : !dataflow.stream<1x2xui32, 1>
  }
  func.return %y : tensor<1x2xui32>
}

// Per-neuron thresholds with a 2-bit unsigned activation, on a conv-shaped
// stream (the MVAU applies to every pixel), and two inputs and outputs.
// CHECK-LABEL: func.func @two_streams
// CHECK: %[[R0:.*]], %[[R1:.*]] = dataflow.accelerator @two_streams(%{{.*}}, %{{.*}}) : (tensor<1x2x2x4xui2>, tensor<1x6xsi8>) -> (tensor<1x2x2x2xui2>, tensor<1x6xsi8>) {
// CHECK-NEXT: ^{{.*}}(%[[P:.*]]: !dataflow.stream<1x2x2x4xui2, 2>, %[[Q:.*]]: !dataflow.stream<1x6xsi8, 3>):
// CHECK-NEXT: %[[M:.*]] = dataflow.mvau %[[P]] MW 4 MH 2 SIMD 2 PE 1 {weights = dense<{{\[\[}}1, -1], [0, 1], [-2, 1], [1, 0]]> : tensor<4x2xsi2>, thresholds = dense<{{\[\[}}-1, 0, 2], [0, 1, 1]]> : tensor<2x3xi32>} : !dataflow.stream<1x2x2x4xui2, 2> -> !dataflow.stream<1x2x2x2xui2, 1>
// CHECK-NEXT: %[[S:.*]] = dataflow.thresholding %[[Q]] PE 3 {thresholds = dense<0> : tensor<1x1xi8>} : !dataflow.stream<1x6xsi8, 3> -> !dataflow.stream<1x6x!quant.bipolar, 3>
// CHECK-NEXT: %[[K:.*]] = dataflow.mvau %[[S]] MW 6 MH 6 SIMD 3 PE 3 {xnor, weights = dense<true> : tensor<6x6xi1>} : !dataflow.stream<1x6x!quant.bipolar, 3> -> !dataflow.stream<1x6xsi8, 3>
// CHECK-NEXT: dataflow.yield %[[M]], %[[K]] : !dataflow.stream<1x2x2x2xui2, 1>, !dataflow.stream<1x6xsi8, 3>
// CHECK-NEXT: }
// CHECK-NEXT: func.return %[[R0]], %[[R1]] : tensor<1x2x2x2xui2>, tensor<1x6xsi8>
func.func @two_streams(%p: tensor<1x2x2x4xui2>, %q: tensor<1x6xsi8>) -> (tensor<1x2x2x2xui2>, tensor<1x6xsi8>) {
  %r:2 = dataflow.accelerator @two_streams(%p, %q) : (tensor<1x2x2x4xui2>, tensor<1x6xsi8>) -> (tensor<1x2x2x2xui2>, tensor<1x6xsi8>) {
  ^bb0(%sp: !dataflow.stream<1x2x2x4xui2, 2>, %sq: !dataflow.stream<1x6xsi8, 3>):
    %m = dataflow.mvau %sp MW 4 MH 2 SIMD 2 PE 1 {
        weights = dense<[[1, -1], [0, 1], [-2, 1], [1, 0]]> : tensor<4x2xsi2>,
        thresholds = dense<[[-1, 0, 2], [0, 1, 1]]> : tensor<2x3xi32>}
        : !dataflow.stream<1x2x2x4xui2, 2> -> !dataflow.stream<1x2x2x2xui2, 1>
    %s = dataflow.thresholding %sq PE 3 {thresholds = dense<0> : tensor<1x1xi8>}
        : !dataflow.stream<1x6xsi8, 3> -> !dataflow.stream<1x6x!quant.bipolar, 3>
    %k = dataflow.mvau %s MW 6 MH 6 SIMD 3 PE 3 {xnor, weights = dense<true> : tensor<6x6xi1>}
        : !dataflow.stream<1x6x!quant.bipolar, 3> -> !dataflow.stream<1x6xsi8, 3>
    dataflow.yield %m, %k : !dataflow.stream<1x2x2x2xui2, 1>, !dataflow.stream<1x6xsi8, 3>
  }
  func.return %r#0, %r#1 : tensor<1x2x2x2xui2>, tensor<1x6xsi8>
}

// The converted form before partitioning: boundary ops around named layers,
// the input quantizer on f32, a width converter, and a fold mismatch (%m has
// fold 1, "act" reads 2), which verifies until dataflow-insert-dwc legalizes it.
// CHECK-LABEL: func.func @boundaries
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x8xf32>)
// CHECK-NEXT: %[[S:.*]] = dataflow.to_stream %[[X]] : tensor<1x8xf32> -> !dataflow.stream<1x8xf32, 2>
// CHECK-NEXT: %[[Q:.*]] = dataflow.thresholding %[[S]] PE 2 {name = "quant_in", thresholds = dense<{{\[\[}}-5.000000e-01, 0.000000e+00, 5.000000e-01]]> : tensor<1x3xf32>, out_bias = -2 : i64} : !dataflow.stream<1x8xf32, 2> -> !dataflow.stream<1x8xsi2, 2>
// CHECK-NEXT: %[[W:.*]] = dataflow.dwc %[[Q]] {name = "fc0_dwc"} : !dataflow.stream<1x8xsi2, 2> -> !dataflow.stream<1x8xsi2, 4>
// CHECK-NEXT: %[[M:.*]] = dataflow.mvau %[[W]] MW 8 MH 4 SIMD 4 PE 1 {name = "fc0", weights = dense<1> : tensor<8x4xsi2>} : !dataflow.stream<1x8xsi2, 4> -> !dataflow.stream<1x4xsi5, 1>
// CHECK-NEXT: %[[T:.*]] = dataflow.thresholding %[[M]] PE 2 {name = "act", thresholds = dense<0> : tensor<1x1xi32>} : !dataflow.stream<1x4xsi5, 1> -> !dataflow.stream<1x4xui1, 2>
// CHECK-NEXT: %[[Y:.*]] = dataflow.from_stream %[[T]] : !dataflow.stream<1x4xui1, 2> -> tensor<1x4xui1>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x4xui1>
func.func @boundaries(%x: tensor<1x8xf32>) -> tensor<1x4xui1> {
  %s = dataflow.to_stream %x : tensor<1x8xf32> -> !dataflow.stream<1x8xf32, 2>
  %q = dataflow.thresholding %s PE 2 {name = "quant_in", thresholds = dense<[[-0.5, 0.0, 0.5]]> : tensor<1x3xf32>, out_bias = -2}
      : !dataflow.stream<1x8xf32, 2> -> !dataflow.stream<1x8xsi2, 2>
  %w = dataflow.dwc %q {name = "fc0_dwc"} : !dataflow.stream<1x8xsi2, 2> -> !dataflow.stream<1x8xsi2, 4>
  %m = dataflow.mvau %w MW 8 MH 4 SIMD 4 PE 1 {name = "fc0", weights = dense<1> : tensor<8x4xsi2>}
      : !dataflow.stream<1x8xsi2, 4> -> !dataflow.stream<1x4xsi5, 1>
  %t = dataflow.thresholding %m PE 2 {name = "act", thresholds = dense<0> : tensor<1x1xi32>}
      : !dataflow.stream<1x4xsi5, 1> -> !dataflow.stream<1x4xui1, 2>
  %y = dataflow.from_stream %t : !dataflow.stream<1x4xui1, 2> -> tensor<1x4xui1>
  func.return %y : tensor<1x4xui1>
}

// A convolution's layers on an NHWC feature map: pad, sliding window (whose
// SIMD the MVAU reads), the MVAU over OH*OW window vectors, a max pool, and
// the flatten in front of a fully connected layer as a stream view.
// CHECK-LABEL: func.func @conv_layers
// CHECK: %[[P:.*]] = dataflow.pad %{{.*}} SIMD 2 {pads = array<i64: 1, 0, 1, 2>} : !dataflow.stream<1x4x5x2xui4, 2> -> !dataflow.stream<1x6x7x2xui4, 2>
// CHECK-NEXT: %[[W:.*]] = dataflow.sliding_window %[[P]] SIMD 2 {kernel = array<i64: 3, 3>, strides = array<i64: 1, 2>} : !dataflow.stream<1x6x7x2xui4, 2> -> !dataflow.stream<1x4x3x18xui4, 2>
// CHECK-NEXT: %[[M:.*]] = dataflow.mvau %[[W]] MW 18 MH 2 SIMD 2 PE 1
// CHECK-NEXT: %[[Q:.*]] = dataflow.maxpool %[[M]] PE 2 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : !dataflow.stream<1x4x3x2xui9, 1> -> !dataflow.stream<1x1x1x2xui9, 2>
// CHECK-NEXT: %[[R:.*]] = dataflow.reshape %[[Q]] : !dataflow.stream<1x1x1x2xui9, 2> -> !dataflow.stream<1x2xui9, 2>
func.func @conv_layers(%x: !dataflow.stream<1x4x5x2xui4, 2>) {
  %p = dataflow.pad %x SIMD 2 {pads = array<i64: 1, 0, 1, 2>, value = 0 : i64}
      : !dataflow.stream<1x4x5x2xui4, 2> -> !dataflow.stream<1x6x7x2xui4, 2>
  %w = dataflow.sliding_window %p SIMD 2 {kernel = array<i64: 3, 3>, strides = array<i64: 1, 2>}
      : !dataflow.stream<1x6x7x2xui4, 2> -> !dataflow.stream<1x4x3x18xui4, 2>
  %m = dataflow.mvau %w MW 18 MH 2 SIMD 2 PE 1 {weights = dense<1> : tensor<18x2xsi2>}
      : !dataflow.stream<1x4x3x18xui4, 2> -> !dataflow.stream<1x4x3x2xui9, 1>
  %q = dataflow.maxpool %m PE 2 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>}
      : !dataflow.stream<1x4x3x2xui9, 1> -> !dataflow.stream<1x1x1x2xui9, 2>
  %r = dataflow.reshape %q : !dataflow.stream<1x1x1x2xui9, 2> -> !dataflow.stream<1x2xui9, 2>
  func.return
}
