// qnn/mvau.h - the matrix-vector-activation unit (MVAU) of the qnn-mlir HLS library.
//
// y = act(x . W) for each of VECTORS input vectors of MW elements; W is MW x MH.
// SIMD inputs and PE outputs per cycle: NF = MH / PE neuron tiles, SF = MW /
// SIMD input tiles, one iteration of an NF x SF loop per cycle (II = 1). The
// input vector is read during the first neuron tile and replayed from a
// buffer for the others.
//
//   qnn::mvau<MW, MH, SIMD, PE, VECTORS, Product, AccT, N, ThrT, OUT_BITS, OUT_BIAS>(
//       in, out, weights, thresholds)          // thresholded output (qnn/activation.h)
//   qnn::mvau_noact<MW, MH, SIMD, PE, VECTORS, Product, AccT, OUT_BITS>(
//       in, out, weights)                      // the accumulator is the output
//
// Product is qnn::Xnor (bipolar x bipolar as bits: the accumulator is the
// popcount P = #{i : x_i == w_i}, x . w = 2P - MW) or qnn::Multiply<InT, WT>
// (integer multiply-accumulate of the element values). AccT is the C++
// accumulator type; the compiler chooses it to hold the exact range (the C
// simulation fast path sums in a native integer: qnn::Accumulator, qnn/types.h).
//
// Weight ROM (WMEM = MW*MH / (PE*SIMD) words of PE*SIMD*WT::bits bits): word
// nf*SF + sf holds, for lane p, the weights W[sf*SIMD + s][nf*PE + p] of input
// s = 0..SIMD-1 as element p*SIMD + s. Output neuron j is computed by lane
// j % PE in tile j / PE; output word nf holds neuron nf*PE + p as element p.
// The ROM is an array `const LimbT weights[WMEM][LIMBS]`: each word in native
// limbs (qnn::rom_word, qnn/types.h); LimbT and LIMBS are deduced.
//
// C simulation (QNN_FAST_CSIM) does not run this schedule: qnn/mvau_unfolded.h
// computes the same output words from a folding-independent copy of the
// weights, so simulation speed does not depend on PE and SIMD.
#ifndef QNN_MVAU_H
#define QNN_MVAU_H

#include <hls_stream.h>

#include <type_traits>

#include "qnn/activation.h"
#include "qnn/mvau_unfolded.h"
#include "qnn/types.h"

namespace qnn {

// Number of set bits: an adder tree once unrolled by HLS. The C simulation
// fast path (qnn/types.h) counts 64-bit limbs instead.
template <int W>
ap_uint<BitsFor<W>::value> popcount(const ap_uint<W> &bits) {
#pragma HLS INLINE
#ifdef QNN_FAST_CSIM
  int total = 0;
  for (int k = 0; k < (W + 63) / 64; k++) total += csim::popcount64(csim::limb(bits, k));
  return ap_uint<BitsFor<W>::value>(total);
#else
  ap_uint<BitsFor<W>::value> count = 0;
  for (int i = 0; i < W; i++) {
#pragma HLS UNROLL
    count += bits[i];
  }
  return count;
#endif
}

// Bipolar inputs and weights as bits (1 means +1): the number of agreements.
struct Xnor {
  static const int in_bits = 1;
  static const int weight_bits = 1;

  template <int SIMD, typename AccT>
  static AccT dot(const ap_uint<SIMD> &x, const ap_uint<SIMD> &w) {
#pragma HLS INLINE
#ifdef QNN_FAST_CSIM
    // The bits above SIMD are 0 in both words, so ~(x ^ w) sets 64 - SIMD of them.
    if (SIMD <= 64) return AccT(csim::popcount64(~(x.to_uint64() ^ w.to_uint64())) - (64 - SIMD));
#endif
    return AccT(popcount<SIMD>(~(x ^ w)));
  }
};

// Integer (or bipolar-as-value) multiply-accumulate of SIMD element pairs.
template <typename InT, typename WT>
struct Multiply {
  static const int in_bits = InT::bits;
  static const int weight_bits = WT::bits;

  template <int SIMD, typename AccT>
  static AccT dot(const ap_uint<SIMD * InT::bits> &x, const ap_uint<SIMD * WT::bits> &w) {
#pragma HLS INLINE
    AccT sum = 0;
    for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
      sum += as_signed(InT::value(element<InT::bits>(x, s))) *
             as_signed(WT::value(element<WT::bits>(w, s)));
    }
    return sum;
  }
};

// The NF x SF loop shared by both entry points; Activation is a qnn/activation.h class
// and `thresholds` its ROM (unused, and null, for PassThrough).
template <int MW, int MH, int SIMD, int PE, int VECTORS, typename Product, typename AccT,
          int OUT_BITS, typename Activation, int IN_W, int OUT_W, typename LimbT, int LIMBS>
