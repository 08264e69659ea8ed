// RUN: qnn-opt %s -p convert-quant-to-dataflow | filecheck %s

// convert-quant-to-dataflow: the integer form's streamable ops become unfolded
// dataflow layers between to_stream/from_stream boundaries, fused between
// consecutive layers; everything else stays. (i1 weights are written in hex:
// the parser stores a textual `true` as -1, which the quant interpreter reads
// as a weight of -3; tests/test_pass_convert_quant_to_dataflow.py runs this file.)

// A binarized MLP with a 2-bit layer and a top-1 tail: input quantizer on f32
// -> xnor MVAU with its sign -> 2-bit MVAU with its activation -> MVAU
// without activation -> label select. Constants used only by the layers go.
// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[IN:[^:]*]]: tensor<1x8xf32>) -> tensor<1x1xi64>
// CHECK-NEXT: %[[S:.*]] = dataflow.to_stream %[[IN]] : tensor<1x8xf32> -> !dataflow.stream<1x8xf32, 1>
// CHECK-NEXT: %[[A0:.*]] = dataflow.thresholding %[[S]] PE 1 {name = "a0", thresholds = dense<0.000000e+00> : tensor<1x1xf32>} : !dataflow.stream<1x8xf32, 1> -> !dataflow.stream<1x8x!quant.bipolar, 1>
// CHECK-NEXT: %[[FC0:.*]] = dataflow.mvau %[[A0]] MW 8 MH 4 SIMD 1 PE 1 {name = "fc0", weights = dense<{{.*}}> : tensor<8x4xi1>, xnor, thresholds = dense<{{\[\[}}4], [5], [3], [4]]> : tensor<4x1xsi32>} : !dataflow.stream<1x8x!quant.bipolar, 1> -> !dataflow.stream<1x4x!quant.bipolar, 1>
// Rows are sorted: [1, -1] becomes [-1, 1].
// CHECK-NEXT: %[[FC1:.*]] = dataflow.mvau %[[FC0]] MW 4 MH 4 SIMD 1 PE 1 {name = "fc1", weights = dense<{{.*}}> : tensor<4x4xsi2>, thresholds = dense<{{\[\[}}-1, 1], [-2, 0], [0, 2], [-1, 1]]> : tensor<4x2xsi32>, out_bias = -1 : i64} : !dataflow.stream<1x4x!quant.bipolar, 1> -> !dataflow.stream<1x4xsi2, 1>
// CHECK-NEXT: %[[FC2:.*]] = dataflow.mvau %[[FC1]] MW 4 MH 3 SIMD 1 PE 1 {name = "fc2", weights = dense<{{.*}}> : tensor<4x3xsi2>} : !dataflow.stream<1x4xsi2, 1> -> !dataflow.stream<1x3xsi6, 1>
// CHECK-NEXT: %[[L:.*]] = dataflow.label_select %[[FC2]] K 1 PE 1 {name = "label"} : !dataflow.stream<1x3xsi6, 1> -> !dataflow.stream<1x1xi64, 1>
// CHECK-NEXT: %[[OUT:.*]] = dataflow.from_stream %[[L]] : !dataflow.stream<1x1xi64, 1> -> tensor<1x1xi64>
// CHECK-NEXT: func.return %[[OUT]] : tensor<1x1xi64>
func.func @mlp(%input: tensor<1x8xf32>) -> tensor<1x1xi64> {
  %t0 = arith.constant dense<[[0.0]]> : tensor<1x1xf32>
  %w0 = arith.constant dense<"0x0100010001010000000101000100000101010101000000000100010100010001"> : tensor<8x4xi1>
  %t1 = arith.constant dense<[[4], [5], [3], [4]]> : tensor<4x1xsi32>
  %w1 = arith.constant dense<[[1, -2, 0, 1], [-1, 1, 1, 0], [0, 0, -2, 1], [1, 1, 1, -1]]> : tensor<4x4xsi2>
  %t2 = arith.constant dense<[[1, -1], [-2, 0], [0, 2], [-1, 1]]> : tensor<4x2xsi32>
  %w2 = arith.constant dense<[[1, -1, 0], [-2, 1, 1], [0, 1, -1], [1, 0, -2]]> : tensor<4x3xsi2>
  %a0 = quant.multithreshold %input, %t0 {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x8xf32>, tensor<1x1xf32>) -> tensor<1x8x!quant.bipolar>
  %fc0 = quant.xnor_popcount %a0, %w0 : (tensor<1x8x!quant.bipolar>, tensor<8x4xi1>) -> tensor<1x4xui4>
  %a1 = quant.multithreshold %fc0, %t1 {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x4xui4>, tensor<4x1xsi32>) -> tensor<1x4x!quant.bipolar>
  %fc1 = quant.matmul %a1, %w1 : (tensor<1x4x!quant.bipolar>, tensor<4x4xsi2>) -> tensor<1x4xsi5>
  %a2 = quant.multithreshold %fc1, %t2 {out_bias = -1.0 : f64} : (tensor<1x4xsi5>, tensor<4x2xsi32>) -> tensor<1x4xsi2>
  %fc2 = quant.matmul %a2, %w2 : (tensor<1x4xsi2>, tensor<4x3xsi2>) -> tensor<1x3xsi6>
  %values, %label = quant.topk %fc2 {k = 1 : i64} : (tensor<1x3xsi6>) -> (tensor<1x1xsi6>, tensor<1x1xi64>)
  func.return %label : tensor<1x1xi64>
}

