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
//
// C simulation fast path (QNN_FAST_CSIM, never under __SYNTHESIS__). The
// ap_types C model stores an ap_uint<W> as 64-bit limbs (ap_private's
// get_pVal), and its operators are slow: word.range() shifts the whole word,
// so slicing a 784-bit weight word costs 13 limb shifts per element, and every
// ap_uint temporary is masked and spilled. In C simulation element(),
// set_element() and popcount() work on the limbs directly, Xnor::dot on a
// native 64-bit word, and layers sum in a native integer (Accumulator below):
// the same bits, about 30 times faster on TFC. -DQNN_PORTABLE_CSIM turns the
// fast path off and simulates exactly the code synthesis sees; run_hls.tcl sets
// it for Vitis HLS, whose C model may differ, and tests/test_hls_backend.py
// checks that both paths give identical bits.
#ifndef QNN_TYPES_H
#define QNN_TYPES_H

#include <ap_int.h>

#if !defined(__SYNTHESIS__) && !defined(QNN_PORTABLE_CSIM)
#define QNN_FAST_CSIM
#endif

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

#ifdef QNN_FAST_CSIM
// Limb access for C simulation only (see the top of this file).
namespace csim {

// Limb k (bits [64k, 64k + 64) of the word; the bits above W read as 0).
template <int W>
inline unsigned long long limb(const ap_uint<W> &word, int k) {
  const int rest = W - 64 * k;
  const unsigned long long mask = rest >= 64 ? ~0ULL : ~0ULL >> (64 - rest);
  return static_cast<unsigned long long>(word.V.get_pVal(k)) & mask;  // VAL if W <= 64
}

template <int W>
inline void set_limb(ap_uint<W> &word, int k, unsigned long long bits) {
  const int rest = W - 64 * k;
  const unsigned long long mask = rest >= 64 ? ~0ULL : ~0ULL >> (64 - rest);
  word.V.get_pVal(k) = bits & mask;
}

// Bits [low, low + B) of the word, 1 <= B <= 64.
template <int B, int W>
inline unsigned long long get_bits(const ap_uint<W> &word, int low) {
  const int k = low / 64, shift = low % 64;
  unsigned long long bits = limb(word, k) >> shift;
  if (shift + B > 64) bits |= limb(word, k + 1) << (64 - shift);
  return bits & (~0ULL >> (64 - B));
}

template <int B, int W>
inline void set_bits(ap_uint<W> &word, int low, unsigned long long bits) {
  const int k = low / 64, shift = low % 64;
  const unsigned long long mask = ~0ULL >> (64 - B);
  bits &= mask;
  set_limb(word, k, (limb(word, k) & ~(mask << shift)) | (bits << shift));
  if (shift + B > 64) {
    const int done = 64 - shift;  // bits already stored in limb k
    set_limb(word, k + 1, (limb(word, k + 1) & ~(mask >> done)) | (bits >> done));
  }
}

inline int popcount64(unsigned long long v) {  // SWAR: no POPCNT in generic x86-64
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<int>((v * 0x0101010101010101ULL) >> 56);
}

}  // namespace csim
#endif  // QNN_FAST_CSIM

// The type to sum AccT-valued terms in: AccT, except in the C simulation fast
// path, where an ap_int or ap_uint of at most 64 bits becomes unsigned long
// long, many times cheaper to add. The result has the same bits when the
// layer converts the sum back with AccT(sum): AccT(sum mod 2^64) keeps the
// same W bits as AccT arithmetic wrapping at every step (both are the sum
// mod 2^W).
template <typename AccT, bool NATIVE>
struct AccumulatorOf {
  typedef AccT type;
};
template <typename AccT>
struct AccumulatorOf<AccT, true> {
  typedef unsigned long long type;
};
template <typename AccT>
struct Accumulator : AccumulatorOf<AccT, false> {};
#ifdef QNN_FAST_CSIM
template <int W>
struct Accumulator<ap_uint<W> > : AccumulatorOf<ap_uint<W>, (W <= 64)> {};
template <int W>
struct Accumulator<ap_int<W> > : AccumulatorOf<ap_int<W>, (W <= 64)> {};
#endif

// Element `index` of B-bit elements packed in a word (element 0 in the low bits).
template <int B, int W>
ap_uint<B> element(const ap_uint<W> &word, int index) {
#pragma HLS INLINE
#ifdef QNN_FAST_CSIM
  if (B <= 64) return ap_uint<B>(csim::get_bits<(B < 64 ? B : 64)>(word, index * B));
#endif
  return word.range(index * B + B - 1, index * B);
}

// Store a B-bit element at position `index` of a word.
template <int B, int W>
void set_element(ap_uint<W> &word, int index, const ap_uint<B> &raw) {
#pragma HLS INLINE
#ifdef QNN_FAST_CSIM
  if (B <= 64) {
    csim::set_bits<(B < 64 ? B : 64)>(word, index * B, raw.to_uint64());
    return;
  }
#endif
  word.range(index * B + B - 1, index * B) = raw;
}

}  // namespace qnn

#endif  // QNN_TYPES_H
