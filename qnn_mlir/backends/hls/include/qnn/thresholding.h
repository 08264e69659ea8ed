// qnn/thresholding.h - multi-threshold activation on a stream of channels.
//
//   qnn::thresholding<CHANNELS, PE, VECTORS, InT, N, ThrT, OUT_BITS, OUT_BIAS>(
//       in, out, thresholds)
//
// For each of VECTORS vectors of CHANNELS elements (the innermost dimension),
// PE channels per word: out[c] = #{i : in[c] >= T[c][i]} + OUT_BIAS, written
// as OUT_BITS bits (a bipolar output is N = 1, OUT_BIAS = 0). InT and ThrT are
// datatype policies (qnn/types.h); with qnn::Float32 the comparison is the
// IEEE float comparison. Threshold ROM: CHANNELS words, word c holds the
// thresholds of channel c (layout in qnn/activation.h), as an array
// `const LimbT thresholds[CHANNELS][LIMBS]` (LimbT and LIMBS are deduced).
// CHANNELS / PE cycles per vector at II = 1. C simulation (QNN_FAST_CSIM)
// compares native values with thresholds decoded once (qnn/csim_tables.h).
#ifndef QNN_THRESHOLDING_H
#define QNN_THRESHOLDING_H

#include <hls_stream.h>

#include "qnn/activation.h"
#include "qnn/csim_tables.h"
#include "qnn/types.h"

namespace qnn {

// The loop of qnn::thresholding. FAST picks the C-simulation form at compile
// time, so that the other one is not even instantiated (g++'s time goes into
// instantiating ap_uint operators, one set per width).
template <bool FAST>
struct ThresholdingLoop {
  template <int CHANNELS, int PE, int VECTORS, typename InT, typename Activation, int IN_W,
            int OUT_W>
  static void run(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
                  const typename Activation::row_t thresholds[]) {
#pragma HLS INLINE
    static const int NF = CHANNELS / PE;
    int nf = 0;
    for (int i = 0; i < VECTORS * NF; i++) {
#pragma HLS PIPELINE II=1
      const ap_uint<IN_W> x = in.read();
      const typename Activation::word_t word = Activation::load(thresholds, nf);
      ap_uint<OUT_W> y = 0;
      for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        const typename InT::value_t value = InT::value(element<InT::bits>(x, p));
        set_element<Activation::out_bits>(y, p, Activation::apply(word, value, p));
      }
      out.write(y);
      if (++nf == NF) nf = 0;
    }
  }
};

#ifdef QNN_FAST_CSIM
// C simulation, raw elements of at most 64 bits: channel by channel on native values.
template <>
struct ThresholdingLoop<true> {
  template <int CHANNELS, int PE, int VECTORS, typename InT, typename Activation, int IN_W,
            int OUT_W>
  static void run(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
                  const typename Activation::row_t thresholds[]) {
    static const int NF = CHANNELS / PE;
    csim::UnfoldedActivation<Activation, CHANNELS, InT> activation(thresholds);
    for (int i = 0; i < VECTORS * NF; i++) {
      const ap_uint<IN_W> x = in.read();
      csim::WordPacker<OUT_W> y;
      for (int p = 0; p < PE; p++) {
        const unsigned long long raw = csim::bits_at(x, p * InT::bits, InT::bits);
        y.put(activation.apply(i % NF * PE + p, raw), Activation::out_bits);
      }
      out.write(y.word());
    }
  }
};
#endif

template <int CHANNELS, int PE, int VECTORS, typename InT, int N, typename ThrT, int OUT_BITS,
          int OUT_BIAS, int IN_W, int OUT_W, typename LimbT, int LIMBS>
void thresholding(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
                  const LimbT thresholds[CHANNELS][LIMBS]) {
#pragma HLS ARRAY_PARTITION variable=thresholds cyclic factor=PE dim=1
  static_assert(CHANNELS % PE == 0, "CHANNELS % PE must be 0");
  static_assert(IN_W >= PE * InT::bits, "input stream narrower than PE elements");
  static_assert(OUT_W >= PE * OUT_BITS, "output stream narrower than PE elements");
  typedef Thresholds<PE, N, ThrT, OUT_BITS, OUT_BIAS, LimbT, LIMBS> Activation;
#ifdef QNN_FAST_CSIM
  static const bool FAST = InT::bits <= 64 && OUT_BITS <= 64;  // raw elements fit a native word
#else
  static const bool FAST = false;
#endif
  ThresholdingLoop<FAST>::template run<CHANNELS, PE, VECTORS, InT, Activation>(in, out,
                                                                               thresholds);
}

}  // namespace qnn

#endif  // QNN_THRESHOLDING_H
