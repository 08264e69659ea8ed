// RUN: rm -rf %t %t.again
// RUN: qnn-translate --to-hls %s -o %t
// RUN: filecheck %s --check-prefix=TOP < %t/top.cpp
// RUN: filecheck %s --check-prefix=HEADER < %t/top.h
// RUN: filecheck %s --check-prefix=PARAMS < %t/params.h
// RUN: filecheck %s --check-prefix=TB < %t/testbench.cpp
// RUN: filecheck %s --check-prefix=TCL < %t/run_hls.tcl
// RUN: ls %t/include/qnn %t/csim | filecheck %s --check-prefix=LIB
// The HLS form prints to the same files as the dataflow form it came from.
// RUN: qnn-opt %s -p convert-dataflow-to-hls -o %t.hls.mlir
// RUN: qnn-translate --to-hls %t.hls.mlir -o %t.again
// RUN: diff %t/top.cpp %t.again/top.cpp
// RUN: diff %t/params.h %t.again/params.h
// RUN: diff %t/testbench.cpp %t.again/testbench.cpp
// RUN: not qnn-translate --to-hls %s 2>&1 | filecheck %s --check-prefix=NO-DIR
// RUN: not qnn-translate --to-hls %s -o %t.z7 --board zedboard 2>&1 | filecheck %s --check-prefix=BOARD
// The module's target (dataflow.target) picks the part and clock; --board replaces it.
// RUN: echo 'module attributes {dataflow.target = "zcu104"} {' > %t.zcu.mlir
// RUN: cat %s >> %t.zcu.mlir && echo '}' >> %t.zcu.mlir
// RUN: qnn-translate --to-hls %t.zcu.mlir -o %t.zcu && filecheck %s --check-prefix=ZCU < %t.zcu/run_hls.tcl
// RUN: qnn-translate --to-hls %t.zcu.mlir -o %t.z2 --board pynq-z2 && filecheck %s --check-prefix=Z2 < %t.z2/run_hls.tcl
// ZCU: target ZCU104 (xczu7ev-ffvc1156-2-e, 200 MHz)
// ZCU: set_part xczu7ev-ffvc1156-2-e
// ZCU: create_clock -period 5 -name default
// Z2: target Pynq-Z2 (xc7z020clg400-1, 100 MHz)

// --to-hls prints the kernel: DATAFLOW, one stream per
// internal link with its depth, and one commented call per layer; then the
// synthesis top around it (AXI4-Stream beats, AXI-Lite control, a batch per call).
// TOP:      #include "top.h"
// TOP:      #include "params.h"
// TOP-NEXT: #include "qnn/axi.h"
// TOP-NEXT: #include "qnn/label_select.h"
// TOP-NEXT: #include "qnn/mvau.h"
// TOP:      void lenet(hls::stream<ap_uint<8>> &in0, hls::stream<ap_uint<8>> &out0) {
// TOP-NEXT: #pragma HLS DATAFLOW
// TOP-NEXT: #pragma HLS BIND_STORAGE variable=fc_weights type=rom_1p impl=lutram
// TOP-NEXT: #pragma HLS ARRAY_RESHAPE variable=fc_weights complete dim=2
// TOP-NEXT: #pragma HLS BIND_STORAGE variable=fc_thresholds type=rom_1p impl=lutram
// TOP-NEXT: #pragma HLS ARRAY_RESHAPE variable=fc_thresholds complete dim=2
// TOP-EMPTY:
// TOP-NEXT:   hls::stream<ap_uint<4>> fc_out("fc_out");
// TOP-NEXT: #pragma HLS STREAM variable=fc_out depth=2
// TOP-EMPTY:
// TOP-NEXT:   // layer 0 (fc): dataflow.mvau MW 4 MH 4 SIMD 2 PE 2, 2 threshold(s) per channel, out_bias -1; 4 cycle(s) per frame
// TOP-NEXT:   qnn::mvau<4, 4, 2, 2, 1, qnn::Multiply<qnn::SInt<2>, qnn::SInt<2>>, ap_int<4>, 2, qnn::SInt<3>, 2, -1>(in0, fc_out, fc_weights, fc_thresholds);
// TOP-EMPTY:
// TOP-NEXT:   // layer 1 (label_select0): dataflow.label_select Labels 4 PE 2 K 2; 2 cycle(s) per frame
// TOP-NEXT:   qnn::label_select<4, 2, 2, 1, qnn::SInt<2>, 2>(fc_out, out0);
// TOP-NEXT: }

