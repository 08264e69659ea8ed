// qnn/types.h - element datatypes and word helpers of the qnn-mlir HLS layer library.
//
// Every stream carries untyped ap_uint<W> words. A layer is told the datatype
// of its elements by a policy class given as a template argument:
//
//   qnn::UInt<B>    unsigned B-bit integer          value_t = ap_uint<B>
//   qnn::SInt<B>    signed B-bit two's complement   value_t = ap_int<B>
//   qnn::Bipolar    {-1, +1} stored as one bit      value_t = ap_int<2>  (bit 1 means +1)
//   qnn::Float32    IEEE-754 single precision       value_t = float
//
// Element i of a word occupies bits [i*B, (i+1)*B): element 0 is in the least
// significant bits (FINN's packing). Words may be wider than the elements they
// carry (AXI-stream ports are padded to whole bytes); layers use the low bits
// and write zeros above them.
#ifndef QNN_TYPES_H
#define QNN_TYPES_H

#include <ap_int.h>

namespace qnn {

// Bits needed to hold the unsigned value n (at least 1): the width of counters.
template <unsigned long long N>
struct BitsFor {
  static const int value = N < 2 ? 1 : 1 + BitsFor<N / 2>::value;
};
template <>
struct BitsFor<0> {
  static const int value = 1;
};

template <int B>
struct UInt {
  static const int bits = B;
  typedef ap_uint<B> value_t;
  static value_t value(const ap_uint<B> &raw) { return raw; }
};

template <int B>
struct SInt {
  static const int bits = B;
  typedef ap_int<B> value_t;
  static value_t value(const ap_uint<B> &raw) {
    value_t v;
    v.range(B - 1, 0) = raw;  // reinterpret the bits as two's complement
    return v;
  }
};

struct Bipolar {
  static const int bits = 1;
  typedef ap_int<2> value_t;
  static value_t value(const ap_uint<1> &raw) { return raw[0] ? value_t(1) : value_t(-1); }
};

struct Float32 {
  static const int bits = 32;
  typedef float value_t;
  static value_t value(const ap_uint<32> &raw) {
    union {
      unsigned int u;
      float f;
    } bits_to_float;
    bits_to_float.u = raw.to_uint();
    return bits_to_float.f;
  }
};

// The value as a signed ap_int (one bit wider if unsigned). Comparisons and
// products between signed and unsigned ap_ints of 32 bits or more are not
// value operations, so the library compares and multiplies signed values.
template <int W>
ap_int<W + 1> as_signed(const ap_uint<W> &v) {
#pragma HLS INLINE
  return ap_int<W + 1>(v);
}
template <int W>
ap_int<W> as_signed(const ap_int<W> &v) {
#pragma HLS INLINE
  return v;
}
inline float as_signed(float v) { return v; }

// Element `index` of B-bit elements packed in a word (element 0 in the low bits).
template <int B, int W>
ap_uint<B> element(const ap_uint<W> &word, int index) {
#pragma HLS INLINE
  return word.range(index * B + B - 1, index * B);
}

// Store a B-bit element at position `index` of a word.
template <int B, int W>
void set_element(ap_uint<W> &word, int index, const ap_uint<B> &raw) {
#pragma HLS INLINE
  word.range(index * B + B - 1, index * B) = raw;
}

}  // namespace qnn

#endif  // QNN_TYPES_H
