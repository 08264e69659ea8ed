// RUN: qnn-opt %s -p dataflow-partition | filecheck %s
// RUN: qnn-opt %s -p 'dataflow-partition{report=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=REPORT
// RUN: qnn-opt %s -p 'dataflow-partition{top=tfc}' | filecheck %s --check-prefix=TOP
// RUN: qnn-opt %s -p 'dataflow-partition{float-input=host}' | filecheck %s
// RUN: qnn-opt %s -p 'dataflow-partition{float-input=accelerator}' | filecheck %s --check-prefix=ACCEL
// RUN: qnn-opt %s -p 'dataflow-partition{float-input=accelerator report=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=ACCEL-REPORT
// RUN: not qnn-opt %s -p 'dataflow-partition{float-input=fpga}' 2>&1 | filecheck %s --check-prefix=BAD-OPTION

// dataflow-partition: the chain with the most work moves into one accelerator;
// its to_stream/from_stream boundaries become the accelerator's operands and
// results; host ops stay before and after. The input is what
// convert-quant-to-dataflow leaves. A layer that reads a float stream (the
// input quantizer) stays on the host by default (float-input=host) between
// its own boundary ops; float-input=accelerator outlines it with the rest.
// BAD-OPTION: error: dataflow-partition: float-input must be 'host' or 'accelerator', got 'fpga'