// The frame loop calls the one-frame kernel; the AXI top wraps it in adapters.
// TOP:      static void lenet_frames(hls::stream<ap_uint<8>> &in0_words, hls::stream<ap_uint<8>> &out0_words, unsigned int frames) {
// TOP-NEXT:   for (unsigned int frame = 0; frame < frames; frame++) {
// TOP-NEXT: #pragma HLS DATAFLOW
// TOP-NEXT:     lenet(in0_words, out0_words);
// TOP:      void lenet_axi(hls::stream<ap_axiu<8, 0, 0, 0>> &in0, hls::stream<ap_axiu<8, 0, 0, 0>> &out0, unsigned int frames) {
// TOP-NEXT: #pragma HLS INTERFACE axis port=in0
// TOP-NEXT: #pragma HLS INTERFACE axis port=out0
// TOP-NEXT: #pragma HLS INTERFACE s_axilite port=frames bundle=control
// TOP-NEXT: #pragma HLS INTERFACE s_axilite port=return bundle=control
// TOP-NEXT: #pragma HLS DATAFLOW
// TOP-NEXT:   hls::stream<ap_uint<8>> in0_words("in0_words");
// TOP-NEXT: #pragma HLS STREAM variable=in0_words depth=2
// TOP-NEXT:   hls::stream<ap_uint<8>> out0_words("out0_words");
// TOP-NEXT: #pragma HLS STREAM variable=out0_words depth=2
// TOP-EMPTY:
// TOP-NEXT:   // in0: 2 word(s) of 8 bits per frame, 1 beat(s) of 8 bits per word
// TOP-NEXT:   qnn::axi_to_words<8, 8, 2>(in0, in0_words, frames);
// TOP-EMPTY:
// TOP-NEXT:   lenet_frames(in0_words, out0_words, frames);
// TOP-EMPTY:
// TOP-NEXT:   // out0: 2 word(s) of 8 bits per frame, 1 beat(s) of 8 bits per word
// TOP-NEXT:   qnn::words_to_axi<8, 8, 2>(out0_words, out0, frames);
// TOP-NEXT: }

// HEADER:      #include <ap_axi_sdata.h>
// HEADER-NEXT: #include <ap_int.h>
// HEADER-NEXT: #include <hls_stream.h>
// HEADER:      void lenet(hls::stream<ap_uint<8>> &in0, hls::stream<ap_uint<8>> &out0);
// HEADER:      void lenet_axi(hls::stream<ap_axiu<8, 0, 0, 0>> &in0, hls::stream<ap_axiu<8, 0, 0, 0>> &out0, unsigned int frames);

// Word 0 holds inputs 0, 1 of neurons 0 (lane 0) and 1 (lane 1) as 2-bit
// elements: 1, -1, -2, 1 -> 0b01_10_11_01 = 0x6d.
// PARAMS:      // @fc_weights: 4 word(s) of 8 bits
// PARAMS-NEXT: static const unsigned char fc_weights[4][1] = {
// PARAMS-NEXT:     {0x6d}, {0x44}, {0x14}, {0xd6}
// PARAMS-NEXT: };
// One threshold word per channel, N = 2 thresholds of 3 bits: channel 0 holds
// [-1, 2] -> 0b010_111 = 0x17, channel 3 holds [1, 1] -> 0b001_001 = 0x09.
// PARAMS:      static const unsigned char fc_thresholds[4][1] = {
// PARAMS-NEXT:     {0x17}, {0x18}, {0x0c}, {0x09}

// The testbench's C entry points, and the frame layouts they document.
// TB:      //   in0     input      8          1           2                8          1
// TB-NEXT: //   out0    output     8          1           2                8          1
// TB:      extern "C" int qnn_run_batch(
// TB:      lenet(port_in0, port_out0);
// TB:      extern "C" int qnn_run_axi(
// TB:      write_beats<8>(axi_in0, inputs[0], frames * 2L);
// TB-NEXT: ::lenet_axi(axi_in0, axi_out0, static_cast<unsigned int>(frames));
// TB-NEXT: check_beats_consumed<8>(axi_in0, "in0");
// TB-NEXT: read_beats<8>(axi_out0, outputs[0], frames * 2L, "out0");
// TB:      extern "C" long qnn_axi_frame_bytes(int index) {
// TB-NEXT:   static const long frame_bytes[] = {2, 2};

// TCL: target Pynq-Z1 (xc7z020clg400-1, 100 MHz)
// TCL: set_top lenet_axi
// TCL: set_part xc7z020clg400-1
// TCL: create_clock -period 10 -name default
// TCL: csim_design
// TCL: csynth_design
// TCL: export_design -format ip_catalog -vendor xilinx.com -library hls -version 1.0

// The layer library is copied in; hls_stream.h and ap_axi_sdata.h (C simulation
// only) sit apart.
// LIB: csim:
// LIB-NEXT: ap_axi_sdata.h
// LIB-NEXT: hls_stream.h
// LIB: activation.h
// LIB: axi.h
// LIB: dwc.h
// LIB: label_select.h
// LIB: mvau.h
// LIB: thresholding.h
// LIB: types.h

// NO-DIR: qnn-translate: error: --to-hls writes a directory: give it with -o DIR
// BOARD: error: unknown board 'zedboard': the known boards are pynq-z1, pynq-z2, ultra96-v2, zcu104, kv260

func.func @main(%x: tensor<1x4xsi2>) -> tensor<1x2xui2> {
  %y = dataflow.accelerator @lenet(%x) : (tensor<1x4xsi2>) -> tensor<1x2xui2> {
  ^bb0(%in: !dataflow.stream<1x4xsi2, 2>):
    %h = dataflow.mvau %in MW 4 MH 4 SIMD 2 PE 2 {name = "fc",
        weights = dense<[[1, -2, 0, 1], [-1, 1, 1, 0], [0, 0, -2, 1], [1, 1, 1, -1]]> : tensor<4x4xsi2>,
        thresholds = dense<[[-1, 2], [0, 3], [-4, 1], [1, 1]]> : tensor<4x2xi32>, out_bias = -1}
        : !dataflow.stream<1x4xsi2, 2> -> !dataflow.stream<1x4xsi2, 2>
    %l = dataflow.label_select %h K 2 PE 2 : !dataflow.stream<1x4xsi2, 2> -> !dataflow.stream<1x2xui2, 1>
    dataflow.yield %l : !dataflow.stream<1x2xui2, 1>
  }
  func.return %y : tensor<1x2xui2>
}
