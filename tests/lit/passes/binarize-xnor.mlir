// RUN: qnn-opt %s -p binarize-xnor | filecheck %s

// Bipolar x bipolar: the matmul becomes an XNOR-popcount over i1 weight bits
// (1 means +1). Thresholds move to the popcount domain: acc = 2P - 3, so
// acc >= T <=> P >= ceil((T + 3) / 2): T = -1 -> 1, T = 0 -> 2, T = 1 -> 2.
// CHECK-LABEL: func.func @with_threshold
// CHECK-SAME:  (%[[A:.*]]: tensor<1x3x!quant.bipolar>)
// CHECK:       %[[BITS:.*]] = arith.constant dense<{{\[}}[true, false, true], [false, true, true], [true, true, false]]> : tensor<3x3xi1>
// CHECK-NEXT:  %[[P:.*]] = quant.xnor_popcount %[[A]], %[[BITS]] : (tensor<1x3x!quant.bipolar>, tensor<3x3xi1>) -> tensor<1x3xui2>
// CHECK:       %[[T:.*]] = arith.constant dense<{{\[}}[1], [2], [2]]> : tensor<3x1xsi32>
// CHECK-NEXT:  %[[Y:.*]] = quant.multithreshold %[[P]], %[[T]] {out_scale = 2.000000e+00 : f64, out_bias = -1.000000e+00 : f64} : (tensor<1x3xui2>, tensor<3x1xsi32>) -> tensor<1x3x!quant.bipolar>
// CHECK-NEXT:  func.return %[[Y]]
// CHECK-NOT:   quant.matmul
func.func @with_threshold(%a: tensor<1x3x!quant.bipolar>) -> tensor<1x3x!quant.bipolar> {
  %w = arith.constant dense<[[1, -1, 1], [-1, 1, 1], [1, 1, -1]]> : tensor<3x3xsi2>
  %acc = quant.matmul %a, %w : (tensor<1x3x!quant.bipolar>, tensor<3x3xsi2>) -> tensor<1x3xsi3>
  %t = arith.constant dense<[[-1], [0], [1]]> : tensor<3x1xsi32>
  %y = quant.multithreshold %acc, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x3xsi3>, tensor<3x1xsi32>) -> tensor<1x3x!quant.bipolar>
  func.return %y : tensor<1x3x!quant.bipolar>
}

// A last layer without activation: its other users get acc = 2P - K back.
// CHECK-LABEL: func.func @last_layer
// CHECK:       %[[P:.*]] = quant.xnor_popcount {{.*}} -> tensor<1x2xui2>
// CHECK:       %[[TWO:.*]] = arith.constant dense<2> : tensor<ui2>
// CHECK-NEXT:  %[[K:.*]] = arith.constant dense<3> : tensor<ui2>
// CHECK-NEXT:  %[[D:.*]] = quant.mul %[[P]], %[[TWO]] : (tensor<1x2xui2>, tensor<ui2>) -> tensor<1x2xui3>
// CHECK-NEXT:  %[[ACC:.*]] = quant.sub %[[D]], %[[K]] : (tensor<1x2xui3>, tensor<ui2>) -> tensor<1x2xsi3>
// CHECK:       quant.mul %[[ACC]], %{{.*}} : (tensor<1x2xsi3>, tensor<f32>) -> tensor<1x2xf32>
func.func @last_layer(%a: tensor<1x3x!quant.bipolar>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1, -1], [-1, 1], [1, 1]]> : tensor<3x2xsi2>
  %acc = quant.matmul %a, %w : (tensor<1x3x!quant.bipolar>, tensor<3x2xsi2>) -> tensor<1x2xsi3>
  %s = arith.constant dense<0.25> : tensor<f32>
  %y = quant.mul %acc, %s : (tensor<1x2xsi3>, tensor<f32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// Integer (non-bipolar) operands stay a matmul.
// CHECK-LABEL: func.func @integer_stays
// CHECK:       quant.matmul
// CHECK-NOT:   quant.xnor_popcount
func.func @integer_stays(%a: tensor<1x3xsi2>) -> tensor<1x2xsi4> {
  %w = arith.constant dense<[[1, -1], [-1, 1], [1, 1]]> : tensor<3x2xsi2>
  %acc = quant.matmul %a, %w : (tensor<1x3xsi2>, tensor<3x2xsi2>) -> tensor<1x2xsi4>
  func.return %acc : tensor<1x2xsi4>
}