// A TFC-shaped network: float prologue, input quantizer, two MVAUs, float epilogue.
// By default the input quantizer stays on the host, and the accelerator reads
// its bipolar output (1 bit per pixel instead of 32):
// CHECK-LABEL: func.func @tfc
// CHECK-SAME: (%[[IN:[^:]*]]: tensor<1x1x2x4xf32>)
// CHECK-NEXT: %[[FLAT:.*]] = quant.reshape %[[IN]]
// CHECK-NEXT: %[[FS:.*]] = dataflow.to_stream %[[FLAT]] : tensor<1x8xf32> -> !dataflow.stream<1x8xf32, 1>
// CHECK-NEXT: %[[Q:.*]] = dataflow.thresholding %[[FS]] PE 1 {name = "quant_in"
// CHECK-NEXT: %[[QT:.*]] = dataflow.from_stream %[[Q]] : !dataflow.stream<1x8x!quant.bipolar, 1> -> tensor<1x8x!quant.bipolar>
// CHECK-NEXT: %[[ACC:.*]] = dataflow.accelerator @tfc_accel(%[[QT]]) : (tensor<1x8x!quant.bipolar>) -> tensor<1x2xui3> {
// CHECK-NEXT: ^{{.*}}(%[[S:.*]]: !dataflow.stream<1x8x!quant.bipolar, 1>):
// CHECK-NEXT: %[[H:.*]] = dataflow.mvau %[[S]] MW 8 MH 4 SIMD 1 PE 1 {name = "fc0"
// CHECK-NEXT: %[[O:.*]] = dataflow.mvau %[[H]] MW 4 MH 2 SIMD 1 PE 1 {name = "fc1"
// CHECK-NEXT: dataflow.yield %[[O]] : !dataflow.stream<1x2xui3, 1>
// CHECK-NEXT: }
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: %[[Y:.*]] = quant.mul %[[ACC]], %[[C]] : (tensor<1x2xui3>, tensor<f32>) -> tensor<1x2xf32>
// CHECK-NEXT: func.return %[[Y]] : tensor<1x2xf32>
// With float-input=accelerator the quantizer is the accelerator's first layer,
// which then reads f32:
// ACCEL-LABEL: func.func @tfc
// ACCEL-SAME: (%[[IN:[^:]*]]: tensor<1x1x2x4xf32>)
// ACCEL-NEXT: %[[FLAT:.*]] = quant.reshape %[[IN]]
// ACCEL-NEXT: %[[ACC:.*]] = dataflow.accelerator @tfc_accel(%[[FLAT]]) : (tensor<1x8xf32>) -> tensor<1x2xui3> {
// ACCEL-NEXT: ^{{.*}}(%[[S:.*]]: !dataflow.stream<1x8xf32, 1>):
// ACCEL-NEXT: %[[Q:.*]] = dataflow.thresholding %[[S]] PE 1 {name = "quant_in"
// ACCEL-NEXT: %[[H:.*]] = dataflow.mvau %[[Q]] MW 8 MH 4 SIMD 1 PE 1 {name = "fc0"
// ACCEL-NEXT: %[[O:.*]] = dataflow.mvau %[[H]] MW 4 MH 2 SIMD 1 PE 1 {name = "fc1"
// ACCEL-NEXT: dataflow.yield %[[O]] : !dataflow.stream<1x2xui3, 1>
// ACCEL-NEXT: }
// ACCEL-NEXT: %[[C:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
// ACCEL-NEXT: %[[Y:.*]] = quant.mul %[[ACC]], %[[C]] : (tensor<1x2xui3>, tensor<f32>) -> tensor<1x2xf32>
// ACCEL-NEXT: func.return %[[Y]] : tensor<1x2xf32>
// REPORT: dataflow-partition.mlir:[[# @LINE + 5]]:3: remark: quant.reshape %flat stays on the host (before the accelerator): it rearranges a float tensor, which stays on the host with the float ops
// REPORT-NEXT: dataflow-partition.mlir:[[# @LINE + 6]]:3: remark: dataflow.thresholding "quant_in" stays on the host (before the accelerator): its input is float (f32): quantizing on the host streams its 1-bit !quant.bipolar output into the accelerator instead of 32-bit floats, and float comparators stay off the fabric
// ACCEL-REPORT: dataflow-partition.mlir:[[# @LINE + 3]]:3: remark: quant.reshape %flat stays on the host (before the accelerator): it rearranges a float tensor, which stays on the host with the float ops
// ACCEL-REPORT-NOT: 'dataflow.thresholding' "quant_in"
func.func @tfc(%input: tensor<1x1x2x4xf32>) -> tensor<1x2xf32> {
  %flat = quant.reshape %input : (tensor<1x1x2x4xf32>) -> tensor<1x8xf32>
  %flat_stream = dataflow.to_stream %flat : tensor<1x8xf32> -> !dataflow.stream<1x8xf32, 1>
  %q = dataflow.thresholding %flat_stream PE 1 {name = "quant_in", thresholds = dense<5.000000e-01> : tensor<1x1xf32>}
      : !dataflow.stream<1x8xf32, 1> -> !dataflow.stream<1x8x!quant.bipolar, 1>
  %h = dataflow.mvau %q MW 8 MH 4 SIMD 1 PE 1 {name = "fc0", weights = dense<"0x0100010001010000000101000100000101010101000000000100010100010001"> : tensor<8x4xi1>, xnor, thresholds = dense<[[4], [5], [3], [4]]> : tensor<4x1xsi32>}
      : !dataflow.stream<1x8x!quant.bipolar, 1> -> !dataflow.stream<1x4x!quant.bipolar, 1>
  %o = dataflow.mvau %h MW 4 MH 2 SIMD 1 PE 1 {name = "fc1", weights = dense<"0x0100000101010100"> : tensor<4x2xi1>, xnor}
      : !dataflow.stream<1x4x!quant.bipolar, 1> -> !dataflow.stream<1x2xui3, 1>
  %scores = dataflow.from_stream %o : !dataflow.stream<1x2xui3, 1> -> tensor<1x2xui3>
  %c = arith.constant dense<0.5> : tensor<f32>
  %y = quant.mul %scores, %c : (tensor<1x2xui3>, tensor<f32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
// REPORT-NEXT: dataflow-partition.mlir:[[# @LINE - 3]]:3: remark: quant.mul %y stays on the host (after the accelerator): it computes in float; float compute stays on the host
// REPORT-NEXT: dataflow-partition.mlir:[[# @LINE - 15]]:1: remark: @tfc_accel holds 2 layer(s): fc0, fc1; 3 op(s) stay on the host
// ACCEL-REPORT: dataflow-partition.mlir:[[# @LINE - 5]]:3: remark: quant.mul %y stays on the host (after the accelerator): it computes in float; float compute stays on the host
// ACCEL-REPORT-NEXT: dataflow-partition.mlir:[[# @LINE - 17]]:1: remark: @tfc_accel holds 3 layer(s): quant_in, fc0, fc1; 2 op(s) stay on the host
// TOP: dataflow.accelerator @tfc_tfc(

// An integer op without a streaming unit splits two chains: the longer one
// (two layers) is outlined, the other stays with its boundaries, reported. An
// intermediate stream that the host also reads becomes a second result.
// CHECK-LABEL: func.func @two_chains
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xsi4>)
// CHECK-NEXT: %[[AT:[^ ]*]], %[[BT:[^ ]*]] = dataflow.accelerator @two_chains_accel(%[[X]]) : (tensor<1x4xsi4>) -> (tensor<1x4xui1>, tensor<1x4x!quant.bipolar>) {
// CHECK-NEXT: ^{{.*}}(%[[XS:.*]]: !dataflow.stream<1x4xsi4, 1>):
// CHECK-NEXT: %[[A:.*]] = dataflow.thresholding %[[XS]] PE 1 {name = "a"
// CHECK-NEXT: %[[B:.*]] = dataflow.thresholding %[[A]] PE 1 {name = "b"
// CHECK-NEXT: dataflow.yield %[[A]], %[[B]] : !dataflow.stream<1x4xui1, 1>, !dataflow.stream<1x4x!quant.bipolar, 1>
// CHECK-NEXT: }
// CHECK-NEXT: %[[SUM:.*]] = quant.add %[[AT]], %[[AT]]
// CHECK-NEXT: %[[SS:.*]] = dataflow.to_stream %[[SUM]]
// CHECK-NEXT: %[[C:.*]] = dataflow.thresholding %[[SS]] PE 1 {name = "c"
// CHECK-NEXT: %[[CT:.*]] = dataflow.from_stream %[[C]]
// CHECK-NEXT: func.return %[[BT]], %[[CT]]
func.func @two_chains(%x: tensor<1x4xsi4>) -> (tensor<1x4x!quant.bipolar>, tensor<1x4xui1>) {
  %xs = dataflow.to_stream %x : tensor<1x4xsi4> -> !dataflow.stream<1x4xsi4, 1>
  %a = dataflow.thresholding %xs PE 1 {name = "a", thresholds = dense<0> : tensor<1x1xsi32>} : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x4xui1, 1>
  %b = dataflow.thresholding %a PE 1 {name = "b", thresholds = dense<1> : tensor<1x1xsi32>} : !dataflow.stream<1x4xui1, 1> -> !dataflow.stream<1x4x!quant.bipolar, 1>
  %at = dataflow.from_stream %a : !dataflow.stream<1x4xui1, 1> -> tensor<1x4xui1>
  %bt = dataflow.from_stream %b : !dataflow.stream<1x4x!quant.bipolar, 1> -> tensor<1x4x!quant.bipolar>
  %sum = quant.add %at, %at : (tensor<1x4xui1>, tensor<1x4xui1>) -> tensor<1x4xui2>
  %ss = dataflow.to_stream %sum : tensor<1x4xui2> -> !dataflow.stream<1x4xui2, 1>
  %c = dataflow.thresholding %ss PE 1 {name = "c", thresholds = dense<1> : tensor<1x1xsi32>} : !dataflow.stream<1x4xui2, 1> -> !dataflow.stream<1x4xui1, 1>
  %ct = dataflow.from_stream %c : !dataflow.stream<1x4xui1, 1> -> tensor<1x4xui1>
  func.return %bt, %ct : tensor<1x4x!quant.bipolar>, tensor<1x4xui1>
}
// REPORT: dataflow-partition.mlir:[[# @LINE - 6]]:3: remark: quant.add %sum stays on the host (after the accelerator): elementwise integer arithmetic ('quant.add') has no streaming layer; it runs on the host, one operation per element
// REPORT: dataflow-partition.mlir:[[# @LINE - 5]]:3: remark: dataflow.thresholding "c" stays on the host (after the accelerator): it belongs to a separate chain of 1 layer(s) (c, 0 multiply-accumulates per frame); only the chain with the most work (a, b, 0) becomes the accelerator
// REPORT: remark: @two_chains_accel holds 2 layer(s): a, b; 2 op(s) stay on the host
// TOP: dataflow.accelerator @tfc_two_chains(

// The accelerator holds the chain with the most work, not the most layers: one
// 4x2 MVAU (8 multiply-accumulates) rather than two thresholdings (none).
// CHECK-LABEL: func.func @heaviest_chain
// CHECK:       dataflow.thresholding {{.*}}{name = "t0"
// CHECK:       dataflow.thresholding {{.*}}{name = "t1"
// CHECK:       dataflow.accelerator @heaviest_chain_accel
// CHECK-NEXT:  ^{{.*}}
// CHECK-NEXT:  dataflow.mvau {{.*}}{name = "fc"
func.func @heaviest_chain(%x: tensor<1x4xsi4>) -> (tensor<1x4xui1>, tensor<1x2xui4>) {
  %xs = dataflow.to_stream %x : tensor<1x4xsi4> -> !dataflow.stream<1x4xsi4, 1>
  %t0 = dataflow.thresholding %xs PE 1 {name = "t0", thresholds = dense<0> : tensor<1x1xsi32>} : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x4xui1, 1>
  %t1 = dataflow.thresholding %t0 PE 1 {name = "t1", thresholds = dense<1> : tensor<1x1xsi32>} : !dataflow.stream<1x4xui1, 1> -> !dataflow.stream<1x4xui1, 1>
  %t1t = dataflow.from_stream %t1 : !dataflow.stream<1x4xui1, 1> -> tensor<1x4xui1>
  %ys = dataflow.to_stream %x : tensor<1x4xsi4> -> !dataflow.stream<1x4xsi4, 1>
  %fc = dataflow.mvau %ys MW 4 MH 2 SIMD 1 PE 1 {name = "fc", weights = dense<[[1, 0], [0, 1], [1, 1], [0, 0]]> : tensor<4x2xui1>}
      : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x2xsi6, 1>
  %fct = dataflow.from_stream %fc : !dataflow.stream<1x2xsi6, 1> -> tensor<1x2xsi6>
  %z = arith.constant dense<8> : tensor<si5>
  %shifted = quant.add %fct, %z : (tensor<1x2xsi6>, tensor<si5>) -> tensor<1x2xui4>
  func.return %t1t, %shifted : tensor<1x4xui1>, tensor<1x2xui4>
}
// REPORT: remark: dataflow.thresholding "t0" stays on the host (before the accelerator): it belongs to a separate chain of 2 layer(s) (t0, t1, 0 multiply-accumulates per frame); only the chain with the most work (fc, 8) becomes the accelerator
// REPORT: remark: @heaviest_chain_accel holds 1 layer(s): fc;

// Layers reading a function argument directly are not outlined: the
// accelerator's inputs are host tensors.
// CHECK-LABEL: func.func @stream_argument
// CHECK-NEXT: dataflow.thresholding
// CHECK-NOT: dataflow.accelerator
func.func @stream_argument(%s: !dataflow.stream<1x4xsi4, 1>) -> tensor<1x4xui1> {
  %a = dataflow.thresholding %s PE 1 {name = "a", thresholds = dense<0> : tensor<1x1xsi32>} : !dataflow.stream<1x4xsi4, 1> -> !dataflow.stream<1x4xui1, 1>
  %t = dataflow.from_stream %a : !dataflow.stream<1x4xui1, 1> -> tensor<1x4xui1>
  func.return %t : tensor<1x4xui1>
}
// REPORT: dataflow-partition.mlir:[[# @LINE - 4]]:3: remark: dataflow.thresholding "a" stays on the host: its chain (a) cannot be outlined: its input stream is not a dataflow.to_stream of a host tensor
// REPORT: dataflow-partition.mlir:[[# @LINE - 6]]:1: remark: @stream_argument: none of its chains of streaming layers can be outlined (the reasons are above)

// A float input quantizer whose output the host reads as well as a layer:
// the layer reads a new to_stream of a new from_stream (the host's own
// from_stream stays); with a quantizer alone there is nothing to outline by
// default, and float-input=accelerator outlines the quantizer by itself.
// CHECK-LABEL: func.func @shared_quantizer
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x4xf32>)
// CHECK-NEXT: %[[XS:.*]] = dataflow.to_stream %[[X]]
// CHECK-NEXT: %[[Q:.*]] = dataflow.thresholding %[[XS]] PE 1 {name = "q"
// CHECK-NEXT: %[[QT:.*]] = dataflow.from_stream %[[Q]] : !dataflow.stream<1x4xui2, 1> -> tensor<1x4xui2>
// CHECK-NEXT: %[[AT:.*]] = dataflow.accelerator @shared_quantizer_accel(%[[QT]]) : (tensor<1x4xui2>) -> tensor<1x4xui1> {
// CHECK-NEXT: ^{{.*}}(%[[QS:.*]]: !dataflow.stream<1x4xui2, 1>):
// CHECK-NEXT: %[[A:.*]] = dataflow.thresholding %[[QS]] PE 1 {name = "a"
// CHECK-NEXT: dataflow.yield %[[A]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[QH:.*]] = dataflow.from_stream %[[Q]] : !dataflow.stream<1x4xui2, 1> -> tensor<1x4xui2>
// CHECK-NEXT: func.return %[[AT]], %[[QH]]
// ACCEL-LABEL: func.func @shared_quantizer
// ACCEL-NEXT: %[[AT:[^ ]*]], %[[QT:[^ ]*]] = dataflow.accelerator @shared_quantizer_accel(%{{.*}}) : (tensor<1x4xf32>) -> (tensor<1x4xui2>, tensor<1x4xui1>) {
// ACCEL-NEXT: ^{{.*}}(%[[S:.*]]: !dataflow.stream<1x4xf32, 1>):
// ACCEL-NEXT: %[[Q:.*]] = dataflow.thresholding %[[S]] PE 1 {name = "q"
// ACCEL-NEXT: %[[A:.*]] = dataflow.thresholding %[[Q]] PE 1 {name = "a"
// ACCEL-NEXT: dataflow.yield %[[Q]], %[[A]]
// ACCEL-NEXT: }
// ACCEL-NEXT: func.return %[[QT]], %[[AT]]
func.func @shared_quantizer(%x: tensor<1x4xf32>) -> (tensor<1x4xui1>, tensor<1x4xui2>) {
  %xs = dataflow.to_stream %x : tensor<1x4xf32> -> !dataflow.stream<1x4xf32, 1>
  %q = dataflow.thresholding %xs PE 1 {name = "q", thresholds = dense<[[-5.000000e-01, 0.000000e+00, 5.000000e-01]]> : tensor<1x3xf32>} : !dataflow.stream<1x4xf32, 1> -> !dataflow.stream<1x4xui2, 1>
  %a = dataflow.thresholding %q PE 1 {name = "a", thresholds = dense<2> : tensor<1x1xsi32>} : !dataflow.stream<1x4xui2, 1> -> !dataflow.stream<1x4xui1, 1>
  %at = dataflow.from_stream %a : !dataflow.stream<1x4xui1, 1> -> tensor<1x4xui1>
  %qt = dataflow.from_stream %q : !dataflow.stream<1x4xui2, 1> -> tensor<1x4xui2>
  func.return %at, %qt : tensor<1x4xui1>, tensor<1x4xui2>
}
// REPORT: dataflow-partition.mlir:[[# @LINE - 6]]:3: remark: dataflow.thresholding "q" stays on the host (before the accelerator): its input is float (f32): quantizing on the host streams its 2-bit ui2 output into the accelerator instead of 32-bit floats, and float comparators stay off the fabric
// REPORT-NEXT: remark: @shared_quantizer_accel holds 1 layer(s): a; 1 op(s) stay on the host
// ACCEL-REPORT: remark: @shared_quantizer_accel holds 2 layer(s): q, a; 0 op(s) stay on the host

