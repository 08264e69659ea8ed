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
// the same bits, about 30 times faster on TFC. The MVAU and the thresholding
// layer go further and skip their folded schedule (qnn/mvau_unfolded.h,
// qnn/csim_tables.h), and the DWC copies limbs. The fast path is also what
// keeps g++ quick: every ap_uint width a design uses instantiates the ap_types
// operators anew, so the fast code is an #else branch of the portable code,
// never both, and touches only the limbs of its words. -DQNN_PORTABLE_CSIM
// turns the fast path off and simulates exactly the code synthesis sees;
// run_hls.tcl sets it for Vitis HLS, whose C model may differ, and
// tests/test_hls_backend.py checks that both paths give identical bits.
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

// Bits [low, low + count) of the word, 1 <= count <= 64.
template <int W>
inline unsigned long long bits_at(const ap_uint<W> &word, int low, int count) {
  const int k = low / 64, shift = low % 64;
  unsigned long long bits = limb(word, k) >> shift;
  if (shift + count > 64) bits |= limb(word, k + 1) << (64 - shift);
  return bits & (~0ULL >> (64 - count));
}

template <int B, int W>
inline unsigned long long get_bits(const ap_uint<W> &word, int low) {
  return bits_at(word, low, B);
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

// Appends fields of up to 64 bits to an array of 64-bit limbs, low bits first.
// The limb being filled stays in a register: set_bits per field would
// read-modify-write memory, a dependency chain through every field.
class LimbPacker {
 public:
  explicit LimbPacker(unsigned long long *limbs) : limb_(limbs), pending_(0), filled_(0) {}

  // The low `count` bits of `bits`, 1 <= count <= 64 (the bits above count are 0).
  void put(unsigned long long bits, int count) {
    pending_ |= bits << filled_;
    filled_ += count;
    if (filled_ >= 64) {
      *limb_++ = pending_;
      filled_ -= 64;  // the top filled_ bits of the field go to the next limb
      pending_ = filled_ ? bits >> (count - filled_) : 0;
    }
  }
  void flush() {  // stores the last, partly filled limb
    if (filled_) *limb_ = pending_;
  }

 private:
  unsigned long long *limb_;
  unsigned long long pending_;
  int filled_;
};

// A W-bit word built field by field with a LimbPacker (the bits not put are 0).
template <int W>
class WordPacker {
 public:
  WordPacker() : limbs_(), packer_(limbs_) {}  // limbs_ zeroed before packer_ points to it
  void put(unsigned long long bits, int count) { packer_.put(bits, count); }
  // Bits [low, low + count) of another word, any count, 64 at a time.
  template <int FROM_W>
  void put_bits(const ap_uint<FROM_W> &from, int low, int count) {
    for (int done = 0; done < count; done += 64) {
      const int take = count - done < 64 ? count - done : 64;
      packer_.put(bits_at(from, low + done, take), take);
    }
  }
  ap_uint<W> word() {
    packer_.flush();
    ap_uint<W> word;
    for (int k = 0; k < LIMBS; k++) set_limb(word, k, limbs_[k]);
    return word;
  }

 private:
  static const int LIMBS = (W + 63) / 64;
  WordPacker(const WordPacker &);  // the packer points into this object
  unsigned long long limbs_[LIMBS];
  LimbPacker packer_;
};

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
  ap_uint<B> wide;  // B > 64: limb by limb, not a shift of the whole word
  for (int k = 0; k < (B + 63) / 64; k++) {
    const int count = B - 64 * k < 64 ? B - 64 * k : 64;
    csim::set_limb(wide, k, csim::bits_at(word, index * B + 64 * k, count));
  }
  return wide;
#else
  return word.range(index * B + B - 1, index * B);
#endif
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
  for (int k = 0; k < B / 64; k++) {
    csim::set_bits<64>(word, index * B + 64 * k, csim::limb(raw, k));
  }
  if (B % 64) {  // the last, partial limb of the element
    csim::set_bits<(B % 64 ? B % 64 : 64)>(word, index * B + B / 64 * 64, csim::limb(raw, B / 64));
  }
#else
  word.range(index * B + B - 1, index * B) = raw;
#endif
}

// A W-bit word from its bytes in host memory (little-endian, padded to whole
// bytes; the padding bits are dropped), and back (padding bits written as 0):
// for a testbench's frame buffers. C simulation moves 8 bytes per limb.
template <int W>
ap_uint<W> word_from_bytes(const unsigned char *bytes) {
  static const int BYTES = (W + 7) / 8;
  ap_uint<W> word;
#ifdef QNN_FAST_CSIM
  for (int k = 0; k < (W + 63) / 64; k++) {
    unsigned long long limb = 0;
    for (int b = 7; b >= 0; b--) limb = (limb << 8) | (8 * k + b < BYTES ? bytes[8 * k + b] : 0);
    csim::set_limb(word, k, limb);
  }
#else
  for (int b = 0; b < BYTES; b++) {
    word.range(8 * b + 8 <= W ? 8 * b + 7 : W - 1, 8 * b) = bytes[b];
  }
#endif
  return word;
}

template <int W>
void word_to_bytes(const ap_uint<W> &word, unsigned char *bytes) {
  static const int BYTES = (W + 7) / 8;
  for (int b = 0; b < BYTES; b++) {
#ifdef QNN_FAST_CSIM
    bytes[b] = static_cast<unsigned char>(csim::limb(word, b / 8) >> (8 * (b % 8)));
#else
    bytes[b] = static_cast<unsigned char>(
        word.range(8 * b + 8 <= W ? 8 * b + 7 : W - 1, 8 * b).to_uint());
#endif
  }
}

// ROM rows. params.h prints each ROM as a plain array of native unsigned
// integers, `const LimbT rom[DEPTH][LIMBS]`: LIMBS = 1 and LimbT = unsigned
// char, short or int for words of at most 8, 16 or 32 bits, else 64-bit limbs,
// limb k holding bits [64k, 64k + 64) of the word. (An array of ap_uint is one
// dynamic constructor call per word, which cost g++ a minute and gigabytes on
// TFC.) Synthesis reshapes dim 2 completely (#pragma HLS ARRAY_RESHAPE in the
// top function), so the ROM is one memory of DEPTH words of LIMBS limbs.
template <typename LimbT>
struct LimbBits {
  static const int value = 8 * static_cast<int>(sizeof(LimbT));
};

// Word `row` of a ROM as the W-bit word the layer computes with.
template <int W, typename LimbT, int LIMBS>
ap_uint<W> rom_word(const LimbT (&row)[LIMBS]) {
#pragma HLS INLINE
  static const int LB = LimbBits<LimbT>::value;
  static_assert(LIMBS * LB >= W, "ROM rows are narrower than the word the layer reads");
  static_assert((LIMBS - 1) * LB < W, "ROM rows have more limbs than the word needs");
#ifdef QNN_FAST_CSIM
  // LB divides 64, so the row's LIMBS * LB bits fit the word's 64-bit limbs.
  csim::WordPacker<W> word;
  for (int k = 0; k < LIMBS; k++) word.put(static_cast<unsigned long long>(row[k]), LB);
  return word.word();
#else
  ap_uint<W> word;
  for (int k = 0; k < LIMBS; k++) {
#pragma HLS UNROLL
    const int low = k * LB;
    word.range(low + LB <= W ? low + LB - 1 : W - 1, low) = row[k];  // the limb's low bits
  }
  return word;
#endif
}

}  // namespace qnn

#endif  // QNN_TYPES_H
