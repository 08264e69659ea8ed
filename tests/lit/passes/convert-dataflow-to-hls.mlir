// RUN: qnn-opt %s --split-input-file --verify-diagnostics -p convert-dataflow-to-hls | filecheck %s
// RUN: qnn-opt %s --split-input-file --verify-diagnostics -p 'convert-dataflow-to-hls{stream-depth=4}' | filecheck %s --check-prefix=DEPTH

// convert-dataflow-to-hls: the accelerator becomes a host call of a declared
// kernel, and a nested module holds the packed ROMs and the hls.kernel. The
// ROM words below are worked out by hand from the documented layouts:
//   thresholds: f32 0.5 = 0x3f000000, shared row repeated for both lanes of a
//     word: 0x3f0000003f000000 = 4539628425446424576;
//   fc0 weights (SIMD 4, PE 2): word nf holds neuron 2nf + p in bits [4p, 4p+4),
//     input s at bit s: neurons 0,1 = 0b0101, 0b1100 -> 0xc5 = 197;
//     neurons 2,3 = 0b0111, 0b0001 -> 0x17 = 23;
//   fc0 thresholds 2, 3 | 1, 4 as UInt<3>: 2 + 3*8 = 26, 1 + 4*8 = 33;
//   mvau0 weights (SIMD 2, PE 3): word sf holds inputs 2sf, 2sf+1 of neuron p
//     in bits [2p, 2p+2): 0b11_00_01 = 49, 0b01_11_01 = 29.

// CHECK-LABEL: func.func @main(%x: tensor<1x4xf32>) -> tensor<1x1xui2> {
// CHECK-NEXT:    %y = func.call @tiny(%x) : (tensor<1x4xf32>) -> tensor<1x1xui2>
// CHECK-NEXT:    func.return %y : tensor<1x1xui2>
// CHECK:       func.func private @tiny(tensor<1x4xf32>) -> tensor<1x1xui2> attributes {hls.kernel = @tiny_hls::@tiny}
// CHECK-NEXT:  builtin.module @tiny_hls {
// CHECK-NEXT:    hls.rom @thresholding0_thresholds width 32 depth 4 = dense<1056964608> : tensor<4x1xui64>
// CHECK-NEXT:    hls.rom @fc0_weights width 8 depth 2 = dense<{{\[\[}}197], [23]]> : tensor<2x1xui64>
// CHECK-NEXT:    hls.rom @fc0_thresholds width 3 depth 4 = dense<{{\[\[}}2], [3], [1], [4]]> : tensor<4x1xui64>
// CHECK-NEXT:    hls.rom @mvau0_weights width 6 depth 2 = dense<{{\[\[}}49], [29]]> : tensor<2x1xui64>
// Ports are padded to whole bytes; frame_words: 2 input words of 2 floats, 1 label.
// CHECK-NEXT:    hls.kernel @tiny(%in0: !hls.stream<64>) -> (%out0: !hls.stream<8>) attributes {frame_words = array<i64: 2, 1>, headers = ["qnn/dwc.h", "qnn/label_select.h", "qnn/mvau.h", "qnn/thresholding.h"]} {
// CHECK-NEXT:      hls.pragma "DATAFLOW"
// CHECK-NEXT:      hls.pragma "BIND_STORAGE variable=thresholding0_thresholds type=rom_1p impl=lutram"
// CHECK-NEXT:      hls.pragma "ARRAY_RESHAPE variable=thresholding0_thresholds complete dim=2"
// CHECK-NEXT:      hls.pragma "BIND_STORAGE variable=fc0_weights type=rom_1p impl=lutram"
// CHECK-NEXT:      hls.pragma "ARRAY_RESHAPE variable=fc0_weights complete dim=2"
// CHECK-NEXT:      hls.pragma "BIND_STORAGE variable=fc0_thresholds type=rom_1p impl=lutram"
// CHECK-NEXT:      hls.pragma "ARRAY_RESHAPE variable=fc0_thresholds complete dim=2"
// CHECK-NEXT:      hls.pragma "BIND_STORAGE variable=mvau0_weights type=rom_1p impl=lutram"
// CHECK-NEXT:      hls.pragma "ARRAY_RESHAPE variable=mvau0_weights complete dim=2"
// Internal streams carry unpadded words (fold * element bits); the stream-depth
// option sets their depth.
// DEPTH: hls.stream depth 4 : !hls.stream<2>
// CHECK-NEXT:      %[[T:.*]] = hls.stream depth 2 : !hls.stream<2>
// CHECK-NEXT:      %[[D:.*]] = hls.stream depth 2 : !hls.stream<4>
// CHECK-NEXT:      %[[F:.*]] = hls.stream depth 2 : !hls.stream<2>
// CHECK-NEXT:      %[[P:.*]] = hls.stream depth 2 : !hls.stream<9>
// CHECK-NEXT:      hls.call "qnn::thresholding"<4, 2, 1, "qnn::Float32", 1, "qnn::Float32", 1, 0>(%in0 : !hls.stream<64>) -> (%[[T]] : !hls.stream<2>) roms [@thresholding0_thresholds] {comment = "layer 0 (thresholding0): dataflow.thresholding C 4 PE 2, 1 threshold(s) per channel, out_bias 0; 2 cycle(s) per frame"}
// CHECK-NEXT:      hls.call "qnn::dwc"<2, 4, 1, 4>(%[[T]] : !hls.stream<2>) -> (%[[D]] : !hls.stream<4>) {comment = "layer 1 (dwc0): dataflow.dwc fold 2 -> 4; 2 cycle(s) per frame"}
// CHECK-NEXT:      hls.call "qnn::mvau"<4, 4, 4, 2, 1, "qnn::Xnor", "ap_uint<3>", 1, "qnn::UInt<3>", 1, 0>(%[[D]] : !hls.stream<4>) -> (%[[F]] : !hls.stream<2>) roms [@fc0_weights, @fc0_thresholds]
// CHECK-NEXT:      hls.call "qnn::mvau_noact"<4, 3, 2, 3, 1, "qnn::Xnor", "ap_uint<3>", 3>(%[[F]] : !hls.stream<2>) -> (%[[P]] : !hls.stream<9>) roms [@mvau0_weights]
// CHECK-NEXT:      hls.call "qnn::label_select"<3, 3, 1, 1, "qnn::UInt<3>", 2>(%[[P]] : !hls.stream<9>) -> (%out0 : !hls.stream<8>)
// CHECK-NEXT:      hls.return
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x1xui2> {
  %y = dataflow.accelerator @tiny(%x) : (tensor<1x4xf32>) -> tensor<1x1xui2> {
  ^bb0(%in: !dataflow.stream<1x4xf32, 2>):
    %a = dataflow.thresholding %in PE 2 {thresholds = dense<0.5> : tensor<1x1xf32>}
        : !dataflow.stream<1x4xf32, 2> -> !dataflow.stream<1x4x!quant.bipolar, 2>
    %w = dataflow.dwc %a : !dataflow.stream<1x4x!quant.bipolar, 2> -> !dataflow.stream<1x4x!quant.bipolar, 4>
    %h = dataflow.mvau %w MW 4 MH 4 SIMD 4 PE 2 {xnor, name = "fc0",
        weights = dense<[[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 0], [0, 1, 0, 0]]> : tensor<4x4xi1>,
        thresholds = dense<[[2], [3], [1], [4]]> : tensor<4x1xi32>}
        : !dataflow.stream<1x4x!quant.bipolar, 4> -> !dataflow.stream<1x4x!quant.bipolar, 2>
    %p = dataflow.mvau %h MW 4 MH 3 SIMD 2 PE 3 {xnor,
        weights = dense<[[1, 0, 1], [0, 0, 1], [1, 1, 1], [0, 1, 0]]> : tensor<4x3xi1>}
        : !dataflow.stream<1x4x!quant.bipolar, 2> -> !dataflow.stream<1x3xui3, 3>
    %l = dataflow.label_select %p K 1 PE 3 : !dataflow.stream<1x3xui3, 3> -> !dataflow.stream<1x1xui2, 1>
    dataflow.yield %l : !dataflow.stream<1x1xui2, 1>
  }
  func.return %y : tensor<1x1xui2>
}