// CHECK-LABEL: func.func @quantizer_only
// CHECK-NEXT: dataflow.to_stream
// CHECK-NEXT: dataflow.thresholding
// CHECK-NEXT: dataflow.from_stream
// CHECK-NEXT: func.return
// ACCEL-LABEL: func.func @quantizer_only
// ACCEL-NEXT: dataflow.accelerator @quantizer_only_accel(%{{.*}}) : (tensor<1x4xf32>) -> tensor<1x4x!quant.bipolar>
func.func @quantizer_only(%x: tensor<1x4xf32>) -> tensor<1x4x!quant.bipolar> {
  %xs = dataflow.to_stream %x : tensor<1x4xf32> -> !dataflow.stream<1x4xf32, 1>
  %q = dataflow.thresholding %xs PE 1 {name = "q_only", thresholds = dense<0.000000e+00> : tensor<1x1xf32>} : !dataflow.stream<1x4xf32, 1> -> !dataflow.stream<1x4x!quant.bipolar, 1>
  %qt = dataflow.from_stream %q : !dataflow.stream<1x4x!quant.bipolar, 1> -> tensor<1x4x!quant.bipolar>
  func.return %qt : tensor<1x4x!quant.bipolar>
}
// REPORT: dataflow-partition.mlir:[[# @LINE - 4]]:3: remark: dataflow.thresholding "q_only" stays on the host: its input is float (f32): quantizing on the host streams its 1-bit !quant.bipolar output into the accelerator instead of 32-bit floats, and float comparators stay off the fabric
// REPORT-NEXT: dataflow-partition.mlir:[[# @LINE - 7]]:1: remark: @quantizer_only has no streaming layers besides the float-input ones, which stay on the host: nothing to outline (float-input=accelerator outlines them)
// ACCEL-REPORT: remark: @quantizer_only_accel holds 1 layer(s): q_only; 0 op(s) stay on the host