void mvau_folded(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
                 const LimbT weights[][LIMBS], const typename Activation::row_t thresholds[]) {
#pragma HLS INLINE
  static const int SF = MW / SIMD;
  static const int NF = MH / PE;
  static const int IN_BITS = SIMD * Product::in_bits;
  static const int LANE_BITS = SIMD * Product::weight_bits;
  static const int WROM_W = PE * LANE_BITS;

  ap_uint<IN_BITS> buffer[SF];
  typedef typename Accumulator<AccT>::type acc_t;  // AccT (native in fast C simulation)
  acc_t acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc complete
  int sf = 0;
  int nf = 0;
  for (int i = 0; i < VECTORS * NF * SF; i++) {
#pragma HLS PIPELINE II=1
    ap_uint<IN_BITS> x;
    if (nf == 0) {
      x = in.read().range(IN_BITS - 1, 0);
      buffer[sf] = x;
    } else {
      x = buffer[sf];
    }
    const ap_uint<WROM_W> w = rom_word<WROM_W>(weights[nf * SF + sf]);
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const acc_t partial = Product::template dot<SIMD, acc_t>(x, element<LANE_BITS>(w, p));
      acc[p] = (sf == 0) ? partial : acc_t(acc[p] + partial);
    }
    if (sf == SF - 1) {
      const typename Activation::word_t threshold_word = Activation::load(thresholds, nf);
      ap_uint<OUT_W> word = 0;
      for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        set_element<OUT_BITS>(word, p, Activation::apply(threshold_word, AccT(acc[p]), p));
      }
      out.write(word);
    }
    if (++sf == SF) {
      sf = 0;
      if (++nf == NF) nf = 0;
    }
  }
}

#ifdef QNN_FAST_CSIM
// C simulation: the unfolded MVAU where it covers the case, chosen at compile time so
// that the folded loop is not even instantiated then (it is most of g++'s work).
template <typename Unfolded, int MW, int MH, int SIMD, int PE, int VECTORS, typename Product,
          typename AccT, int OUT_BITS, typename Activation, int IN_W, int OUT_W,
          typename LimbT, int LIMBS>
void mvau_path(std::true_type, hls::stream<ap_uint<IN_W> > &in,
               hls::stream<ap_uint<OUT_W> > &out, const LimbT weights[][LIMBS],
               const typename Activation::row_t thresholds[]) {
  Unfolded::run(in, out, weights, thresholds);
}

template <typename Unfolded, int MW, int MH, int SIMD, int PE, int VECTORS, typename Product,
          typename AccT, int OUT_BITS, typename Activation, int IN_W, int OUT_W,
          typename LimbT, int LIMBS>
void mvau_path(std::false_type, hls::stream<ap_uint<IN_W> > &in,
               hls::stream<ap_uint<OUT_W> > &out, const LimbT weights[][LIMBS],
               const typename Activation::row_t thresholds[]) {
  mvau_folded<MW, MH, SIMD, PE, VECTORS, Product, AccT, OUT_BITS, Activation>(in, out, weights,
                                                                             thresholds);
}
#endif

template <int MW, int MH, int SIMD, int PE, int VECTORS, typename Product, typename AccT,
          int OUT_BITS, typename Activation, int IN_W, int OUT_W, typename LimbT, int LIMBS>
void mvau_core(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
               const LimbT weights[][LIMBS], const typename Activation::row_t thresholds[]) {
#pragma HLS INLINE
  static_assert(MW % SIMD == 0 && MH % PE == 0, "MW % SIMD and MH % PE must be 0");
  static_assert(IN_W >= SIMD * Product::in_bits, "input stream narrower than SIMD elements");
  static_assert(OUT_W >= PE * OUT_BITS, "output stream narrower than PE elements");
  static_assert(LIMBS * LimbBits<LimbT>::value >= PE * SIMD * Product::weight_bits,
                "weight ROM rows narrower than PE * SIMD * weight bits");
#ifdef QNN_FAST_CSIM
  typedef csim::UnfoldedMvau<MW, MH, SIMD, PE, VECTORS, Product, AccT, Activation> Unfolded;
  mvau_path<Unfolded, MW, MH, SIMD, PE, VECTORS, Product, AccT, OUT_BITS, Activation>(
      std::integral_constant<bool, Unfolded::covered>(), in, out, weights, thresholds);
#else
  mvau_folded<MW, MH, SIMD, PE, VECTORS, Product, AccT, OUT_BITS, Activation>(in, out, weights,
                                                                             thresholds);
#endif
}

template <int MW, int MH, int SIMD, int PE, int VECTORS, typename Product, typename AccT, int N,
          typename ThrT, int OUT_BITS, int OUT_BIAS, int IN_W, int OUT_W, typename WLimbT,
          int WLIMBS, typename TLimbT, int TLIMBS>
void mvau(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
          const WLimbT weights[MW * MH / (PE * SIMD)][WLIMBS],
          const TLimbT thresholds[MH][TLIMBS]) {
#pragma HLS ARRAY_PARTITION variable=thresholds cyclic factor=PE dim=1
  typedef Thresholds<PE, N, ThrT, OUT_BITS, OUT_BIAS, TLimbT, TLIMBS> Activation;
  mvau_core<MW, MH, SIMD, PE, VECTORS, Product, AccT, OUT_BITS, Activation>(in, out, weights,
                                                                           thresholds);
}

template <int MW, int MH, int SIMD, int PE, int VECTORS, typename Product, typename AccT,
          int OUT_BITS, int IN_W, int OUT_W, typename WLimbT, int WLIMBS>
void mvau_noact(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out,
                const WLimbT weights[MW * MH / (PE * SIMD)][WLIMBS]) {
  typedef PassThrough<OUT_BITS> Activation;
  mvau_core<MW, MH, SIMD, PE, VECTORS, Product, AccT, OUT_BITS, Activation>(
      in, out, weights, static_cast<const typename Activation::row_t *>(0));
}

}  // namespace qnn

#endif  // QNN_MVAU_H
