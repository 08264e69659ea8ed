// qnn/label_select.h - top-K label selection.
//
//   qnn::label_select<LABELS, PE, K, VECTORS, InT, OUT_BITS>(in, out)
//
// For each of VECTORS vectors of LABELS scores (PE per word, InT values),
// writes the indices of the K largest scores, largest first, one index per
// word (OUT_BITS bits). Ties go to the lower index: a score displaces a kept
// one only when it is strictly larger, and scores arrive in index order.
// LABELS / PE cycles per vector plus K output words.
#ifndef QNN_LABEL_SELECT_H
#define QNN_LABEL_SELECT_H

#include <hls_stream.h>

#include "qnn/types.h"

namespace qnn {

template <int LABELS, int PE, int K, int VECTORS, typename InT, int OUT_BITS, int IN_W,
          int OUT_W>
void label_select(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
  static_assert(LABELS % PE == 0 && K <= LABELS, "LABELS % PE must be 0 and K <= LABELS");
  static_assert(IN_W >= PE * InT::bits, "input stream narrower than PE elements");
  static_assert(OUT_W >= OUT_BITS, "output stream narrower than one index");
  typedef ap_uint<BitsFor<LABELS>::value> index_t;
  for (int v = 0; v < VECTORS; v++) {
    typename InT::value_t best[K];
    index_t index[K];
#pragma HLS ARRAY_PARTITION variable=best complete
#pragma HLS ARRAY_PARTITION variable=index complete
    int kept = 0;
    for (int w = 0; w < LABELS / PE; w++) {
#pragma HLS PIPELINE II=1
      const ap_uint<IN_W> word = in.read();
      for (int p = 0; p < PE; p++) {
        const typename InT::value_t score = InT::value(element<InT::bits>(word, p));
        // The first kept position holding a smaller score, else the end of the list.
        int position = kept;
        for (int k = K - 1; k >= 0; k--) {
#pragma HLS UNROLL
          if (k < kept && score > best[k]) position = k;
        }
        for (int k = K - 1; k > 0; k--) {
#pragma HLS UNROLL
          if (k > position) {
            best[k] = best[k - 1];
            index[k] = index[k - 1];
          }
        }
        if (position < K) {
          best[position] = score;
          index[position] = index_t(w * PE + p);
        }
        if (kept < K) kept++;
      }
    }
    for (int k = 0; k < K; k++) {
#pragma HLS PIPELINE II=1
      out.write(ap_uint<OUT_W>(index[k]));
    }
  }
}

}  // namespace qnn

#endif  // QNN_LABEL_SELECT_H
