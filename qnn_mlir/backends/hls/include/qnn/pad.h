// qnn/pad.h - constant padding around an NHWC feature map.
//
//   qnn::pad<IFM_H, IFM_W, C, TOP, LEFT, BOTTOM, RIGHT, SIMD, InT, OutT, VALUE>(in, out)
//
// Writes the (TOP + IFM_H + BOTTOM) x (LEFT + IFM_W + RIGHT) padded map, pixel
// by pixel, SIMD channels per word: a word of SIMD copies of VALUE (an OutT
// value) outside the input, else the next input word. OutT is InT, or
// qnn::SInt<2> for a bipolar input padded with 0 (the {-1, 0, +1} of a
// zero-padded binarized convolution): each input bit b then becomes the
// two-bit value 2b - 1. One output word per cycle.
#ifndef QNN_PAD_H
#define QNN_PAD_H

#include <hls_stream.h>

#include "qnn/types.h"

namespace qnn {

// The bits of VALUE as an element of T (two's complement; bipolar +1 is bit 1).
template <typename T, long long VALUE>
struct PadBits {
  static const unsigned long long value =
      static_cast<unsigned long long>(T::bits == 1 && VALUE < 0 ? 0 : VALUE) &
      (~0ULL >> (64 - T::bits));
};

// An input word as an output word: the same bits, or each element re-encoded.
template <typename InT, typename OutT, int SIMD>
struct PadConvert {
  template <int IN_W>
  static ap_uint<SIMD * OutT::bits> word(const ap_uint<IN_W> &in) {
    return ap_uint<SIMD * OutT::bits>(in);
  }
};
template <int SIMD>
struct PadConvert<Bipolar, SInt<2>, SIMD> {
  template <int IN_W>
  static ap_uint<SIMD * 2> word(const ap_uint<IN_W> &in) {
    ap_uint<SIMD * 2> out = 0;
    for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
      set_element<2>(out, s, ap_uint<2>(element<1>(in, s) == 1 ? 1 : 3));  // +1 : -1
    }
    return out;
  }
};

template <int IFM_H, int IFM_W, int C, int TOP, int LEFT, int BOTTOM, int RIGHT, int SIMD,
          typename InT, typename OutT, long long VALUE, int IN_W, int OUT_W>
void pad(hls::stream<ap_uint<IN_W> > &in, hls::stream<ap_uint<OUT_W> > &out) {
  static_assert(C % SIMD == 0, "SIMD must divide C");
  static_assert(IN_W >= SIMD * InT::bits && OUT_W >= SIMD * OutT::bits,
                "stream narrower than SIMD elements");
  static const int OH = TOP + IFM_H + BOTTOM, OW = LEFT + IFM_W + RIGHT, CF = C / SIMD;
  ap_uint<SIMD * OutT::bits> padding = 0;
  for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
    set_element<OutT::bits>(padding, s, ap_uint<OutT::bits>(PadBits<OutT, VALUE>::value));
  }
  for (int h = 0; h < OH; h++) {
    for (int w = 0; w < OW; w++) {
      for (int cf = 0; cf < CF; cf++) {
#pragma HLS PIPELINE II=1
        const bool inside = h >= TOP && h < TOP + IFM_H && w >= LEFT && w < LEFT + IFM_W;
        out.write(ap_uint<OUT_W>(inside ? PadConvert<InT, OutT, SIMD>::word(in.read())
                                        : padding));
      }
    }
  }
}

}  // namespace qnn

#endif  // QNN_PAD_H
