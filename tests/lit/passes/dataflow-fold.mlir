// RUN: echo '{"quant_in": {"PE": 4}, "fc0": {"PE": 2, "SIMD": 4}, "fc1": {"SIMD": 4}}' > %t.json
// RUN: qnn-opt %s -p 'dataflow-fold{config="%t.json"}' | filecheck %s --check-prefix=CONFIG
// RUN: qnn-opt %s -p 'dataflow-fold{target-fps=25000000 clock-mhz=100}' | filecheck %s --check-prefix=AUTO
// RUN: qnn-opt %s -p 'dataflow-fold{target-fps=25000000 report=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=REPORT

// Diagnostics: a bad value names the layer, the value and the valid divisors.
// RUN: echo '{"fc0": {"SIMD": 3}}' > %t.simd.json
// RUN: not qnn-opt %s -p 'dataflow-fold{config="%t.simd.json"}' 2>&1 | filecheck %s --check-prefix=BAD-SIMD
// BAD-SIMD: error: dataflow-fold: layer 'fc0' (dataflow.mvau): SIMD 3 does not divide MW 8: choose SIMD among 1, 2, 4, 8
// RUN: echo '{"fc9": {"PE": 1}}' > %t.name.json
// RUN: not qnn-opt %s -p 'dataflow-fold{config="%t.name.json"}' 2>&1 | filecheck %s --check-prefix=BAD-NAME
// BAD-NAME: error: dataflow-fold: config '{{.*}}.name.json' names layer 'fc9', which is not in the module; the layers are: quant_in, fc0, fc1, top, act, fc
// RUN: echo '{"top": {"SIMD": 2}}' > %t.param.json
// RUN: not qnn-opt %s -p 'dataflow-fold{config="%t.param.json"}' 2>&1 | filecheck %s --check-prefix=BAD-PARAM
// BAD-PARAM: error: dataflow-fold: layer 'top' (dataflow.label_select) has no folding parameter 'SIMD': valid are PE
// RUN: echo '{"fc1": {"PE": "two"}}' > %t.value.json
// RUN: not qnn-opt %s -p 'dataflow-fold{config="%t.value.json"}' 2>&1 | filecheck %s --check-prefix=BAD-VALUE
// BAD-VALUE: error: dataflow-fold: layer 'fc1' (dataflow.mvau): PE must be a positive integer, got "two"
// RUN: echo '{fc0}' > %t.syntax.json
// RUN: not qnn-opt %s -p 'dataflow-fold{config="%t.syntax.json"}' 2>&1 | filecheck %s --check-prefix=BAD-JSON
// BAD-JSON: error: dataflow-fold: config '{{.*}}.syntax.json' is not valid JSON: line 1 column 2: Expecting property name enclosed in double quotes
// RUN: not qnn-opt %s -p 'dataflow-fold{config="%t.json" target-fps=1000}' 2>&1 | filecheck %s --check-prefix=BOTH
// BOTH: error: dataflow-fold: give config=<file.json> or target-fps=<frames per second>, not both

