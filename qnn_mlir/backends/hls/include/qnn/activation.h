// qnn/activation.h - output activations of the MVAU and the thresholding layer.
//
// Both activations turn one value per lane into the raw OUT_BITS bits of an
// output element. They are stateless: a layer reads one threshold word per
// output word with load(rom, tile) and hands it to apply() for every lane.
//
//   qnn::Thresholds<PE, N, ThrT, OUT_BITS, OUT_BIAS, TROM_W>
//       count = #{i : value >= T[channel][i]}; out = count + OUT_BIAS (OUT_BITS
//       bits, two's complement). A bipolar output is N = 1, OUT_BIAS = 0: the
//       count itself is the bit (1 means +1).
//       ROM layout: one word per channel; threshold i of channel c is element i
//       of word c (ThrT::bits each). A tile of PE channels is PE words, so the
//       word stays N * ThrT::bits wide whatever the folding.
//   qnn::PassThrough<OUT_BITS>
//       out = value (the accumulator), truncated to OUT_BITS bits; no ROM.
#ifndef QNN_ACTIVATION_H
#define QNN_ACTIVATION_H

#include "qnn/types.h"

namespace qnn {

template <int PE, int N, typename ThrT, int OUT_BITS, int OUT_BIAS, int TROM_W>
struct Thresholds {
  static_assert(TROM_W == N * ThrT::bits, "threshold ROM width must be N * ThrT::bits");
  typedef ap_uint<TROM_W> rom_t;
  // The thresholds of the PE channels of one tile: PE ROM words, read in one
  // cycle (the layer partitions the ROM cyclically by PE).
  struct word_t {
    rom_t lanes[PE];
  };

  static word_t load(const rom_t rom[], int tile) {
#pragma HLS INLINE
    word_t word;
#pragma HLS ARRAY_PARTITION variable=word.lanes complete
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      word.lanes[p] = rom[tile * PE + p];
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
  typedef ap_uint<1> rom_t;
  typedef ap_uint<1> word_t;

  static word_t load(const rom_t *, int) { return 0; }

  template <typename ValueT>
  static ap_uint<OUT_BITS> apply(const word_t &, const ValueT &value, int) {
#pragma HLS INLINE
    return ap_uint<OUT_BITS>(value);
  }
};

}  // namespace qnn

#endif  // QNN_ACTIVATION_H