// -----

// Integer layers: the accumulator type holds the exact range of the weights
// over the input type (si2 x si2 over 4 inputs: [-8, 16] fits ap_int<6>), signed
// thresholds get an SInt policy, and two input vectors per frame (1x2x4).
// CHECK-LABEL: func.func private @int2
// CHECK: hls.call "qnn::mvau"<4, 2, 2, 1, 2, "qnn::Multiply<qnn::SInt<2>, qnn::SInt<2>>", "ap_int<6>", 2, "qnn::SInt<4>", 2, -1>
func.func @main(%x: tensor<1x2x4xsi2>) -> tensor<1x2x2xsi2> {
  %y = dataflow.accelerator @int2(%x) : (tensor<1x2x4xsi2>) -> tensor<1x2x2xsi2> {
  ^bb0(%in: !dataflow.stream<1x2x4xsi2, 2>):
    %h = dataflow.mvau %in MW 4 MH 2 SIMD 2 PE 1 {
        weights = dense<[[1, -2], [-2, -2], [1, -2], [-2, -2]]> : tensor<4x2xsi2>,
        thresholds = dense<[[-5, 0], [2, 7]]> : tensor<2x2xi32>, out_bias = -1}
        : !dataflow.stream<1x2x4xsi2, 2> -> !dataflow.stream<1x2x2xsi2, 1>
    dataflow.yield %h : !dataflow.stream<1x2x2xsi2, 1>
  }
  func.return %y : tensor<1x2x2xsi2>
}

// -----

// Hardware needs every layer to read the fold its input stream carries.
// CHECK: error: convert-dataflow-to-hls: accelerator @bad is not ready for hardware: 'dataflow.mvau' input stream fold (4) does not match SIMD (2): set SIMD to 4 or insert a data width converter (dataflow.dwc) before this layer (dataflow-insert-dwc)
func.func @main(%x: tensor<1x8x!quant.bipolar>) -> tensor<1x4xui4> {
  %y = dataflow.accelerator @bad(%x) : (tensor<1x8x!quant.bipolar>) -> tensor<1x4xui4> {
  ^bb0(%in: !dataflow.stream<1x8x!quant.bipolar, 4>):
    %h = dataflow.mvau %in MW 8 MH 4 SIMD 2 PE 2 {xnor, weights = dense<true> : tensor<8x4xi1>}
        : !dataflow.stream<1x8x!quant.bipolar, 4> -> !dataflow.stream<1x4xui4, 2>
    dataflow.yield %h : !dataflow.stream<1x4xui4, 2>
  }
  func.return %y : tensor<1x4xui4>
}