// Without options: the fastest folding that fits the budget of the module's board
// (pynq-z1 when it names none), the cheapest among equals. @mlp streams 8 floats
// in and one i64 out, 40 bytes per frame: at 400 MB/s the DMA allows 10 M frames/s,
// so 8 cycles (12.5 M frames/s) are as fast as 2 and cost less.
// RUN: qnn-opt %s -p 'dataflow-fold{report=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=DEFAULT
// DEFAULT: dataflow-fold: quant_in: PE 1: 8 cycles, 67 LUT, 0 BRAM18, 0 DSP
// DEFAULT: dataflow-fold: @mlp_accel: max 8 cycles per frame: 12,500,000 fps at 100 MHz
// DEFAULT-NEXT: dataflow-fold: act: PE 4: 16 cycles, 34 LUT, 0 BRAM18, 0 DSP
// DEFAULT-NEXT: dataflow-fold: fc: PE 4 SIMD 4: 16 cycles, 740 LUT, 0 BRAM18, 16 DSP
// A budget the design cannot meet, fully folded or at the target, says by how much.
// RUN: not qnn-opt %s -p 'dataflow-fold{budget=0.002}' 2>&1 | filecheck %s --check-prefix=TOO-BIG
// TOO-BIG: error: dataflow-fold: @mlp_accel: the design does not fit Pynq-Z1 even fully folded (PE = SIMD = 1): LUT 709 > 106 allowed (over by 603) (budget LUT 0.2%, BRAM 0.2%, DSP 0.2%); the largest layers: fc0 (320 LUT, 0 BRAM18, 0 DSP)
// RUN: not qnn-opt %s -p 'dataflow-fold{budget=0.03 target-fps=50000000}' 2>&1 | filecheck %s --check-prefix=TOO-FAST
// TOO-FAST: error: dataflow-fold: @relax_accel: 50,000,000 frames/s needs more than the budget on Pynq-Z1: DSP 16 > 6 allowed (over by 10) (budget LUT 3%, BRAM 3%, DSP 3%); the fastest folding that fits reaches 1,562,500 frames/s (compute bound)

// dataflow-fold sets PE/SIMD; a stream's fold becomes its writer's PE, the
// accelerator input gets its reader's fold. A reader with another fold (fc1
// reads SIMD 4 of a stream fc0 writes 2 at a time) stays valid IR until
// dataflow-insert-dwc.

// CONFIG-LABEL: func.func @mlp
// CONFIG: ^{{.*}}(%[[S:.*]]: !dataflow.stream<1x8xf32, 4>):
// CONFIG-NEXT: %[[Q:.*]] = dataflow.thresholding %[[S]] PE 4 {{.*}} : !dataflow.stream<1x8xf32, 4> -> !dataflow.stream<1x8x!quant.bipolar, 4>
// CONFIG-NEXT: %[[H:.*]] = dataflow.mvau %[[Q]] MW 8 MH 4 SIMD 4 PE 2 {{.*}} : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
// CONFIG-NEXT: %[[O:.*]] = dataflow.mvau %[[H]] MW 4 MH 2 SIMD 4 PE 1 {{.*}} : !dataflow.stream<1x4x!quant.bipolar, 2> -> !dataflow.stream<1x2xui3, 1>
// CONFIG-NEXT: %[[T:.*]] = dataflow.label_select %[[O]] K 1 PE 1 {{.*}} : !dataflow.stream<1x2xui3, 1> -> !dataflow.stream<1x1xi64, 1>

// For 25 M fps at 100 MHz each layer needs fewer than 4 cycles: quant_in PE 4
// (2 cycles), fc0 SIMD 8 PE 2 (2), fc1 SIMD 4 (2), top PE 1 (2).
// AUTO-LABEL: func.func @mlp
// AUTO: ^{{.*}}(%{{.*}}: !dataflow.stream<1x8xf32, 4>):
// AUTO-NEXT: dataflow.thresholding %{{.*}} PE 4 {{.*}} -> !dataflow.stream<1x8x!quant.bipolar, 4>
// AUTO-NEXT: dataflow.mvau %{{.*}} MW 8 MH 4 SIMD 8 PE 2 {{.*}} -> !dataflow.stream<1x4x!quant.bipolar, 2>
// AUTO-NEXT: dataflow.mvau %{{.*}} MW 4 MH 2 SIMD 4 PE 1 {{.*}} -> !dataflow.stream<1x2xui3, 1>
// AUTO-NEXT: dataflow.label_select %{{.*}} K 1 PE 1 {{.*}} -> !dataflow.stream<1x1xi64, 1>
func.func @mlp(%x: tensor<1x8xf32>) -> tensor<1x1xi64> {
  %y = dataflow.accelerator @mlp_accel(%x) : (tensor<1x8xf32>) -> tensor<1x1xi64> {
  ^bb0(%s: !dataflow.stream<1x8xf32, 1>):
    %q = dataflow.thresholding %s PE 1 {name = "quant_in", thresholds = dense<0.0> : tensor<1x1xf32>}
        : !dataflow.stream<1x8xf32, 1> -> !dataflow.stream<1x8x!quant.bipolar, 1>
    %h = dataflow.mvau %q MW 8 MH 4 SIMD 1 PE 1 {name = "fc0", weights = dense<"0x0100010001010000000101000100000101010101000000000100010100010001"> : tensor<8x4xi1>, xnor, thresholds = dense<[[4], [5], [3], [4]]> : tensor<4x1xsi32>}
        : !dataflow.stream<1x8x!quant.bipolar, 1> -> !dataflow.stream<1x4x!quant.bipolar, 1>
    %o = dataflow.mvau %h MW 4 MH 2 SIMD 1 PE 1 {name = "fc1", weights = dense<"0x0100000101010100"> : tensor<4x2xi1>, xnor}
        : !dataflow.stream<1x4x!quant.bipolar, 1> -> !dataflow.stream<1x2xui3, 1>
    %t = dataflow.label_select %o K 1 PE 1 {name = "top"} : !dataflow.stream<1x2xui3, 1> -> !dataflow.stream<1x1xi64, 1>
    dataflow.yield %t : !dataflow.stream<1x1xi64, 1>
  }
  func.return %y : tensor<1x1xi64>
}

