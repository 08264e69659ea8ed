// RUN: qnn-opt %s | qnn-opt | filecheck %s

// Round trip of every hls type and op: printed, parsed and printed again.
// A module holds the packed ROMs and one top kernel.

// CHECK: hls.rom @mvau0_weights width 70 depth 2 = dense<{{\[\[}}1, 63], [18446744073709551615, 0]]> : tensor<2x2xui64>
hls.rom @mvau0_weights width 70 depth 2 = dense<[[1, 63], [18446744073709551615, 0]]> : tensor<2x2xui64>

// CHECK-NEXT: hls.rom @mvau0_thresholds width 32 depth 4 = dense<{{\[\[}}5], [6], [7], [8]]> : tensor<4x1xui64>
hls.rom @mvau0_thresholds width 32 depth 4 = dense<[[5], [6], [7], [8]]> : tensor<4x1xui64>

// CHECK-LABEL: hls.kernel @tfc(%{{.*}}: !hls.stream<8>) -> (%{{.*}}: !hls.stream<32>) {
// CHECK-NEXT: hls.pragma "DATAFLOW"
// CHECK-NEXT: hls.pragma "INTERFACE axis port=in0"
// CHECK-NEXT: %[[S0:.*]] = hls.stream depth 2 : !hls.stream<16>
// CHECK-NEXT: %[[S1:.*]] = hls.stream depth 64 : !hls.stream<8192>
// CHECK-NEXT: hls.call "finn::mvau"<8, 4, 4, 2, "ap_uint<1>">(%in0 : !hls.stream<8>) -> (%[[S0]] : !hls.stream<16>) roms [@mvau0_weights, @mvau0_thresholds] {comment = "dataflow.mvau (layer 0)"}
// CHECK-NEXT: hls.call "dwc"(%[[S0]] : !hls.stream<16>) -> (%[[S1]] : !hls.stream<8192>)
// CHECK-NEXT: hls.call "label_select"<10, 1>(%[[S1]] : !hls.stream<8192>) -> (%out0 : !hls.stream<32>)
// CHECK-NEXT: hls.return
// CHECK-NEXT: }
hls.kernel @tfc(%in0: !hls.stream<8>) -> (%out0: !hls.stream<32>) {
  hls.pragma "DATAFLOW"
  hls.pragma "INTERFACE axis port=in0"
  %s0 = hls.stream depth 2 : !hls.stream<16>
  %s1 = hls.stream depth 64 : !hls.stream<8192>
  hls.call "finn::mvau"<8, 4, 4, 2, "ap_uint<1>">(%in0 : !hls.stream<8>) -> (%s0 : !hls.stream<16>)
      roms [@mvau0_weights, @mvau0_thresholds] {comment = "dataflow.mvau (layer 0)"}
  hls.call "dwc"(%s0 : !hls.stream<16>) -> (%s1 : !hls.stream<8192>)
  hls.call "label_select"<10, 1>(%s1 : !hls.stream<8192>) -> (%out0 : !hls.stream<32>)
  hls.return
}

// Several ports, a stream type as a function argument, discardable attributes.
// CHECK-LABEL: hls.kernel @two_ports(%{{.*}}: !hls.stream<1>, %{{.*}}: !hls.stream<2>) -> (%{{.*}}: !hls.stream<3>, %{{.*}}: !hls.stream<4>) attributes {note = "two in, two out"} {
// CHECK-NEXT: hls.call "add_streams"<-3>(%a : !hls.stream<1>, %b : !hls.stream<2>) -> (%c : !hls.stream<3>, %d : !hls.stream<4>)
// CHECK-NEXT: hls.return
hls.kernel @two_ports(%a: !hls.stream<1>, %b: !hls.stream<2>) -> (%c: !hls.stream<3>, %d: !hls.stream<4>) attributes {note = "two in, two out"} {
  hls.call "add_streams"<-3>(%a : !hls.stream<1>, %b : !hls.stream<2>) -> (%c : !hls.stream<3>, %d : !hls.stream<4>)
  hls.return
}

// CHECK-LABEL: func.func @stream_type_alone(%{{.*}}: !hls.stream<8192>)
func.func @stream_type_alone(%x: !hls.stream<8192>) {
  func.return
}