// What stays, and fan-out: an NCHW multithreshold, a float-valued one (out_scale
// 0.5), a float matmul and a topk whose values are used stay; the NHWC
// multithreshold streams; an accumulator with two users becomes an MVAU without
// activation whose tensor feeds the host and a separate thresholding layer.
// The SSA name %fc.0 names the layer "fc.0" (a dotted identifier, as a module path).
// Weights that are all -1 or +1 are stored as bipolar bits (i1, 1 means +1): one bit
// per weight in the MVAU's memory instead of two.
// CHECK-LABEL: func.func @host_cases
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x2x4xsi8>, %[[F:[^:]*]]: tensor<1x4xf32>, %[[SI:[^:]*]]: tensor<1x6xsi8>)
// CHECK-NEXT: %[[T:.*]] = arith.constant dense<0> : tensor<1x1xsi32>
// CHECK-NEXT: %[[WF:.*]] = arith.constant dense<5.000000e-01> : tensor<4x2xf32>
// CHECK-NEXT: %[[NCHW:.*]] = quant.multithreshold %[[X]], %[[T]] :
// CHECK-NEXT: %[[XS:.*]] = dataflow.to_stream %[[X]] : tensor<1x2x2x4xsi8> -> !dataflow.stream<1x2x2x4xsi8, 1>
// CHECK-NEXT: %[[NHWC:.*]] = dataflow.thresholding %[[XS]] PE 1 {name = "nhwc", thresholds = dense<0> : tensor<1x1xsi32>} : !dataflow.stream<1x2x2x4xsi8, 1> -> !dataflow.stream<1x2x2x4xui1, 1>
// CHECK-NEXT: %[[NHWC_T:.*]] = dataflow.from_stream %[[NHWC]]
// CHECK-NEXT: %[[SCALED:.*]] = quant.multithreshold %[[SI]], %[[T]] {out_scale = 5.000000e-01 : f64}
// CHECK-NEXT: %[[FM:.*]] = quant.matmul %[[F]], %[[WF]]
// CHECK-NEXT: %[[SS:.*]] = dataflow.to_stream %[[SI]] : tensor<1x6xsi8> -> !dataflow.stream<1x6xsi8, 1>
// CHECK-NEXT: %[[ACC:.*]] = dataflow.mvau %[[SS]] MW 6 MH 2 SIMD 1 PE 1 {name = "fc.0", weights = dense<true> : tensor<6x2xi1>} : !dataflow.stream<1x6xsi8, 1> -> !dataflow.stream<1x2xsi11, 1>
// CHECK-NEXT: %[[ACC_T:.*]] = dataflow.from_stream %[[ACC]] : !dataflow.stream<1x2xsi11, 1> -> tensor<1x2xsi11>
// CHECK-NEXT: %[[ACC_S:.*]] = dataflow.to_stream %[[ACC_T]] : tensor<1x2xsi11> -> !dataflow.stream<1x2xsi11, 1>
// CHECK-NEXT: %[[ACT:.*]] = dataflow.thresholding %[[ACC_S]] PE 1 {name = "act", thresholds = dense<{{\[\[}}-4, 4]]> : tensor<1x2xsi32>, out_bias = -1 : i64} : !dataflow.stream<1x2xsi11, 1> -> !dataflow.stream<1x2xsi2, 1>
// CHECK-NEXT: %[[ACT_T:.*]] = dataflow.from_stream %[[ACT]]
// CHECK-NEXT: %[[V:.*]], %[[I:.*]] = quant.topk %[[ACT_T]] {k = 1 : i64}
// CHECK-NEXT: func.return %[[NCHW]], %[[NHWC_T]], %[[SCALED]], %[[FM]], %[[ACC_T]], %[[V]], %[[I]] :
func.func @host_cases(%x: tensor<1x2x2x4xsi8>, %f: tensor<1x4xf32>, %s: tensor<1x6xsi8>) -> (tensor<1x2x2x4xui1>, tensor<1x2x2x4xui1>, tensor<1x6xf32>, tensor<1x2xf32>, tensor<1x2xsi11>, tensor<1x1xsi2>, tensor<1x1xi64>) {
  %t = arith.constant dense<0> : tensor<1x1xsi32>
  %wf = arith.constant dense<5.000000e-01> : tensor<4x2xf32>
  %w6 = arith.constant dense<1> : tensor<6x2xsi2>
  %t2 = arith.constant dense<[[-4, 4]]> : tensor<1x2xsi32>
  %nchw = quant.multithreshold %x, %t : (tensor<1x2x2x4xsi8>, tensor<1x1xsi32>) -> tensor<1x2x2x4xui1>
  %nhwc = quant.multithreshold %x, %t {data_layout = "NHWC"} : (tensor<1x2x2x4xsi8>, tensor<1x1xsi32>) -> tensor<1x2x2x4xui1>
  %scaled = quant.multithreshold %s, %t {out_scale = 5.000000e-01 : f64} : (tensor<1x6xsi8>, tensor<1x1xsi32>) -> tensor<1x6xf32>
  %float_matmul = quant.matmul %f, %wf : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32>
  %fc.0 = quant.matmul %s, %w6 : (tensor<1x6xsi8>, tensor<6x2xsi2>) -> tensor<1x2xsi11>
  %act = quant.multithreshold %fc.0, %t2 {out_bias = -1.000000e+00 : f64} : (tensor<1x2xsi11>, tensor<1x2xsi32>) -> tensor<1x2xsi2>
  %values, %indices = quant.topk %act {k = 1 : i64} : (tensor<1x2xsi2>) -> (tensor<1x1xsi2>, tensor<1x1xi64>)
  func.return %nchw, %nhwc, %scaled, %float_matmul, %fc.0, %values, %indices : tensor<1x2x2x4xui1>, tensor<1x2x2x4xui1>, tensor<1x6xf32>, tensor<1x2xf32>, tensor<1x2xsi11>, tensor<1x1xsi2>, tensor<1x1xi64>
}

// Layer names are unique in the module: a second %fc0 becomes fc0_1, and an
// op without a name hint gets its kind and a number.
// CHECK-LABEL: func.func @unique_names
// CHECK: dataflow.mvau %{{.*}} {name = "fc0_1",
// CHECK: dataflow.thresholding %{{.*}} {name = "thresholding_0",
func.func @unique_names(%s: tensor<1x6xsi8>) -> tensor<1x2x!quant.bipolar> {
  %w = arith.constant dense<1> : tensor<6x2xsi2>
  %t = arith.constant dense<0> : tensor<1x1xsi32>
  %fc0 = quant.matmul %s, %w : (tensor<1x6xsi8>, tensor<6x2xsi2>) -> tensor<1x2xsi11>
  %0 = quant.multithreshold %fc0, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x2xsi11>, tensor<1x1xsi32>) -> tensor<1x2x!quant.bipolar>
  %1 = quant.multithreshold %0, %t {out_scale = 2.0 : f64, out_bias = -1.0 : f64} : (tensor<1x2x!quant.bipolar>, tensor<1x1xsi32>) -> tensor<1x2x!quant.bipolar>
  func.return %1 : tensor<1x2x!quant.bipolar>
}