// Relaxation to the bottleneck: fc's 8-bit weights stop SIMD at 4 (32 bits;
// 8 would be 64 > 36), so it cannot go below 16 cycles; act then only needs
// fewer than 16 cycles (PE 8), not the fewer than 4 of the target (PE 32).
// Each accelerator is relaxed on its own: @mlp keeps its 2 cycles.
// AUTO-LABEL: func.func @relax
// AUTO: dataflow.thresholding %{{.*}} PE 8 {name = "act",
// AUTO-NEXT: dataflow.mvau %{{.*}} MW 64 MH 4 SIMD 4 PE 4 {name = "fc",
func.func @relax(%x: tensor<1x64xsi4>) -> tensor<1x4xui7> {
  %y = dataflow.accelerator @relax_accel(%x) : (tensor<1x64xsi4>) -> tensor<1x4xui7> {
  ^bb0(%s: !dataflow.stream<1x64xsi4, 1>):
    %a = dataflow.thresholding %s PE 1 {name = "act", thresholds = dense<0> : tensor<1x1xsi32>}
        : !dataflow.stream<1x64xsi4, 1> -> !dataflow.stream<1x64xui1, 1>
    %f = dataflow.mvau %a MW 64 MH 4 SIMD 1 PE 1 {name = "fc", weights = dense<1> : tensor<64x4xsi8>}
        : !dataflow.stream<1x64xui1, 1> -> !dataflow.stream<1x4xui7, 1>
    dataflow.yield %f : !dataflow.stream<1x4xui7, 1>
  }
  func.return %y : tensor<1x4xui7>
}

// REPORT: dataflow-fold: quant_in: PE 4: 2 cycles, 269 LUT, 0 BRAM18, 0 DSP
// REPORT-NEXT: dataflow-fold: fc0: PE 2 SIMD 8: 2 cycles, 452 LUT, 0 BRAM18, 0 DSP
// REPORT-NEXT: dataflow-fold: fc1: PE 1 SIMD 4: 2 cycles, 336 LUT, 0 BRAM18, 0 DSP
// REPORT-NEXT: dataflow-fold: top: PE 1: 2 cycles, 12 LUT, 0 BRAM18, 0 DSP
// REPORT-NEXT: dataflow-fold: @mlp_accel: max 2 cycles per frame: 50,000,000 fps at 100 MHz
// REPORT-NEXT: dataflow-fold: act: PE 8: 8 cycles, 67 LUT, 0 BRAM18, 0 DSP
// REPORT-NEXT: dataflow-fold: fc: PE 4 SIMD 4: 16 cycles, 740 LUT, 0 BRAM18, 16 DSP
// REPORT-NEXT: dataflow-fold: @relax_accel: max 16 cycles per frame: 6,250,000 fps at 100 MHz
