// qnn/dwc.h - data width converter: the same elements, a different number per word.
//
//   qnn::dwc<IN_FOLD, OUT_FOLD, ELEM_BITS, ELEMENTS>(in, out)
//
// Re-packs a frame of ELEMENTS elements of ELEM_BITS bits from IN_FOLD to
// OUT_FOLD elements per word, element order unchanged (element 0 of the frame
// stays in the low bits of the first word). One fold is a multiple of the
// other (dataflow.dwc guarantees it):
//   widening  (OUT_FOLD = k * IN_FOLD): k input words make one output word;
//   narrowing (IN_FOLD = k * OUT_FOLD): one input word makes k output words.
// One iteration per word of the narrower stream (the one with more words) at
// II = 1, so a frame takes max(ELEMENTS / IN_FOLD, ELEMENTS / OUT_FOLD) cycles.
// C simulation (QNN_FAST_CSIM, qnn/types.h) copies the bits limb by limb, with
// no ap_uint temporaries of the element or fold widths.
#ifndef QNN_DWC_H
#define QNN_DWC_H

#include <hls_stream.h>

#include "qnn/types.h"

namespace qnn {

template <bool WIDEN, int IN_FOLD, int OUT_FOLD, int ELEM_BITS, int ELEMENTS>
struct DwcLoop;

template <int IN_FOLD, int OUT_FOLD, int ELEM_BITS, int ELEMENTS>
struct DwcLoop<true, IN_FOLD, OUT_FOLD, ELEM_BITS, ELEMENTS> {
  template <int IN_W, int OUT_W>
  static void run(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
    static const int K = OUT_FOLD / IN_FOLD;
    static const int PART = IN_FOLD * ELEM_BITS;
#ifdef QNN_FAST_CSIM
    for (int i = 0; i < ELEMENTS / OUT_FOLD; i++) {
      csim::WordPacker<OUT_W> word;
      for (int part = 0; part < K; part++) word.put_bits(in.read(), 0, PART);
      out.write(word.word());
    }
#else
    ap_uint<OUT_FOLD * ELEM_BITS> word = 0;
    int part = 0;
    for (int i = 0; i < ELEMENTS / IN_FOLD; i++) {
#pragma HLS PIPELINE II=1
      set_element<PART>(word, part, ap_uint<PART>(in.read().range(PART - 1, 0)));
      if (++part == K) {
        out.write(ap_uint<OUT_W>(word));
        part = 0;
      }
    }
#endif
  }
};

template <int IN_FOLD, int OUT_FOLD, int ELEM_BITS, int ELEMENTS>
struct DwcLoop<false, IN_FOLD, OUT_FOLD, ELEM_BITS, ELEMENTS> {
  template <int IN_W, int OUT_W>
  static void run(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
    static const int K = IN_FOLD / OUT_FOLD;
    static const int PART = OUT_FOLD * ELEM_BITS;
#ifdef QNN_FAST_CSIM
    for (int i = 0; i < ELEMENTS / IN_FOLD; i++) {
      const ap_uint<IN_W> word = in.read();
      for (int part = 0; part < K; part++) {
        csim::WordPacker<OUT_W> piece;
        piece.put_bits(word, part * PART, PART);
        out.write(piece.word());
      }
    }
#else
    ap_uint<IN_FOLD * ELEM_BITS> word = 0;
    int part = 0;
    for (int i = 0; i < ELEMENTS / OUT_FOLD; i++) {
#pragma HLS PIPELINE II=1
      if (part == 0) word = in.read().range(IN_FOLD * ELEM_BITS - 1, 0);
      out.write(ap_uint<OUT_W>(element<PART>(word, part)));
      if (++part == K) part = 0;
    }
#endif
  }
};

template <int IN_FOLD, int OUT_FOLD, int ELEM_BITS, int ELEMENTS, int IN_W, int OUT_W>
void dwc(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
  static_assert(ELEMENTS % IN_FOLD == 0 && ELEMENTS % OUT_FOLD == 0,
                "both folds must divide the frame");
  static_assert(IN_FOLD % OUT_FOLD == 0 || OUT_FOLD % IN_FOLD == 0,
                "one fold must be a multiple of the other");
  static_assert(IN_W >= IN_FOLD * ELEM_BITS && OUT_W >= OUT_FOLD * ELEM_BITS,
                "stream narrower than its fold");
  DwcLoop<(IN_FOLD < OUT_FOLD), IN_FOLD, OUT_FOLD, ELEM_BITS, ELEMENTS>::run(in, out);
}

}  // namespace qnn

#endif  // QNN_DWC_H
