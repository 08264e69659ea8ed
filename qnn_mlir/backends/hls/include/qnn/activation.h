// qnn/activation.h - output activations of the MVAU and the thresholding layer.
//
// Both activations turn one value per lane into the raw OUT_BITS bits of an
// output element. They are stateless: a layer reads one threshold word per
// output word with load(rom, tile) and hands it to apply() for every lane.
//
//   qnn::Thresholds<PE, N, ThrT, OUT_BITS, OUT_BIAS, LimbT, LIMBS>
//       count = #{i : value >= T[channel][i]}; out = count + OUT_BIAS (OUT_BITS
//       bits, two's complement). A bipolar output is N = 1, OUT_BIAS = 0: the
//       count itself is the bit (1 means +1).
//       ROM layout: one word per channel; threshold i of channel c is element i
//       of word c (ThrT::bits each). A tile of PE channels is PE words, so the
//       word stays N * ThrT::bits wide whatever the folding. The ROM is an
//       array `const LimbT rom[CHANNELS][LIMBS]` (see rom_word, qnn/types.h).
//   qnn::PassThrough<OUT_BITS>
//       out = value (the accumulator), truncated to OUT_BITS bits; no ROM.
#ifndef QNN_ACTIVATION_H
#define QNN_ACTIVATION_H

#include "qnn/types.h"

namespace qnn {

template <int PE, int N, typename ThrT, int OUT_BITS, int OUT_BIAS, typename LimbT, int LIMBS>
struct Thresholds {
  static const int pe = PE;  // channels per tile
  static const int out_bits = OUT_BITS;
  static const int width = N * ThrT::bits;  // of one ROM word
  typedef LimbT row_t[LIMBS];               // one ROM word as stored in params.h
  static_assert(LIMBS * LimbBits<LimbT>::value >= width,
                "threshold ROM rows narrower than N * ThrT::bits");
  // The thresholds of the PE channels of one tile: PE ROM words, read in one
  // cycle (the layer partitions the ROM cyclically by PE).
  struct word_t {
    ap_uint<width> lanes[PE];
  };

  static word_t load(const row_t rom[], int tile) {
#pragma HLS INLINE
    word_t word;
#pragma HLS ARRAY_PARTITION variable=word.lanes complete
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      word.lanes[p] = rom_word<width>(rom[tile * PE + p]);
    }
    return word;
  }

  template <typename ValueT>
  static ap_uint<OUT_BITS> apply(const word_t &word, const ValueT &value, int lane) {
#pragma HLS INLINE
    typename Accumulator<ap_uint<BitsFor<N>::value> >::type count = 0;
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
      const typename ThrT::value_t threshold =
          ThrT::value(element<ThrT::bits>(word.lanes[lane], i));
      count += (as_signed(value) >= as_signed(threshold)) ? 1 : 0;
    }
    return ap_uint<OUT_BITS>(int(count) + OUT_BIAS);
  }
};

template <int OUT_BITS>
struct PassThrough {
  static const int pe = 1;
  static const int out_bits = OUT_BITS;
  typedef unsigned char row_t[1];  // no ROM: the layer passes a null pointer
  typedef ap_uint<1> word_t;

  static word_t load(const row_t *, int) { return 0; }

  template <typename ValueT>
  static ap_uint<OUT_BITS> apply(const word_t &, const ValueT &value, int) {
#pragma HLS INLINE
    return ap_uint<OUT_BITS>(value);
  }
};

}  // namespace qnn

#endif  // QNN_ACTIVATION_H
