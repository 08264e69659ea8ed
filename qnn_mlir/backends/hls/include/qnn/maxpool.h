// qnn/maxpool.h - max pooling of an NHWC feature map.
//
//   qnn::maxpool<IFM_H, IFM_W, C, KH, KW, SH, SW, PE, InT>(in, out)
//
// Reads IFM_H x IFM_W pixels of C channels, PE channels per word, and writes
// the maximum of each KH x KW window at strides SH x SW (floor mode, no
// padding, SH <= KH and SW <= KW), output pixels in row-major order. Kernels
// may overlap (3x3 at stride 2): an input row belongs to up to
// OPEN_H = ceil(KH / SH) output rows, whose running maxima are kept; an
// output row is written once its last input row has been read. A frame takes
// IFM_H*IFM_W*C/PE cycles of reads plus OH*OW*C/PE of writes.
//
// Values are compared as unsigned keys that keep their order: the raw bits,
// with the sign bit flipped for signed types. On bipolar values (bit 1 is
// +1) the maximum is therefore the OR of the bits.
#ifndef QNN_MAXPOOL_H
#define QNN_MAXPOOL_H

#include <hls_stream.h>

#include "qnn/types.h"

namespace qnn {

// The XOR that turns an element's bits into an order-preserving unsigned key.
template <typename InT>
struct PoolKeyFlip {
  static const unsigned long long value = 0;
};
template <int B>
struct PoolKeyFlip<SInt<B> > {
  static const unsigned long long value = 1ULL << (B - 1);
};

// In C simulation keys are native integers (qnn/types.h, QNN_FAST_CSIM).
#ifdef QNN_FAST_CSIM
template <int B>
struct PoolKey {
  typedef unsigned long long type;
  template <int W>
  static type get(const ap_uint<W> &word, int index) {
    return csim::get_bits<B>(word, index * B);
  }
};
#else
template <int B>
struct PoolKey {
  typedef ap_uint<B> type;
  template <int W>
  static type get(const ap_uint<W> &word, int index) {
    return element<B>(word, index);
  }
};
#endif

template <int IFM_H, int IFM_W, int C, int KH, int KW, int SH, int SW, int PE, typename InT,
          int IN_W, int OUT_W>
void maxpool(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
  static const int B = InT::bits;
  static_assert(C % PE == 0, "PE must divide C");
  static_assert(SH <= KH && SW <= KW, "strides larger than the kernel skip pixels");
  static_assert(IN_W >= PE * B && OUT_W >= PE * B, "stream narrower than PE elements");
  static const int OH = (IFM_H - KH) / SH + 1, OW = (IFM_W - KW) / SW + 1;
  static const int OPEN_H = (KH + SH - 1) / SH, OPEN_W = (KW + SW - 1) / SW;
  static const int CF = C / PE;
  typedef typename PoolKey<B>::type key_t;
  const key_t flip = key_t(PoolKeyFlip<InT>::value);
  key_t best[OPEN_H][OW][C];  // running maxima of output row oh in best[oh % OPEN_H]

  for (int r = 0; r < IFM_H; r++) {
    for (int w = 0; w < IFM_W; w++) {
      for (int cf = 0; cf < CF; cf++) {
#pragma HLS PIPELINE II=1
        const ap_uint<IN_W> word = in.read();
        for (int dh = 0; dh < OPEN_H; dh++) {  // the output rows holding input row r
          const int oh = r / SH - dh;
          if (oh < 0 || oh >= OH || r >= oh * SH + KH) continue;
          for (int dw = 0; dw < OPEN_W; dw++) {  // the output columns holding column w
            const int ow = w / SW - dw;
            if (ow < 0 || ow >= OW || w >= ow * SW + KW) continue;
            const bool first = r == oh * SH && w == ow * SW;  // the window's first pixel
            for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
              const key_t key = PoolKey<B>::get(word, p) ^ flip;
              key_t &kept = best[oh % OPEN_H][ow][cf * PE + p];
              if (first || key > kept) kept = key;
            }
          }
        }
      }
    }
    // Input row r completes output row oh when r is its last row.
    const int oh = (r - KH + 1) / SH;
    if (r >= KH - 1 && (r - KH + 1) % SH == 0 && oh < OH) {
      for (int ow = 0; ow < OW; ow++) {
        for (int cf = 0; cf < CF; cf++) {
#pragma HLS PIPELINE II=1
#ifdef QNN_FAST_CSIM
          csim::WordPacker<OUT_W> word;
          for (int p = 0; p < PE; p++) word.put(best[oh % OPEN_H][ow][cf * PE + p] ^ flip, B);
          out.write(word.word());
#else
          ap_uint<OUT_W> word = 0;
          for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
            set_element<B>(word, p, ap_uint<B>(best[oh % OPEN_H][ow][cf * PE + p] ^ flip));
          }
          out.write(word);
#endif
        }
      }
    }
  }
}

}  // namespace qnn

#endif  // QNN_MAXPOOL_H
