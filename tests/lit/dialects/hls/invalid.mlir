// RUN: qnn-opt %s --split-input-file --verify-diagnostics | filecheck %s
// RUN: qnn-opt %s --split-input-file --verify-diagnostics | not grep builtin.module

// One case per verifier error of the hls dialect. The second RUN line fails
// if any case verifies (a verified chunk is printed as a module).

// === types

func.func @zero_width(%x: !hls.stream<0>) {
  func.return
}
// CHECK: error: '!hls.stream' word width must be in [1, 32768] bits, got 0

// -----

func.func @too_wide(%x: !hls.stream<32769>) {
  func.return
}
// CHECK: error: '!hls.stream' word width must be in [1, 32768] bits, got 32769

// -----

// === hls.kernel

hls.kernel @no_outputs(%in0: !hls.stream<8>) -> () {
  hls.return
}
// CHECK: error: 'hls.kernel' @no_outputs needs at least one input and one output port, got 1 and 0

// -----

hls.kernel @not_a_stream(%in0: i32) -> (%out0: !hls.stream<8>) {
  hls.return
}
// CHECK: error: 'hls.kernel' @not_a_stream port %in0 must be an !hls.stream, got i32

// -----

hls.kernel @no_return(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
}
// CHECK: error: 'hls.kernel' @no_return body must end with 'hls.return'

// -----

hls.kernel @two_readers(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>, %out1: !hls.stream<8>) {
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out1 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.kernel' @two_readers input port %in0 has 0 writer(s) and 2 reader(s) among the hls.call ops, expected 0 and 1: a stream in a DATAFLOW region has one producer and one consumer

// -----

hls.kernel @unused_stream(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  %s = hls.stream depth 2 : !hls.stream<8>
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.kernel' @unused_stream stream %s has 0 writer(s) and 0 reader(s) among the hls.call ops, expected 1 and 1

// -----

func.func @return_outside() {
  hls.return
}
// CHECK: error: 'hls.return' expects parent op 'hls.kernel'

// -----

// Headers are printed as `#include "..."` and copied into the project: only the
// library's and the layer ops' own.
hls.kernel @unknown_header(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) attributes {headers = ["qnn/mvau.h", "../../etc/passwd"]} {
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.kernel' @unknown_header header '../../etc/passwd' is not a header of the project's layer library or of a layer op: expected one of {{.*}}qnn/mvau.h

// -----

hls.kernel @header_not_a_string(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) attributes {headers = [1]} {
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.kernel' @header_not_a_string headers must be an array of strings (include paths), got [1 : i64]

// -----

// === hls.stream

hls.kernel @zero_depth(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  %s = hls.stream depth 0 : !hls.stream<8>
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%s : !hls.stream<8>)
  hls.call "copy"(%s : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.stream' depth must be >= 1, got 0

// -----

// === hls.call

hls.kernel @bad_callee(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "copy<8>"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.call' callee 'copy<8>' is not a C++ name (letters, digits, '_', '::'; no template arguments: put those in the <...> list)

// -----

hls.kernel @bad_template_arg(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "copy"<8, "">(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.call' copy: template argument 1 must be an integer or a non-empty string, got ""

// -----

hls.kernel @keyword_callee(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "qnn::delete"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.call' callee 'qnn::delete' is not a C++ name ('delete' is a keyword)

// -----

// Template argument text is C++: one type or constant, nothing that ends the
// argument list, a statement or a line.
hls.kernel @statement_in_template_arg(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "copy"<8, "1>(in0); system(\22x\22); f<1">(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.call' copy: template argument 1 must be one C++ type or constant (letters, digits, spaces and _ : < > ( ) , + - * only), got "1>(in0); system(\22x\22); f<1"

// -----

hls.kernel @unbalanced_template_arg(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "copy"<"1>(in0, out0), f<1">(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.call' copy: template argument 0 must be one C++ type or constant (with balanced <> and ()), got '1>(in0, out0), f<1'

// -----

hls.kernel @two_template_args_in_one(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "copy"<"8, 9">(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.call' copy: template argument 0 must be one C++ type or constant (a ',' outside brackets makes two), got '8, 9'

// -----

hls.kernel @comment_not_a_string(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>) {comment = 3}
  hls.return
}
// CHECK: error: 'hls.call' comment must be a string, got 3 : i64

// -----

hls.kernel @no_inputs(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "source"() -> (%out0 : !hls.stream<8>)
  hls.call "sink"(%in0 : !hls.stream<8>) -> ()
  hls.return
}
// CHECK: error: 'hls.call' source: a layer needs at least one input and one output stream, got 0 and 1

// -----

hls.kernel @in_and_out(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  %s = hls.stream depth 2 : !hls.stream<8>
  hls.call "copy"(%in0 : !hls.stream<8>, %s : !hls.stream<8>) -> (%s : !hls.stream<8>, %out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.call' copy: a stream cannot be both an input and an output

// -----

hls.rom @weights width 8 depth 1 = dense<[[1]]> : tensor<1x1xui64>
hls.kernel @unknown_rom(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.call "mvau"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>) roms [@weights, @thresholds]
  hls.return
}
// CHECK: error: 'hls.call' mvau: @thresholds does not name an 'hls.rom' next to the kernel

// -----

// === hls.pragma

hls.kernel @typo(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.pragma "DATAFLOWW"
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.pragma' unknown HLS pragma 'DATAFLOWW': expected one of ALLOCATION,

// -----

hls.kernel @prefix(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.pragma "HLS DATAFLOW"
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.pragma' text must be one line without '#pragma HLS' (it is printed as a prefix), got 'HLS DATAFLOW'

// -----

hls.kernel @comment_in_pragma(%in0: !hls.stream<8>) -> (%out0: !hls.stream<8>) {
  hls.pragma "DATAFLOW /* x"
  hls.call "copy"(%in0 : !hls.stream<8>) -> (%out0 : !hls.stream<8>)
  hls.return
}
// CHECK: error: 'hls.pragma' text must be letters, digits, spaces and _ $ = , . : ( ) + - only (it is printed as a line of C++), got 'DATAFLOW /* x'

// -----

// === hls.rom

hls.rom @zero_width width 0 depth 1 = dense<0> : tensor<1x1xui64>
// CHECK: error: 'hls.rom' @zero_width word width must be in [1, 32768] bits (ap_uint's limit), got 0; fold the layer further (a smaller PE or SIMD) to narrow its words

// -----

hls.rom @zero_depth width 8 depth 0 = dense<0> : tensor<0x1xui64>
// CHECK: error: 'hls.rom' @zero_depth depth must be >= 1, got 0

// -----

hls.rom @signed_limbs width 8 depth 2 = dense<0> : tensor<2x1xi64>
// CHECK: error: 'hls.rom' @signed_limbs words must be a tensor<2x1xui64> of 64-bit limbs, got tensor<2x1xi64>

// -----

hls.rom @word_count width 8 depth 4 = dense<0> : tensor<3x1xui64>
// CHECK: error: 'hls.rom' @word_count holds 3 words but its depth is 4

// -----

hls.rom @limb_count width 100 depth 2 = dense<0> : tensor<2x1xui64>
// CHECK: error: 'hls.rom' @limb_count words have 1 limbs but a 100-bit word needs 2

// -----

hls.rom @too_wide_word width 70 depth 3 = dense<[[0, 0], [0, 63], [0, 64]]> : tensor<3x2xui64>
// CHECK: error: 'hls.rom' @too_wide_word word 2 does not fit in 70 bits
