// RUN: qnn-opt %s -p dataflow-insert-dwc | filecheck %s
// RUN: qnn-opt %s -p dataflow-insert-dwc,dataflow-insert-dwc | filecheck %s

// dataflow-insert-dwc: where a layer reads another fold than its input stream
// carries (as dataflow-fold leaves it), a converter goes in between; folds that
// are not multiples of each other go through their least common multiple. A
// second run changes nothing.

// CHECK-LABEL: func.func @mlp
// CHECK: ^{{.*}}(%[[S:.*]]: !dataflow.stream<1x12xsi4, 4>):
// 4 -> 6: through lcm 12.
// CHECK-NEXT: %[[W0:.*]] = dataflow.dwc %[[S]] {name = "fc0_dwc0"} : !dataflow.stream<1x12xsi4, 4> -> !dataflow.stream<1x12xsi4, 12>
// CHECK-NEXT: %[[W1:.*]] = dataflow.dwc %[[W0]] {name = "fc0_dwc1"} : !dataflow.stream<1x12xsi4, 12> -> !dataflow.stream<1x12xsi4, 6>
// CHECK-NEXT: %[[H:.*]] = dataflow.mvau %[[W1]] MW 12 MH 4 SIMD 6 PE 2 {name = "fc0",
// 2 -> 4: one converter joins two words.
// CHECK-NEXT: %[[W2:.*]] = dataflow.dwc %[[H]] {name = "fc1_dwc"} : !dataflow.stream<1x4xsi8, 2> -> !dataflow.stream<1x4xsi8, 4>
// CHECK-NEXT: %[[O:.*]] = dataflow.mvau %[[W2]] MW 4 MH 4 SIMD 4 PE 4 {name = "fc1",
// 4 -> 2: one converter splits each word; then the folds match.
// CHECK-NEXT: %[[W3:.*]] = dataflow.dwc %[[O]] {name = "act_dwc"} : !dataflow.stream<1x4xsi12, 4> -> !dataflow.stream<1x4xsi12, 2>
// CHECK-NEXT: %[[A:.*]] = dataflow.thresholding %[[W3]] PE 2 {name = "act",
// CHECK-NEXT: %[[T:.*]] = dataflow.label_select %[[A]] K 1 PE 2 {name = "top"}
// CHECK-NEXT: dataflow.yield %[[T]]
func.func @mlp(%x: tensor<1x12xsi4>) -> tensor<1x1xi64> {
  %y = dataflow.accelerator @mlp_accel(%x) : (tensor<1x12xsi4>) -> tensor<1x1xi64> {
  ^bb0(%s: !dataflow.stream<1x12xsi4, 4>):
    %h = dataflow.mvau %s MW 12 MH 4 SIMD 6 PE 2 {name = "fc0", weights = dense<1> : tensor<12x4xsi2>}
        : !dataflow.stream<1x12xsi4, 4> -> !dataflow.stream<1x4xsi8, 2>
    %o = dataflow.mvau %h MW 4 MH 4 SIMD 4 PE 4 {name = "fc1", weights = dense<-2> : tensor<4x4xsi2>}
        : !dataflow.stream<1x4xsi8, 2> -> !dataflow.stream<1x4xsi12, 4>
    %a = dataflow.thresholding %o PE 2 {name = "act", thresholds = dense<[[-10, 0, 10]]> : tensor<1x3xsi32>}
        : !dataflow.stream<1x4xsi12, 4> -> !dataflow.stream<1x4xui2, 2>
    %t = dataflow.label_select %a K 1 PE 2 {name = "top"} : !dataflow.stream<1x4xui2, 2> -> !dataflow.stream<1x1xi64, 1>
    dataflow.yield %t : !dataflow.stream<1x1xi64, 1>
  }
  func.return %y : tensor<1x1xi64>
}

// Before partitioning, and without layer names: the converter is named by kind.
// CHECK-LABEL: func.func @unnamed
// CHECK-NEXT: %[[XS:.*]] = dataflow.to_stream
// CHECK-NEXT: %[[W:.*]] = dataflow.dwc %[[XS]] {name = "dwc_0"} : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x4xsi4, 2>
// CHECK-NEXT: dataflow.thresholding %[[W]] PE 2
func.func @unnamed(%x: tensor<1x4xsi4>) -> tensor<1x4xui1> {
  %xs = dataflow.to_stream %x : tensor<1x4xsi4> -> !dataflow.stream<1x4xsi4, 1>
  %a = dataflow.thresholding %xs PE 2 {thresholds = dense<0> : tensor<1x1xsi32>} : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x4xui1, 2>
  %at = dataflow.from_stream %a : !dataflow.stream<1x4xui1, 2> -> tensor<1x4xui1>
  func.return %at : tensor<1x4xui1>
}
