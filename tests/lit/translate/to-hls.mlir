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

// --to-hls prints one top function: interface pragmas, DATAFLOW, one stream
// per internal link with its depth, and one commented call per layer.
// TOP:      #include "top.h"
// TOP:      #include "params.h"
// TOP-NEXT: #include "qnn/label_select.h"
// TOP-NEXT: #include "qnn/mvau.h"
// TOP:      void lenet(hls::stream<ap_uint<8>> &in0, hls::stream<ap_uint<8>> &out0) {
// TOP-NEXT: #pragma HLS INTERFACE axis port=in0
// TOP-NEXT: #pragma HLS INTERFACE axis port=out0
// TOP-NEXT: #pragma HLS INTERFACE ap_ctrl_none port=return
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

// HEADER:      #include <ap_int.h>
// HEADER-NEXT: #include <hls_stream.h>
// HEADER:      void lenet(hls::stream<ap_uint<8>> &in0, hls::stream<ap_uint<8>> &out0);

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

// The testbench's C entry point, and the frame layout it documents.
// TB:      //   in0     input      8          1           2
// TB-NEXT: //   out0    output     8          1           2
// TB:      extern "C" int qnn_run_batch(
// TB:      lenet(port_in0, port_out0);

// TCL: target Pynq-Z1 (xc7z020clg400-1, 100 MHz)
// TCL: set_top lenet
// TCL: set_part xc7z020clg400-1
// TCL: create_clock -period 10 -name default
// TCL: csim_design
// TCL: csynth_design
// TCL: export_design -format ip_catalog

// The layer library is copied in; hls_stream.h (C simulation only) sits apart.
// LIB: csim:
// LIB-NEXT: hls_stream.h
// LIB: activation.h
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
