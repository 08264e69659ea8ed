// qnn/sliding_window.h - the input generator of a convolution (im2col on a stream).
//
//   qnn::sliding_window<IFM_H, IFM_W, C, KH, KW, SH, SW, SIMD, ELEM_BITS>(in, out)
//
// Reads an NHWC feature map, IFM_H x IFM_W pixels of C channels, SIMD channels
// per word (C / SIMD words per pixel), and writes, for every output pixel
// (oh, ow) in row-major order, its window: pixels (oh*SH + kh, ow*SW + kw) for
// kh < KH, kw < KW, each pixel's C / SIMD words in order. That is window
// element (kh*KW + kw)*C + c, the row order of the MVAU's weights. Since SIMD
// divides C, every output word is a copy of one input word.
//
// Schedule (FINN's sliding-window cycle model): the first KH input rows fill a
// line buffer of KH + SH rows; then, for each output row, its window words
// are written while the next SH input rows are read into the rows the window
// no longer needs, one word of each per cycle. The last output row also reads
// the input rows below the last window, if any.
#ifndef QNN_SLIDING_WINDOW_H
#define QNN_SLIDING_WINDOW_H

#include <hls_stream.h>

#include "qnn/types.h"

namespace qnn {

template <int IFM_H, int IFM_W, int C, int KH, int KW, int SH, int SW, int SIMD, int ELEM_BITS,
          int IN_W, int OUT_W>
void sliding_window(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
  static_assert(C % SIMD == 0, "SIMD must divide C");
  static_assert(KH <= IFM_H && KW <= IFM_W, "the window must fit the input");
  static_assert(IN_W >= SIMD * ELEM_BITS && OUT_W >= SIMD * ELEM_BITS,
                "stream narrower than SIMD elements");
  static const int OH = (IFM_H - KH) / SH + 1;
  static const int OW = (IFM_W - KW) / SW + 1;
  static const int CF = C / SIMD;              // words per pixel
  static const int ROW_WORDS = IFM_W * CF;     // words per input row
  static const int ROWS = KH + SH;             // line buffer rows
  static const int WINDOW_WORDS = KH * KW * CF;
  ap_uint<SIMD * ELEM_BITS> buffer[ROWS][ROW_WORDS];
#pragma HLS ARRAY_PARTITION variable=buffer complete dim=1

  // Fill: input rows 0 .. KH-1 (row r lives in buffer row r % ROWS).
  for (int i = 0; i < KH * ROW_WORDS; i++) {
#pragma HLS PIPELINE II=1
    buffer[i / ROW_WORDS][i % ROW_WORDS] = in.read();
  }
  int next_row = KH;  // the next input row to read
  for (int oh = 0; oh < OH; oh++) {
    // Input rows read during this output row: the next SH, or all that are left
    // after the last output row.
    int rows = IFM_H - next_row;
    if (oh < OH - 1 && rows > SH) rows = SH;
    const int reads = rows * ROW_WORDS;
    const int writes = OW * WINDOW_WORDS;
    int ow = 0, kh = 0, kw = 0, cf = 0;  // the window word written next
    for (int i = 0; i < (reads > writes ? reads : writes); i++) {
#pragma HLS PIPELINE II=1
      if (i < writes) {
        const int row = (oh * SH + kh) % ROWS;
        out.write(ap_uint<OUT_W>(buffer[row][(ow * SW + kw) * CF + cf]));
        if (++cf == CF) {
          cf = 0;
          if (++kw == KW) {
            kw = 0;
            if (++kh == KH) {
              kh = 0;
              ow++;
            }
          }
        }
      }
      if (i < reads) {
        const int row = next_row + i / ROW_WORDS;
        const ap_uint<IN_W> word = in.read();
        // Rows below the last window are read and dropped.
        if (row < (OH - 1) * SH + KH) {
          buffer[row % ROWS][i % ROW_WORDS] = ap_uint<SIMD * ELEM_BITS>(word);
        }
      }
    }
    next_row += rows;
  }
}

}  // namespace qnn

#endif  // QNN_SLIDING_WINDOW_H
